"""A finished OpenAI `chat.completion` ↔ a neutral `Answer`, and what its stream halves share.

Decoding: a body that is not a chat completion (not an object, no choices, a choice without a
message, tool calls that are not a list of objects) raises `RequestRejected` with a 502
`api_error`, as does a tool call without a function name; an `{"error": ...}` body sent with
HTTP 200 raises the upstream's own error, also as 502. The addon renders either as the
client's error, never as a half-made answer.

Choices:
- Only choice 0 is read (a translated request never asks for more).
- Thinking comes from `reasoning_content` (llama.cpp, DeepSeek, vLLM) or `reasoning`
  (OpenRouter, Ollama), unsigned. Content given as parts (some servers answer like clients
  ask) is joined. A refusal is a text block marked `refusal`, and the answer stops with
  `refusal`.
- Tool-call arguments that are not a JSON object are kept as sent in `raw_arguments`; a call
  without an id gets a `toolu_…` one. Stop reasons: see `finish_reasons.py`.
- Encoding: the completion id is `exchange.answer_id`, else an upstream `chatcmpl-` id kept,
  else `chatcmpl-` + the upstream id without its `msg_` prefix (stable, so a completion can
  be traced to its upstream answer). `created` is the upstream's, else the exchange's; the
  model is the one the client asked for. `content` is null when the answer is only tool calls
  or a refusal; thinking is `reasoning_content`; blocks OpenAI cannot carry are left out.
"""

from __future__ import annotations

import json
import secrets

from . import NAME as OPENAI
from ...errors import RequestRejected, parse_upstream_error
from ...neutral import Answer, Block, Text, Thinking, ToolCall, Usage
from ..base import Exchange
from ..event_stream import arguments_text, extra_fields, rejected, with_extra
from .finish_reasons import finish_reason_for, matched_stop_sequence, neutral_stop
from .usage import openai_usage, usage_from_openai


_KNOWN_FIELDS = frozenset({"id", "object", "created", "model", "choices", "usage"})


def not_a_completion() -> RequestRejected:
    return rejected(502, "the upstream answered with something that is not a chat completion")


def upstream_garbage(problem: str) -> RequestRejected:
    return rejected(502, f"the upstream answered with an invalid chat completion: {problem}")


def new_tool_use_id() -> str:
    return "toolu_" + secrets.token_hex(12)


def completion_id_for(upstream_id: str) -> str:
    """`msg_01Abc` → `chatcmpl-01Abc`; a `chatcmpl-` id stays as it is."""
    if upstream_id.startswith("chatcmpl-"):
        return upstream_id
    return "chatcmpl-" + (upstream_id.removeprefix("msg_") or secrets.token_hex(12))


def completion_id(upstream_id: str, exchange: Exchange) -> str:
    return exchange.answer_id or completion_id_for(upstream_id)


def reasoning_text(message_or_delta: dict) -> str:
    """Reasoning under either name servers use for it; "" when there is none."""
    for key in ("reasoning_content", "reasoning"):
        value = message_or_delta.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def tool_call(call_id: str, name: str, arguments: object) -> ToolCall:
    if isinstance(arguments, dict):
        return ToolCall(call_id, name, arguments)
    if not isinstance(arguments, str) or not arguments.strip():
        return ToolCall(call_id, name)
    try:
        parsed = json.loads(arguments)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return ToolCall(call_id, name, parsed)
    return ToolCall(call_id, name, raw_arguments=arguments)


# ---------------------------------------------------------------- decoding


def decode_answer(body: object, exchange: Exchange) -> Answer:
    choice = _first_choice(body)
    message = choice["message"]
    blocks: list[Block] = []
    thinking = reasoning_text(message)
    if thinking:
        blocks.append(Thinking(thinking))
    text = _message_text(message)
    if text:
        blocks.append(Text(text))
    refusal = message.get("refusal")
    refused = isinstance(refusal, str) and bool(refusal)
    if refused:
        blocks.append(Text(refusal, refusal=True))
    calls = _tool_calls(message.get("tool_calls"))
    blocks += calls
    finish_reason = choice.get("finish_reason")
    stop_reason, stop_sequence = neutral_stop(
        finish_reason if isinstance(finish_reason, str) else None,
        matched_stop_sequence(choice, text, exchange.stop_sequences),
        used_tools=bool(calls),
        refused=refused,
    )
    usage = body.get("usage")  # type: ignore[union-attr]
    return Answer(
        id=string_or(body, "id", ""),
        model=string_or(body, "model", ""),
        blocks=blocks,
        stop_reason=stop_reason,
        stop_sequence=stop_sequence,
        usage=usage_from_openai(usage) if isinstance(usage, dict) else Usage(),
        created=created_of(body),
        protocol=OPENAI,
        extra=extra_fields(body, _KNOWN_FIELDS),  # type: ignore[arg-type]
    )


def _first_choice(body: object) -> dict:
    if not isinstance(body, dict):
        raise not_a_completion()
    if "error" in body:
        raise RequestRejected(parse_upstream_error(502, "application/json", json.dumps(body).encode()))
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise not_a_completion()
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise not_a_completion()
    calls = message.get("tool_calls")
    if calls is not None and not (isinstance(calls, list) and all(isinstance(call, dict) for call in calls)):
        raise not_a_completion()
    return choices[0]


def _message_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _tool_calls(calls: list[dict] | None) -> list[ToolCall]:
    decoded = []
    for position, call in enumerate(calls or ()):
        function = call.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str) or not name:
            raise upstream_garbage(f"tool call {position} has no function name")
        call_id = call.get("id")
        call_id = call_id if isinstance(call_id, str) and call_id else new_tool_use_id()
        decoded.append(tool_call(call_id, name, function.get("arguments")))  # type: ignore[union-attr]
    return decoded


def string_or(body: dict, key: str, default: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else default


def created_of(body: dict) -> int | None:
    created = body.get("created")
    return created if isinstance(created, int) and not isinstance(created, bool) else None


# ---------------------------------------------------------------- encoding


def encode_answer(answer: Answer, exchange: Exchange) -> dict:
    texts = [block.text for block in answer.blocks if isinstance(block, Text) and not block.refusal]
    refusals = [block.text for block in answer.blocks if isinstance(block, Text) and block.refusal]
    reasoning = [block.text for block in answer.blocks if isinstance(block, Thinking)]
    calls = [block for block in answer.blocks if isinstance(block, ToolCall)]
    reply: dict = {
        "role": "assistant",
        "content": None if (calls or refusals) and not texts else "".join(texts),
        "refusal": "".join(refusals) or None,
    }
    if reasoning:
        reply["reasoning_content"] = "".join(reasoning)
    if calls:
        reply["tool_calls"] = [openai_tool_call(call) for call in calls]
    finish_reason = finish_reason_for(answer.stop_reason) or ("tool_calls" if calls else "stop")
    return with_extra({
        "id": completion_id(answer.id, exchange),
        "object": "chat.completion",
        "created": answer.created if answer.created is not None else exchange.created,
        "model": exchange.model or answer.model,
        "choices": [{"index": 0, "message": reply, "logprobs": None, "finish_reason": finish_reason}],
        "usage": openai_usage(answer.usage),
    }, answer, OPENAI)


def openai_tool_call(call: ToolCall) -> dict:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": arguments_text(call)}}
