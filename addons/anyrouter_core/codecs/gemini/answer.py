"""A finished Gemini `GenerateContentResponse` ↔ a neutral `Answer`, and the parts its stream
halves share.

Decoding: a body that is not a GenerateContentResponse (not an object, candidates or parts
that are not lists of objects, a function call without a name, no candidate and no blocked
prompt) raises `RequestRejected` with a 502; an `{"error": …}` body raises the upstream's
own error (its `code` as the status, its `status` name kept: `errors.py`). The addon renders
either as the client's error, never as a half-made answer.

Choices:
- Only `candidates[0]` is read (a translated request never asks for more); a prompt blocked
  before any candidate (`promptFeedback.blockReason`) is an answer without blocks that stops
  with `refusal`, `promptFeedback` kept for Gemini clients.
- Parts: `text` is text, or thinking when `thought` is true; consecutive text parts are one
  text block, consecutive thought parts one thinking block until one is signed (a stream
  reads the same parts into the same blocks). `inlineData` and `fileData` images are images;
  other parts (code execution, audio, a part Gemini adds later) are Gemini's own (`Opaque`).
- A `functionCall` is a tool call with its `args`; one without an `id` (Gemini gives none),
  or with one an earlier call of the answer has, gets a new `toolu_…` id, so parallel calls
  stay apart.
- Thought signatures (`thought_signatures`): a signed thought part is thinking whose
  signature is the carried Gemini one; a signature on any other part is a thinking block
  with no text and that carried signature just before the part's block, and a function
  call's is also the call's own `signature`. Other protocols' clients send that block
  back as their own (an Anthropic thinking block, a Responses reasoning item), and the
  Gemini encoders put the signature back on the part that follows it.
- Stop reasons: `finish_reasons.py`. Usage: `usage.py`. `responseId` is the answer's id,
  `modelVersion` its model; other top-level fields go back only to Gemini clients.
- Encoding (for a Gemini client): one candidate, role `model`, `index` 0; `modelVersion`
  is the model the client asked for, `responseId` the answer's id. Text is a text part;
  thinking a thought part (its signature as `thoughtSignature`: the Gemini one it carries,
  or another protocol's as it is), except thinking with no text whose signature is a
  carried Gemini one: that signature goes on the next part (a call's own signature wins,
  and one that no part follows is a part of its own with empty text). A tool call is a
  `functionCall` part with its id. Redacted thinking and other protocols' opaque blocks
  have no Gemini form and are left out.
"""

from __future__ import annotations

import json
import secrets

from . import NAME as GEMINI
from ...errors import ProxyError, RequestRejected, parse_upstream_error
from ...neutral import Answer, Block, Image, Opaque, Text, Thinking, ToolCall, Usage
from ..base import Exchange
from ..event_stream import arguments_object, compact_json, extra_fields, rejected, with_extra
from ..openai_chat.answer import new_tool_use_id
from .finish_reasons import finish_reason_for, neutral_stop
from .thought_signatures import carried, gemini_signature
from .usage import USAGE_FIELD, gemini_usage, usage_from_gemini

RESPONSE_FIELDS = frozenset({"candidates", USAGE_FIELD, "modelVersion", "responseId"})
SIGNATURE = "thoughtSignature"
# Keys a part may have besides the one that says what it holds.
_PART_ANNOTATIONS = frozenset({SIGNATURE, "thought", "partMetadata", "videoMetadata", "mediaResolution"})


def upstream_garbage(problem: str) -> RequestRejected:
    return rejected(502, f"the upstream answered with an invalid Gemini response: {problem}")


def upstream_error(body: dict) -> ProxyError:
    """The error an `{"error": …}` body (a whole answer or a stream chunk) stands for."""
    code = body["error"].get("code")
    status = code if isinstance(code, int) and 400 <= code <= 599 else 502
    return parse_upstream_error(status, "application/json", json.dumps(body).encode())


def response_id_for(upstream_id: str, exchange: Exchange) -> str:
    return exchange.answer_id or upstream_id or secrets.token_urlsafe(16)


