"""A finished OpenAI Responses `Response` object ↔ a neutral `Answer`, and the output items
its stream halves share.

Decoding: a body that is not a Response (not an object, no output list, an item that is not
an object, a call without a name or call id) raises `RequestRejected` with a 502; an error
body, or a response whose status is `failed`, raises the upstream's own error. The addon
renders either as the client's error, never as a half-made answer.

Choices:
- Output items: a `message` gives one text block per part (`refusal` parts marked refusal);
  `reasoning` a thinking block (its summary joined by blank lines, or its `reasoning_text`
  content marked raw, `encrypted_content` as its signature); `function_call` and
  `custom_tool_call` tool calls (arguments that are not a JSON object kept as sent); any
  other item (a built-in tool's call) is opaque, for a Responses client only.
- Stop reasons: any tool call → tool_use; a refusal → refusal; `incomplete` for
  `max_output_tokens` → max_tokens, for `content_filter` → refusal; else end_turn.
- Encoding: the response id is `exchange.answer_id`, else an upstream `resp_` id kept, else
  `resp_` + the upstream id without its `msg_`/`chatcmpl-` prefix; item ids are made from
  it (`msg_…_0`, `rs_…_1`, `fc_…_2`), stable per position. The model is the one the client
  asked for; `created_at` the upstream's, else the exchange's.
- One output item per block: text and refusals are `message`s, thinking is a `reasoning`
  item whose text is a summary (Responses clients show summaries and send them back, and a
  signed thinking's text must come back with its signature) unless the upstream said it is
  raw reasoning; its signature is `encrypted_content`, so an Anthropic signature survives
  the round trip through a Responses client. Redacted thinking is a reasoning item whose
  `encrypted_content` is `REDACTED_PREFIX` + its data. A call of one of the client's custom
  tools is a `custom_tool_call` (its input the call's `input` argument); a call of a tool in
  a namespace names it. Opaque blocks of another protocol are left out.
- Max tokens → `status: "incomplete"`, `incomplete_details.reason: "max_output_tokens"`;
  a refusal the model wrote is its `refusal` content part, the response `completed` (as
  OpenAI answers); a refusal stop without such a part (content an upstream withheld: Gemini's
  SAFETY, RECITATION …, a Chat `content_filter`, a blocked prompt) is `status: "incomplete"`,
  `incomplete_details.reason: "content_filter"`, as OpenAI reports its own filter.
"""

from __future__ import annotations

import json
import secrets

from . import NAME as RESPONSES
from ...errors import RequestRejected, parse_upstream_error
from ...neutral import Answer, Block, Opaque, RedactedThinking, StopReason, Text, Thinking, ToolCall, Usage
from ..base import Exchange
from ..custom_tools import INPUT
from ..event_stream import arguments_text, extra_fields, rejected, with_extra
from .errors import error_from_failure
from .usage import responses_usage, usage_from_responses

REDACTED_PREFIX = "anyrouter-redacted-thinking:"
RESPONSE_FIELDS = frozenset({
    "id", "object", "created_at", "status", "error", "incomplete_details", "model", "output", "usage",
    "parallel_tool_calls", "tool_choice", "tools",
})
_INCOMPLETE_STOPS = {"max_output_tokens": StopReason.MAX_TOKENS, "content_filter": StopReason.REFUSAL}
_INCOMPLETE_REASONS = {StopReason.MAX_TOKENS: "max_output_tokens", StopReason.CONTEXT_WINDOW: "max_output_tokens"}


def upstream_garbage(problem: str) -> RequestRejected:
    return rejected(502, f"the upstream answered with an invalid Responses object: {problem}")


def response_id_for(upstream_id: str, exchange: Exchange) -> str:
    """`msg_01Abc` → `resp_01Abc`; a `resp_` id stays as it is."""
    if exchange.answer_id:
        return exchange.answer_id
    if upstream_id.startswith("resp_"):
        return upstream_id
    stem = upstream_id.removeprefix("msg_").removeprefix("chatcmpl-")
    return "resp_" + (stem or secrets.token_hex(12))


def item_id(response_id: str, kind: str, position: int) -> str:
    return f"{kind}_{response_id.removeprefix('resp_')}_{position}"


# ---------------------------------------------------------------- decoding


