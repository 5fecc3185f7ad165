"""A neutral `Request` → the body of a Gemini `generateContent` request, with `model` (and
`"stream": true` for a stream) in it, which the addon layer moves into the path (`paths`).

Choices where the protocols leave room (the policies a Gemini upstream needs):
- Turns are `contents` of role `user` or `model`, consecutive ones of one role merged. Gemini
  has no system role in `contents`: a system turn in the conversation joins
  `systemInstruction`, in order, rather than becoming words of the user. A request with no
  turn at all gets a user turn reading "." (Gemini refuses empty `contents`).
- A tool result is a `functionResponse` part with the call's id and the function's name
  (looked up from the call in an earlier turn: Gemini wants the name, other protocols only
  the id), its text as `{"output": text}`, or `{"error": text}` for an error. Images and
  documents a tool returned follow the turn's `functionResponse` parts as parts of their own.
- Thought signatures (`thought_signatures`): a call's own `signature` goes on its part. A
  thinking block carrying a Gemini signature gives it to the call that follows it in the
  turn when that call has none of its own, to the next text part when no call follows,
  and otherwise keeps it on its own thought part; its text is sent as a thought part, no text means no part. A signature-only
  block that came from the same part of a Gemini client's body as the block after it (a
  signed text part) signs that block's part again. Gemini refuses a
  model turn whose first `functionCall` part has no signature, when it thinks: such a part
  gets the value Gemini documents for calls it did not sign ("skip_thought_signature_validator",
  as Gemini CLI sends). Thinking of other protocols (Anthropic signatures, OpenAI's encrypted
  reasoning, redacted thinking, unsigned text) means nothing to Gemini: not sent, and named.
- Tools: one `tools` entry of `functionDeclarations`, each schema rewritten into Gemini's
  subset (`schema_subset`) as `parameters` (which every Gemini model and relay reads, unlike
  `parametersJsonSchema`); no `parameters` for a function without any. Custom tools become
  functions of one string, `input` (`custom_tools`). Provider tools of other protocols are
  dropped and named. `toolConfig` only with declarations (Gemini refuses it without).
- Thinking: a budget as `thinkingBudget`, disabled as 0, adaptive as -1, and an effort as a
  budget (`_BUDGETS`), since Gemini 2.5 models refuse `thinkingLevel` and Gemini 3 still
  reads a budget; `includeThoughts` whenever thinking is asked for, so that a client that
  shows thinking gets some. The Pro models of Gemini 2.5 and 3 cannot stop thinking and
  refuse a budget under 128: there, disabled (or a smaller budget) is the least budget, and
  the log names it. `temperature` is clamped to Gemini's 0–2. `maxOutputTokens`
  only when the client gave a limit: Gemini has a default of its own. A sampling seed (a
  Chat client's `seed`) is `seed`.
- A JSON Schema output format is `responseSchema` in the subset; JSON without a schema
  `responseMimeType` alone.
- Several choices, log probabilities and audio output: refused (one answer is decoded).
  Top-level fields of other protocols, the end-user id, metadata, a prompt cache key and
  `parallel_tool_calls: false` have no Gemini form: dropped and named. A Gemini client's own
  settings (`safetySettings`, `generationConfig.frequencyPenalty`, its thinkingConfig and declarations
  as written …) go back as they were.
"""

from __future__ import annotations

import base64
import mimetypes

from ...errors import RequestRejected, invalid_request
from ...neutral import (
    CUSTOM_TOOL,
    Document,
    Image,
    Opaque,
    RedactedThinking,
    Request,
    Text,
    Thinking,
    Tool,
    ToolCall,
    ToolResult,
    Turn,
)
from ..base import EncodedRequest, EncodeOptions
from ..custom_tools import INPUT_SCHEMA, custom_tool_description
from ..event_stream import arguments_object
from ..request_policies import refuse_what_one_answer_cannot_be
from . import NAME as PROTOCOL
from .field_names import camel_case
from .paths import MODEL_FIELD, STREAM_FIELD
from .schema_subset import gemini_schema
from .thought_signatures import gemini_signature