class CallIds:
    """Distinct ids for the calls of one answer: Gemini's own while it repeats none, else new."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def id_for(self, given: object) -> str:
        call_id = given if isinstance(given, str) and given and given not in self._taken else new_tool_use_id()
        self._taken.add(call_id)
        return call_id


# ---------------------------------------------------------------- decoding


def decode_answer(body: object, exchange: Exchange) -> Answer:
    if not isinstance(body, dict):
        raise upstream_garbage("the body is not a JSON object")
    if isinstance(body.get("error"), dict):
        raise RequestRejected(upstream_error(body))
    candidate = first_candidate(body)
    blocked = block_reason(body) is not None
    if candidate is None and not blocked:
        raise upstream_garbage("it has no candidates")
    blocks: list[Block] = []
    ids = CallIds()
    for where, part in candidate_parts(candidate or {}):
        for block in part_blocks(part, where, ids):
            add_block(blocks, block)
    usage = body.get(USAGE_FIELD)
    return Answer(
        id=_string(body, "responseId"),
        model=_string(body, "modelVersion"),
        blocks=blocks,
        stop_reason=neutral_stop(
            finish_reason(candidate or {}), blocked=blocked,
            used_tools=any(isinstance(block, ToolCall) for block in blocks),
        ),
        usage=usage_from_gemini(usage) if isinstance(usage, dict) else Usage(),
        protocol=GEMINI,
        extra=extra_fields(body, RESPONSE_FIELDS),
    )


def first_candidate(body: dict) -> dict | None:
    candidates = body.get("candidates")
    if candidates is None or candidates == []:
        return None
    if not isinstance(candidates, list) or not isinstance(candidates[0], dict):
        raise upstream_garbage("candidates is not a list of objects")
    return candidates[0]


def block_reason(body: dict) -> str | None:
    feedback = body.get("promptFeedback")
    reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
    return reason if isinstance(reason, str) and reason else None


def finish_reason(candidate: dict) -> str | None:
    reason = candidate.get("finishReason")
    return reason if isinstance(reason, str) and reason else None


def candidate_parts(candidate: dict) -> list[tuple[str, dict]]:
    """(where, part) for each part of the candidate's content; none when it has no content."""
    content = candidate.get("content")
    if content is None:
        return []
    if not isinstance(content, dict):
        raise upstream_garbage("candidates[0].content is not an object")
    parts = content.get("parts")
    if parts is None:
        return []
    if not isinstance(parts, list):
        raise upstream_garbage("candidates[0].content.parts is not a list")
    found = []
    for index, part in enumerate(parts):
        where = f"candidates[0].content.parts[{index}]"
        if not isinstance(part, dict):
            raise upstream_garbage(f"{where} is not an object")
        found.append((where, part))
    return found


def part_blocks(part: dict, where: str, ids: CallIds) -> list[Block]:
    """The neutral blocks one part of an answer holds, in order (see the module docstring)."""
    signature = part.get(SIGNATURE) if isinstance(part.get(SIGNATURE), str) and part[SIGNATURE] else None
    text = part.get("text")
    if isinstance(text, str) and part.get("thought") is True:
        return [Thinking(text, carried(signature) if signature else None)] if text or signature else []
    call = part.get("functionCall")
    if call is not None:
        block: Block | None = tool_call(call, f"{where}.functionCall", ids, signature)
    else:
        block = content_block(part)
    blocks = [block] if block is not None else []
    return [Thinking("", carried(signature)), *blocks] if signature else blocks


def tool_call(call: object, where: str, ids: CallIds, signature: str | None) -> ToolCall:
    if not isinstance(call, dict):
        raise upstream_garbage(f"{where} is not an object")
    name = call.get("name")
    if not isinstance(name, str) or not name:
        raise upstream_garbage(f"{where} has no name")
    arguments = call.get("args")
    decoded = ToolCall(ids.id_for(call.get("id")), name, signature=signature)
    if isinstance(arguments, dict):
        decoded.arguments = arguments
    elif arguments is not None:
        decoded.raw_arguments = compact_json(arguments)
    return decoded


def content_block(part: dict) -> Block | None:
    """A part that is neither thinking nor a call as a block; None when it holds nothing."""
    text = part.get("text")
    if isinstance(text, str):
        return Text(text) if text else None
    image = _image(part)
    if image is not None:
        return image
    kinds = [key for key in part if key not in _PART_ANNOTATIONS]
    return Opaque(kinds[0], part, GEMINI) if kinds else None


def _image(part: dict) -> Image | None:
    inline, linked = part.get("inlineData"), part.get("fileData")
    if isinstance(inline, dict) and _is_image(inline) and isinstance(inline.get("data"), str):
        return Image("base64", media_type=inline["mimeType"], data=inline["data"])
    if isinstance(linked, dict) and _is_image(linked) and isinstance(linked.get("fileUri"), str):
        return Image("url", media_type=linked["mimeType"], url=linked["fileUri"])
    return None