def decode_answer(body: object, exchange: Exchange) -> Answer:
    if not isinstance(body, dict):
        raise upstream_garbage("the body is not a JSON object")
    if isinstance(body.get("error"), dict):
        if body.get("object") == "response":
            raise RequestRejected(error_from_failure(body["error"], "the upstream response failed"))
        raise RequestRejected(parse_upstream_error(502, "application/json", json.dumps(body).encode()))
    output = body.get("output")
    if not isinstance(output, list):
        raise upstream_garbage("output is not a list")
    blocks: list[Block] = []
    for index, item in enumerate(output):
        if not isinstance(item, dict):
            raise upstream_garbage(f"output[{index}] is not an object")
        blocks += decode_item(item, f"output[{index}]")
    usage = body.get("usage")
    return Answer(
        id=_string(body, "id"),
        model=_string(body, "model"),
        blocks=blocks,
        stop_reason=neutral_stop(
            body,
            used_tools=any(isinstance(block, ToolCall) for block in blocks),
            refused=any(is_refusal(block) for block in blocks),
        ),
        usage=usage_from_responses(usage) if isinstance(usage, dict) else Usage(),
        created=created_at(body),
        protocol=RESPONSES,
        extra=extra_fields(body, RESPONSE_FIELDS),
    )


def decode_item(item: dict, where: str) -> list[Block]:
    kind = item.get("type")
    if kind == "message":
        return _message_blocks(item, where)
    if kind == "reasoning":
        return [reasoning_block(item)]
    if kind in ("function_call", "custom_tool_call"):
        call = call_block(item, where)
        call.arguments, call.raw_arguments = _call_arguments(item, call.custom)
        return [call]
    return [Opaque(kind if isinstance(kind, str) else "", item, RESPONSES)]


def _message_blocks(item: dict, where: str) -> list[Block]:
    content = item.get("content")
    if not isinstance(content, list):
        raise upstream_garbage(f"{where}.content is not a list")
    blocks: list[Block] = []
    for part in content:
        if isinstance(part, dict) and part.get("type") == "refusal":
            blocks.append(Text(_string(part, "refusal"), refusal=True))
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            blocks.append(Text(part["text"]))
    return blocks


def reasoning_block(item: dict) -> Thinking | RedactedThinking:
    encrypted = item.get("encrypted_content") if isinstance(item.get("encrypted_content"), str) else None
    summary = _part_texts(item.get("summary"))
    content = _part_texts(item.get("content"))
    if encrypted is not None and encrypted.startswith(REDACTED_PREFIX) and not summary and not content:
        return RedactedThinking(encrypted.removeprefix(REDACTED_PREFIX))
    if content:
        return Thinking("\n\n".join(content), encrypted, raw_text=True)
    return Thinking("\n\n".join(summary), encrypted)


def _part_texts(parts: object) -> list[str]:
    if not isinstance(parts, list):
        return []
    return [part["text"] for part in parts if isinstance(part, dict) and isinstance(part.get("text"), str)]


def call_block(item: dict, where: str) -> ToolCall:
    """A call item as a tool call without its arguments yet."""
    name = item.get("name")
    call_id = item.get("call_id")
    if not isinstance(name, str) or not name:
        raise upstream_garbage(f"{where} has no name")
    if not isinstance(call_id, str) or not call_id:
        raise upstream_garbage(f"{where} has no call_id")
    namespace = item.get("namespace") if isinstance(item.get("namespace"), str) else None
    return ToolCall(call_id, name, custom=item.get("type") == "custom_tool_call", namespace=namespace)


def _call_arguments(item: dict, custom: bool) -> tuple[dict, str | None]:
    if custom:
        return {INPUT: _string(item, "input")}, None
    arguments = item.get("arguments")
    if not isinstance(arguments, str) or not arguments.strip():
        return {}, None
    try:
        parsed = json.loads(arguments)
    except ValueError:
        parsed = None
    return (parsed, None) if isinstance(parsed, dict) else ({}, arguments)


def neutral_stop(response: dict, *, used_tools: bool, refused: bool) -> str:
    if used_tools:
        return StopReason.TOOL_USE
    if refused:
        return StopReason.REFUSAL
    details = response.get("incomplete_details")
    if response.get("status") == "incomplete" and isinstance(details, dict):
        return _INCOMPLETE_STOPS.get(details.get("reason"), StopReason.END_TURN)  # type: ignore[arg-type]
    return StopReason.END_TURN