UPSTREAM = "a Gemini upstream"
# What Gemini documents for a call it did not sign itself (a history made elsewhere).
UNSIGNED_CALL_SIGNATURE = "skip_thought_signature_validator"
_BUDGETS = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 16384, "xhigh": 24576, "max": 24576}
_DISABLED_BUDGET = 0
_LEAST_PRO_BUDGET = 128
_ADAPTIVE_BUDGET = -1
_MAX_TEMPERATURE = 2.0
_JSON = "application/json"
_PLACEHOLDER_USER_TEXT = "."
_TOOL_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY", "tool": "ANY"}
_OWN_SECTIONS = ("generationConfig", "toolConfig")


def encode_request(request: Request, options: EncodeOptions) -> EncodedRequest:
    refuse_what_one_answer_cannot_be(request, UPSTREAM)
    same_protocol = request.protocol == PROTOCOL
    dropped: list[str] = []
    contents = _Contents()
    for turn in request.turns:
        contents.add(turn)
    out: dict = {MODEL_FIELD: request.model, "contents": contents.finish()}
    system = [{"text": block.text} for block in [*request.system, *contents.system] if block.text]
    if system:
        out["systemInstruction"] = {"parts": system}
    _add_tools(request, out, dropped, same_protocol)
    config = _generation_config(request, same_protocol)
    if not same_protocol:
        _least_budget_where_thinking_cannot_stop(request, config, dropped)
    if config:
        out["generationConfig"] = config
    if request.stream:
        out[STREAM_FIELD] = True
    if contents.foreign_thinking:
        dropped.append(f"thinking of another protocol ({', '.join(contents.foreign_thinking)})")
    if same_protocol:
        _add_own_fields(request, out)
    else:
        dropped += _fields_without_gemini_form(request)
    return EncodedRequest(out, dropped)


def _invalid(path: str, problem: str) -> RequestRejected:
    return invalid_request(f"{path}: {problem}", path)


def _fields_without_gemini_form(request: Request) -> list[str]:
    names = list(request.extra)
    if request.user:
        names.append(request.client_name("user"))
    names += [f"metadata.{name}" for name in request.metadata]
    if request.cache_key is not None:
        names.append(request.client_name("cache_key"))
    if request.parallel_tool_calls is False and request.tools:
        names.append(request.client_name("parallel_tool_calls"))
    return names


def _add_own_fields(request: Request, out: dict) -> None:
    """A Gemini client's own fields with no neutral form, back where they were."""
    for name, value in request.extra.items():
        head, _, tail = name.partition(".")
        if camel_case(head) in _OWN_SECTIONS and tail:
            out.setdefault(camel_case(head), {})[tail] = value
        else:
            out[name] = value


# ---------------------------------------------------------------- contents


