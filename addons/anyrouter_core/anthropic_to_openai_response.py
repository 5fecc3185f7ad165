"""A finished Anthropic Message → an OpenAI `chat.completion`.

An upstream body that is not a Message (garbage from a relay, a truncated body, an error
object sent with status 200) raises `RequestRejected` carrying a 502 `ProxyError`: the addon
already answers every `RequestRejected` with an error in the client's own shape, so upstream
garbage needs no other path. `upstream_garbage()` builds that error and is shared with the
stream translator, which writes the same error as a chunk instead of raising it.
"""

from __future__ import annotations

import json

from .errors import ProxyError, RequestRejected, parse_upstream_error
from .stop_reasons import finish_reason_for
from .usage import openai_usage_from_anthropic

# An error object that arrives without an HTTP error status (inside a stream, or in a 200 body)
# gets the status its type stands for; only these change which OpenAI error type the client sees.
_STATUS_BY_ERROR_TYPE = {
    "overloaded_error": 529,
    "request_too_large": 413,
    "billing_error": 402,
}


def error_without_status(raw: bytes) -> ProxyError:
    """A `{"type":"error","error":{...}}` body that came with no HTTP status of its own."""
    error = parse_upstream_error(502, "application/json", raw)
    status = _STATUS_BY_ERROR_TYPE.get(error.type or "", 502)
    return ProxyError(status, error.message, error.type, error.param, error.code)


def upstream_garbage(problem: str) -> ProxyError:
    return ProxyError(502, f"the upstream answered with an invalid Anthropic message: {problem}", "api_error")


def completion_id_for(anthropic_id: str) -> str:
    """`msg_01Abc` → `chatcmpl-01Abc`: stable, so a completion can be traced to its upstream id."""
    return "chatcmpl-" + anthropic_id.removeprefix("msg_")


def tool_arguments_json(arguments: dict) -> str:
    return json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))


def openai_completion_from_anthropic(message: dict, *, client_model: str, created: int) -> dict:
    if not isinstance(message, dict):
        raise RequestRejected(upstream_garbage("the body is not a JSON object"))
    if message.get("type") == "error":
        raise RequestRejected(error_without_status(json.dumps(message).encode()))
    message_id = message.get("id")
    if not isinstance(message_id, str) or not message_id:
        raise RequestRejected(upstream_garbage("no id"))
    usage = message.get("usage")
    if usage is not None and not isinstance(usage, dict):
        raise RequestRejected(upstream_garbage("usage is not an object"))
    stop_reason = message.get("stop_reason")
    if stop_reason is not None and not isinstance(stop_reason, str):
        raise RequestRejected(upstream_garbage("stop_reason is not a string"))

    text, reasoning, tool_calls = _read_content(message.get("content"))
    reply: dict = {
        "role": "assistant",
        "content": None if tool_calls and not text else "".join(text),
        "refusal": None,
    }
    if reasoning:
        reply["reasoning_content"] = "".join(reasoning)
    if tool_calls:
        reply["tool_calls"] = tool_calls
    finish_reason = finish_reason_for(stop_reason) or ("tool_calls" if tool_calls else "stop")
    return {
        "id": completion_id_for(message_id),
        "object": "chat.completion",
        "created": created,
        "model": client_model,
        "choices": [{"index": 0, "message": reply, "logprobs": None, "finish_reason": finish_reason}],
        "usage": openai_usage_from_anthropic(usage),
    }


def _read_content(content: object) -> tuple[list[str], list[str], list[dict]]:
    """(text pieces, thinking pieces, OpenAI tool calls) in the order the blocks came."""
    if not isinstance(content, list):
        raise RequestRejected(upstream_garbage("content is not a list"))
    text: list[str] = []
    reasoning: list[str] = []
    tool_calls: list[dict] = []
    for index, block in enumerate(content):
        if not isinstance(block, dict):
            raise RequestRejected(upstream_garbage(f"content[{index}] is not an object"))
        kind = block.get("type")
        if kind == "text":
            text.append(_string_field(block, "text", index))
        elif kind == "thinking":
            reasoning.append(_string_field(block, "thinking", index))
        elif kind == "tool_use":
            tool_calls.append(_tool_call(block, index))
        # Other blocks (redacted thinking, server tools and their results) have no OpenAI form.
    return text, reasoning, tool_calls


def _string_field(block: dict, key: str, index: int) -> str:
    value = block.get(key)
    if not isinstance(value, str):
        raise RequestRejected(upstream_garbage(f"content[{index}].{key} is not a string"))
    return value


def _tool_call(block: dict, index: int) -> dict:
    call_id = _string_field(block, "id", index)
    name = _string_field(block, "name", index)
    arguments = block.get("input", {})
    if not isinstance(arguments, dict):
        raise RequestRejected(upstream_garbage(f"content[{index}].input is not an object"))
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": tool_arguments_json(arguments)},
    }