def _string(body: dict, key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""


def created_at(body: dict) -> int | None:
    created = body.get("created_at")
    if isinstance(created, (int, float)) and not isinstance(created, bool):
        return int(created)
    return None


# ---------------------------------------------------------------- encoding


def encode_answer(answer: Answer, exchange: Exchange) -> dict:
    response_id = response_id_for(answer.id, exchange)
    output = [
        item for position, block in enumerate(answer.blocks)
        if (item := output_item(block, item_id(response_id, ITEM_KINDS.get(type(block), "item"), position), exchange))
    ]
    status, incomplete = status_for(answer.stop_reason, wrote_refusal=any(is_refusal(block) for block in answer.blocks))
    response = response_object(response_id, answer.created if answer.created is not None else exchange.created,
                               exchange.model or answer.model, status, output, responses_usage(answer.usage))
    response["incomplete_details"] = incomplete
    return with_extra(response, answer, RESPONSES)


ITEM_KINDS = {Text: "msg", Thinking: "rs", RedactedThinking: "rs", ToolCall: "fc"}


def is_refusal(block: Block) -> bool:
    return isinstance(block, Text) and block.refusal


def status_for(stop_reason: str | None, *, wrote_refusal: bool) -> tuple[str, dict | None]:
    """The response's status and incomplete details (`wrote_refusal`: the output has a
    refusal the model wrote, which says why it stopped)."""
    reason = _INCOMPLETE_REASONS.get(stop_reason or "")
    if stop_reason == StopReason.REFUSAL and not wrote_refusal:
        reason = "content_filter"
    return ("incomplete", {"reason": reason}) if reason else ("completed", None)


def response_object(response_id: str, created: int, model: str, status: str, output: list, usage: dict | None) -> dict:
    """A Response object with every field the openai SDK's `Response` requires."""
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": usage,
    }


def output_item(block: Block, item_id: str, exchange: Exchange, status: str = "completed") -> dict | None:
    """A block as the whole output item a Responses client reads; None for one it cannot carry."""
    if isinstance(block, Text):
        return message_item(item_id, [content_part(block, block.text)], status)
    if isinstance(block, Thinking):
        return reasoning_item(item_id, block, block.text)
    if isinstance(block, RedactedThinking):
        return {"id": item_id, "type": "reasoning", "summary": [], "encrypted_content": REDACTED_PREFIX + block.data}
    if isinstance(block, ToolCall):
        return call_item(item_id, block, exchange, arguments_text(block), status)
    if isinstance(block, Opaque) and block.protocol == RESPONSES:
        return block.raw
    return None


def message_item(item_id: str, content: list[dict], status: str) -> dict:
    return {"id": item_id, "type": "message", "role": "assistant", "status": status, "content": content}


def content_part(block: Text, text: str) -> dict:
    if block.refusal:
        return {"type": "refusal", "refusal": text}
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def reasoning_item(item_id: str, block: Thinking, text: str) -> dict:
    item: dict = {"id": item_id, "type": "reasoning"}
    if block.raw_text:
        item.update(summary=[], content=[{"type": "reasoning_text", "text": text}])
    else:
        item["summary"] = [{"type": "summary_text", "text": text}] if text else []
    if block.signature:
        item["encrypted_content"] = block.signature
    return item


def is_custom_call(call: ToolCall, exchange: Exchange) -> bool:
    return call.custom or call.name in exchange.custom_tools


def call_item(item_id: str, call: ToolCall, exchange: Exchange, arguments: str, status: str) -> dict:
    """A call item; `arguments` is the call's input as JSON text, as far as it is known."""
    namespace = call.namespace or dict(exchange.tool_namespaces).get(call.name)
    if is_custom_call(call, exchange):
        # No status: the openai SDK's custom tool call has none.
        item = {"id": item_id, "type": "custom_tool_call", "call_id": call.id, "name": call.name,
                "input": custom_input(arguments)}
    else:
        item = {"id": item_id, "type": "function_call", "call_id": call.id, "name": call.name,
                "arguments": arguments, "status": status}
    if namespace:
        item["namespace"] = namespace
    return item


def custom_input(arguments: str) -> str:
    """A custom tool's input text from the JSON object of its one `input` parameter; the
    arguments as sent when they are not such an object."""
    try:
        parsed = json.loads(arguments) if arguments else {}
    except ValueError:
        return arguments
    if isinstance(parsed, dict) and isinstance(parsed.get(INPUT), str):
        return parsed[INPUT]
    return arguments if parsed else ""