class _Contents:
    """Gemini contents built turn by turn, same roles merged; the system turns met on the way,
    the name of every call by its id (a response names its function), and where thinking of
    another protocol was left out."""

    def __init__(self) -> None:
        self.contents: list[dict] = []
        self.system: list[Text] = []
        self.call_names: dict[str, str] = {}
        self.foreign_thinking: list[str] = []

    def add(self, turn: Turn) -> None:
        if turn.role == "system":
            self.system += [block for block in turn.blocks if isinstance(block, Text)]
            return
        role = "model" if turn.role == "assistant" else "user"
        parts = self._model_parts(turn.blocks) if role == "model" else self._user_parts(turn.blocks)
        if not parts:
            return
        if self.contents and self.contents[-1]["role"] == role:
            self.contents[-1]["parts"] += parts
        else:
            self.contents.append({"role": role, "parts": parts})

    def finish(self) -> list[dict]:
        for content in self.contents:
            if content["role"] == "model":
                _sign_first_call(content["parts"])
        return self.contents or [{"role": "user", "parts": [{"text": _PLACEHOLDER_USER_TEXT}]}]

    def _model_parts(self, blocks: list) -> list[dict]:
        signatures = _signature_places(blocks)
        parts: list[dict] = []
        for index, block in enumerate(blocks):
            if isinstance(block, Text):
                written = [{"text": block.text}] if block.text else []
            elif isinstance(block, ToolCall):
                self.call_names[block.id] = block.name
                written = [{"functionCall": {"id": block.id, "name": block.name, "args": arguments_object(block)}}]
            elif isinstance(block, Thinking) and gemini_signature(block.signature) is not None:
                written = [{"text": block.text, "thought": True}] if block.text else []
            else:
                written = self._other_parts(block, "an assistant")
            if written and index in signatures:
                written[0]["thoughtSignature"] = signatures[index]
            parts += written
        return parts

    def _user_parts(self, blocks: list) -> list[dict]:
        responses: list[dict] = []
        attachments: list[dict] = []
        rest: list[dict] = []
        for block in blocks:
            if isinstance(block, ToolResult):
                response, returned = self._response(block)
                responses.append(response)
                attachments += returned
            elif isinstance(block, Text):
                rest += [{"text": block.text}] if block.text else []
            else:
                rest += self._other_parts(block, "a user")
        return responses + attachments + rest

    def _other_parts(self, block, where: str) -> list[dict]:
        if isinstance(block, (Image, Document)):
            return _media_parts(block)
        if isinstance(block, (Thinking, RedactedThinking)):
            if isinstance(block, RedactedThinking) or block.text or block.signature:
                self.foreign_thinking.append(block.path or "thinking")
            return []
        if isinstance(block, Opaque) and block.protocol == PROTOCOL:
            return [block.raw]
        kind = block.type if isinstance(block, Opaque) else type(block).__name__
        raise _invalid(f"{block.path}.type", f"{kind!r} content in {where} turn cannot be sent to {UPSTREAM}")

    def _response(self, block: ToolResult) -> tuple[dict, list[dict]]:
        """The functionResponse part of a tool result, and the parts of what else it returned."""
        name = self.call_names.get(block.call_id)
        if name is None:
            raise _invalid(block.path, f"the tool result for call {block.call_id!r} follows no call with that id; {UPSTREAM} needs the name of the function it answers")
        texts: list[str] = []
        returned: list[dict] = []
        for item in block.content:
            if isinstance(item, Text):
                texts.append(item.text)
            elif isinstance(item, Document) and item.source == "text":
                texts.append(_joined([item.title, item.context, item.data]))
            elif isinstance(item, (Image, Document)):
                returned += _media_parts(item)
            else:
                kind = item.type if isinstance(item, Opaque) else type(item).__name__
                raise _invalid(f"{item.path}.type", f"{kind!r} content in a tool result cannot be sent to {UPSTREAM}")
        text = _joined(texts)
        response = {"error": text} if block.is_error else {"output": text}
        return {"functionResponse": {"id": block.call_id, "name": name, "response": response}}, returned


def _joined(texts: list[str | None]) -> str:
    return "\n\n".join(text for text in texts if text)


def _signature_places(blocks: list) -> dict[int, str]:
    """Which block's part carries which Gemini signature (see the module docstring)."""
    places: dict[int, str] = {}
    pending: tuple[int, str] | None = None  # a thinking block's signature, and where it is

    def keep_on_its_thinking() -> None:
        if pending is not None and blocks[pending[0]].text:
            places[pending[0]] = pending[1]

    for index, block in enumerate(blocks):
        if isinstance(block, Thinking) and (signature := gemini_signature(block.signature)) is not None:
            if _signs_the_next_part(blocks, index):
                places[index + 1] = signature
                continue
            keep_on_its_thinking()
            pending = (index, signature)
        elif isinstance(block, ToolCall):
            if block.signature:
                places[index] = block.signature
                keep_on_its_thinking()
            elif pending is not None:
                places[index] = pending[1]
            pending = None
        elif isinstance(block, Text) and block.text and pending is not None and not _call_after(blocks, index):
            places[index], pending = pending[1], None
    keep_on_its_thinking()
    return places


