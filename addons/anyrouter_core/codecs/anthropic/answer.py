"""A finished Anthropic Message ↔ a neutral `Answer`, and the blocks both halves share.

Decoding: a body that is not a Message (garbage from a relay, a truncated body, an error
object sent with status 200) raises `RequestRejected` carrying a 502 `ProxyError` naming the
problem; the addon answers every `RequestRejected` with an error in the client's own shape. An
error object gets the status its type stands for (529 overloaded, 413, 402), since it came
without an HTTP error status of its own.

Choices:
- Blocks other than text, thinking, redacted thinking and tool use (server tools and their
  results, search results …) are kept whole as `Opaque`: only an Anthropic client gets them
  back.
- Encoding: the client gets the model name it asked for; the message keeps an upstream
  `msg_` id, else takes `exchange.answer_id`, else a new one. A thinking block without a
  signature gets `signature: ""` (the SDK type requires a string and nothing upstream could
  sign it); tool arguments that were not a JSON object are sent as `{"_raw_arguments": …}`.
"""

from __future__ import annotations

import json
import secrets

from . import NAME as ANTHROPIC
from ...errors import ProxyError, RequestRejected, parse_upstream_error
from ...neutral import Answer, Block, Opaque, RedactedThinking, Text, Thinking, ToolCall
from ..base import Exchange
from ..event_stream import arguments_object, extra_fields, rejected, with_extra
from .usage import anthropic_stop_reason, anthropic_usage, usage_from_anthropic

MESSAGE_FIELDS = frozenset({"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"})

# Only these error types change what a client of another protocol sees.
_STATUS_BY_ERROR_TYPE = {
    "overloaded_error": 529,
    "request_too_large": 413,
    "billing_error": 402,
}


def upstream_garbage(problem: str) -> RequestRejected:
    return rejected(502, f"the upstream answered with an invalid Anthropic message: {problem}")


def error_without_status(raw: bytes) -> ProxyError:
    """A `{"type":"error","error":{...}}` body that came with no HTTP status of its own."""
    error = parse_upstream_error(502, "application/json", raw)
    status = _STATUS_BY_ERROR_TYPE.get(error.type or "", 502)
    return ProxyError(status, error.message, error.type, error.param, error.code)


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(12)


def message_id_for(upstream_id: str, exchange: Exchange) -> str:
    if upstream_id.startswith("msg_"):
        return upstream_id
    return exchange.answer_id or new_message_id()


# ---------------------------------------------------------------- decoding


def decode_answer(body: object, exchange: Exchange) -> Answer:
    if not isinstance(body, dict):
        raise upstream_garbage("the body is not a JSON object")
    if body.get("type") == "error":
        raise RequestRejected(error_without_status(json.dumps(body).encode()))
    message_id = body.get("id")
    if not isinstance(message_id, str) or not message_id:
        raise upstream_garbage("no id")
    usage = body.get("usage")
    if usage is not None and not isinstance(usage, dict):
        raise upstream_garbage("usage is not an object")
    stop_reason = body.get("stop_reason")
    if stop_reason is not None and not isinstance(stop_reason, str):
        raise upstream_garbage("stop_reason is not a string")
    stop_sequence = body.get("stop_sequence")
    model = body.get("model")
    return Answer(
        id=message_id,
        model=model if isinstance(model, str) else "",
        blocks=_decode_content(body.get("content")),
        stop_reason=stop_reason,
        stop_sequence=stop_sequence if isinstance(stop_sequence, str) else None,
        usage=usage_from_anthropic(usage or {}),
        protocol=ANTHROPIC,
        extra=extra_fields(body, MESSAGE_FIELDS),
    )


def _decode_content(content: object) -> list[Block]:
    if not isinstance(content, list):
        raise upstream_garbage("content is not a list")
    blocks: list[Block] = []
    for index, block in enumerate(content):
        if not isinstance(block, dict):
            raise upstream_garbage(f"content[{index}] is not an object")
        blocks.append(decode_block(block, f"content[{index}]"))
    return blocks


def decode_block(block: dict, where: str) -> Block:
    kind = block.get("type")
    if kind == "text":
        citations = block.get("citations")
        return Text(string_field(block, "text", where), citations=citations if isinstance(citations, list) else None)
    if kind == "thinking":
        signature = block.get("signature")
        return Thinking(string_field(block, "thinking", where), signature if isinstance(signature, str) else None)
    if kind == "redacted_thinking":
        return RedactedThinking(string_field(block, "data", where))
    if kind == "tool_use":
        arguments = block.get("input", {})
        if not isinstance(arguments, dict):
            raise upstream_garbage(f"{where}.input is not an object")
        return ToolCall(string_field(block, "id", where), string_field(block, "name", where), arguments)
    return Opaque(kind if isinstance(kind, str) else "", block, ANTHROPIC)


def string_field(block: dict, key: str, where: str) -> str:
    value = block.get(key)
    if not isinstance(value, str):
        raise upstream_garbage(f"{where}.{key} is not a string")
    return value


# ---------------------------------------------------------------- encoding


def encode_answer(answer: Answer, exchange: Exchange) -> dict:
    return with_extra({
        "id": message_id_for(answer.id, exchange),
        "type": "message",
        "role": "assistant",
        "model": exchange.model or answer.model,
        "content": [encoded for block in answer.blocks if (encoded := encode_block(block)) is not None],
        "stop_reason": anthropic_stop_reason(answer.stop_reason),
        "stop_sequence": answer.stop_sequence,
        "usage": anthropic_usage(answer.usage, 0),
    }, answer, ANTHROPIC)


def encode_block(block: Block) -> dict | None:
    """A block of an answer as Anthropic writes it; None for one it cannot carry."""
    if isinstance(block, Text):
        text: dict = {"type": "text", "text": block.text}
        if block.citations is not None:
            text["citations"] = block.citations
        return text
    if isinstance(block, Thinking):
        return {"type": "thinking", "thinking": block.text, "signature": block.signature or ""}
    if isinstance(block, RedactedThinking):
        return {"type": "redacted_thinking", "data": block.data}
    if isinstance(block, ToolCall):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": arguments_object(block)}
    if isinstance(block, Opaque) and block.protocol == ANTHROPIC:
        return block.raw
    return None