def _is_image(media: dict) -> bool:
    media_type = media.get("mimeType")
    return isinstance(media_type, str) and media_type.startswith("image/")


def add_block(blocks: list[Block], block: Block) -> None:
    """Appends `block`, joining it to the block before when a stream would have: text to
    text, thinking with text to thinking not yet signed."""
    last = blocks[-1] if blocks else None
    if isinstance(block, Text) and isinstance(last, Text):
        last.text += block.text
    elif isinstance(block, Thinking) and block.text and isinstance(last, Thinking) and last.text and last.signature is None:
        last.text += block.text
        last.signature = block.signature
    else:
        blocks.append(block)


def _string(body: dict, key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""


# ---------------------------------------------------------------- encoding


def encode_answer(answer: Answer, exchange: Exchange) -> dict:
    writer = PartWriter()
    parts = [part for block in answer.blocks for part in writer.parts(block)] + writer.rest()
    response = response_object(
        parts, finish_reason_for(answer.stop_reason), gemini_usage(answer.usage),
        exchange.model or answer.model, response_id_for(answer.id, exchange),
    )
    return with_extra(response, answer, GEMINI)


def response_object(parts: list[dict], finish: str | None, usage: dict | None, model: str, response_id: str) -> dict:
    """A GenerateContentResponse (or one chunk of a stream) of one candidate."""
    candidate: dict = {"content": {"role": "model", "parts": parts}}
    if finish is not None:
        candidate["finishReason"] = finish
    candidate["index"] = 0
    response: dict = {"candidates": [candidate]}
    if usage is not None:
        response[USAGE_FIELD] = usage
    response["modelVersion"] = model
    response["responseId"] = response_id
    return response


def thought_signature(signature: str) -> str:
    """What goes in `thoughtSignature` for a thinking signature: the Gemini one it carries,
    else another protocol's signature as it is."""
    return gemini_signature(signature) or signature


def block_part(block: Block) -> dict | None:
    """A block as the one Gemini part that holds it; None for a block with no Gemini form."""
    if isinstance(block, Text):
        return {"text": block.text} if block.text else None
    if isinstance(block, Thinking):
        if not block.text and not block.signature:
            return None
        part: dict = {"text": block.text, "thought": True}
        if block.signature:
            part[SIGNATURE] = thought_signature(block.signature)
        return part
    if isinstance(block, ToolCall):
        part = {"functionCall": {"name": block.name, "args": arguments_object(block), "id": block.id}}
        if block.signature:
            part[SIGNATURE] = thought_signature(block.signature)
        return part
    if isinstance(block, Image):
        return _image_part(block)
    if isinstance(block, Opaque) and block.protocol == GEMINI:
        return dict(block.raw)
    return None


def _image_part(image: Image) -> dict | None:
    if image.source == "base64":
        return {"inlineData": {"mimeType": image.media_type, "data": image.data}}
    if image.source == "url":
        linked = {"mimeType": image.media_type, "fileUri": image.url} if image.media_type else {"fileUri": image.url}
        return {"fileData": linked}
    return None


def signature_part(signature: str) -> dict:
    """A part that holds only a signature (Gemini ends streams with such parts too)."""
    return {"text": "", SIGNATURE: signature}


class PartWriter:
    """Blocks (or, for a stream, pieces of them) → parts, with the Gemini signature of a
    thinking block without text put on the part that follows it."""

    def __init__(self) -> None:
        self._pending: str | None = None

    def parts(self, block: Block) -> list[dict]:
        if isinstance(block, Thinking) and not block.text and (signature := gemini_signature(block.signature)):
            earlier = self.rest()
            self._pending = signature
            return earlier
        part = block_part(block)
        return self.signed(part) if part is not None else []

    def signed(self, part: dict) -> list[dict]:
        """`part` with the waiting signature on it, or after a part of its own when `part`
        is signed otherwise."""
        pending, self._pending = self._pending, None
        if pending is None or part.get(SIGNATURE) == pending:
            return [part]
        if SIGNATURE not in part:
            return [{**part, SIGNATURE: pending}]
        return [signature_part(pending), part]

    def rest(self) -> list[dict]:
        """The waiting signature, as a part of its own, when no part followed it."""
        pending, self._pending = self._pending, None
        return [signature_part(pending)] if pending is not None else []