def _signs_the_next_part(blocks: list, index: int) -> bool:
    """Whether the thinking block at `index` is only the signature of the next block's part:
    both came from the same part of the client's body (a Gemini client's signed text)."""
    block = blocks[index]
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    return not block.text and bool(block.path) and following is not None and following.path == block.path


def _call_after(blocks: list, index: int) -> bool:
    return any(isinstance(block, ToolCall) for block in blocks[index + 1:])


def _sign_first_call(parts: list[dict]) -> None:
    first_call = next((part for part in parts if "functionCall" in part), None)
    if first_call is not None and not first_call.get("thoughtSignature"):
        first_call["thoughtSignature"] = UNSIGNED_CALL_SIGNATURE


def _media_parts(block: Image | Document) -> list[dict]:
    if block.source == "file":
        raise _uploaded_file(block)
    if isinstance(block, Image):
        if block.source == "base64":
            return [_inline(block.media_type, block.data)]
        if block.source == "url":
            return [_file(block.media_type, block.url)]
        raise _invalid(f"{block.path}.source.type", f"image sources of type {block.source!r} cannot be sent to {UPSTREAM}; send the data as base64")
    heading = [{"text": text}] if (text := _joined([block.title, block.context])) else []
    if block.source == "base64":
        return heading + [_inline(block.media_type or "application/pdf", block.data)]
    if block.source == "url":
        return heading + [_file(block.media_type, block.url)]
    if block.source == "text":
        return heading + [_inline(block.media_type or "text/plain", base64.b64encode(block.data.encode()).decode())]
    if block.source == "content":
        inner = [part for item in block.content for part in _content_part(item)]
        return heading + inner
    raise _invalid(f"{block.path}.source.type", f"document sources of type {block.source!r} cannot be sent to {UPSTREAM}; send the data as base64")


def _uploaded_file(block: Image | Document) -> RequestRejected:
    # Named on the block, not on `.source.type`: a Chat or Responses client wrote no such field.
    kind = "image" if isinstance(block, Image) else "document"
    return _invalid(block.path, f"the {kind} is a file uploaded to a provider ({block.file_id!r}), which {UPSTREAM} cannot read; send the data as base64")


def _content_part(block) -> list[dict]:
    if isinstance(block, Text):
        return [{"text": block.text}] if block.text else []
    if isinstance(block, (Image, Document)):
        return _media_parts(block)
    kind = block.type if isinstance(block, Opaque) else type(block).__name__
    raise _invalid(f"{block.path}.type", f"{kind!r} content in a document cannot be sent to {UPSTREAM}")


def _inline(media_type: str, data: str) -> dict:
    return {"inlineData": {"mimeType": media_type, "data": data}}


def _file(media_type: str, url: str) -> dict:
    # Gemini reads a file's type from mimeType; a URL's extension is the best guess left.
    media_type = media_type or mimetypes.guess_type(url)[0] or ""
    return {"fileData": {"mimeType": media_type, "fileUri": url} if media_type else {"fileUri": url}}


# ---------------------------------------------------------------- tools


def _add_tools(request: Request, out: dict, dropped: list[str], same_protocol: bool) -> None:
    declarations = []
    for tool in request.tools:
        if tool.kind == "function":
            declarations.append(tool.raw if same_protocol and tool.raw is not None else _declaration(tool))
        elif tool.kind == CUSTOM_TOOL:
            declarations.append(_declaration(Tool(tool.name, custom_tool_description(tool), INPUT_SCHEMA)))
        else:
            dropped.append(f"tools.{tool.name or tool.path.rpartition('.')[2]} ({tool.kind})")
    if declarations:
        out["tools"] = [{"functionDeclarations": declarations}]
    config = _function_calling_config(request, {declaration["name"] for declaration in declarations})
    if config is not None:
        out["toolConfig"] = {"functionCallingConfig": config}


def _declaration(tool: Tool) -> dict:
    out: dict = {"name": tool.name}
    if tool.description:
        out["description"] = tool.description
    if tool.schema is not None:
        parameters = {"type": "object", **gemini_schema(tool.schema)}
        if parameters != {"type": "object"}:
            out["parameters"] = parameters
    return out


def _function_calling_config(request: Request, names: set[str]) -> dict | None:
    choice = request.tool_choice
    if choice is None:
        return None
    if choice.mode == "tool" and choice.name not in names:
        raise _invalid(request.client_name("tool_choice"), f"no client tool named {choice.name!r} can be sent to {UPSTREAM}")
    if choice.mode == "required" and not names:
        raise _invalid(request.client_name("tool_choice"), f"a tool call is required, but no client tool can be sent to {UPSTREAM}")
    if not names:
        return None  # Gemini refuses a function calling config without declarations
    config: dict = {"mode": _TOOL_MODES[choice.mode]}
    if choice.mode == "tool":
        config["allowedFunctionNames"] = [choice.name]
    return config


# ---------------------------------------------------------------- generationConfig


def _generation_config(request: Request, same_protocol: bool) -> dict:
    config: dict = {}
    if request.max_tokens is not None:
        config["maxOutputTokens"] = request.max_tokens
    if request.temperature is not None:
        config["temperature"] = min(max(request.temperature, 0), _MAX_TEMPERATURE)
    if request.top_p is not None:
        config["topP"] = request.top_p
    if request.top_k is not None:
        config["topK"] = request.top_k
    stop = [sequence for sequence in request.stop if sequence]
    if stop:
        config["stopSequences"] = stop
    if request.seed is not None:
        config["seed"] = request.seed
    _add_response_format(request, config, same_protocol)
    thinking = _thinking_config(request, same_protocol)
    if thinking is not None:
        config["thinkingConfig"] = thinking
    return config


def _always_thinks(model: str) -> bool:
    name = model.removeprefix("models/")
    return name.startswith(("gemini-2.5-pro", "gemini-3-pro", "gemini-3.0-pro", "gemini-3.1-pro"))


def _least_budget_where_thinking_cannot_stop(request: Request, config: dict, dropped: list[str]) -> None:
    thinking = config.get("thinkingConfig")
    budget = thinking.get("thinkingBudget") if isinstance(thinking, dict) else None
    if not isinstance(budget, int) or not 0 <= budget < _LEAST_PRO_BUDGET or not _always_thinks(request.model):
        return
    thinking["thinkingBudget"] = _LEAST_PRO_BUDGET
    dropped.append(f"thinking budget {budget} ({request.model} thinks at least {_LEAST_PRO_BUDGET} tokens)")


def _add_response_format(request: Request, config: dict, same_protocol: bool) -> None:
    response_format = request.response_format
    if response_format is None:
        return
    config["responseMimeType"] = _JSON
    if response_format.kind != "json_schema" or response_format.schema is None:
        return
    # A Gemini client's full JSON Schema goes back as it wrote it.
    if same_protocol and camel_case(request.client_name("response_format")).endswith("responseJsonSchema"):
        config["responseJsonSchema"] = response_format.schema
    else:
        config["responseSchema"] = gemini_schema(response_format.schema)


def _thinking_config(request: Request, same_protocol: bool) -> dict | None:
    reasoning = request.reasoning
    if reasoning is None:
        return None
    if same_protocol and reasoning.raw is not None:
        return reasoning.raw
    if reasoning.mode == "disabled":
        return {"thinkingBudget": _DISABLED_BUDGET}
    config: dict = {}
    if reasoning.mode == "enabled" and reasoning.budget is not None:
        config["thinkingBudget"] = reasoning.budget
    elif reasoning.effort:
        config["thinkingBudget"] = _BUDGETS[reasoning.effort]
    elif reasoning.mode == "adaptive":
        config["thinkingBudget"] = _ADAPTIVE_BUDGET
    config["includeThoughts"] = True
    return config
