"""OpenAI chat completion body → Anthropic `message` body, and the pieces the stream shares.

Upstream garbage: a body that is not a chat completion (not an object, no `choices`, a
choice without a `message`, a tool call without a function name) raises
`RequestRejected(ProxyError(502, ..., "api_error"))`; an `{"error": ...}` body that came
with HTTP 200 raises the upstream's own error read by `parse_upstream_error`, also as 502.
The addon renders either as the client's error, never as a half-made message.

Choices where the protocols leave room:
- Thinking comes from `reasoning_content` (llama.cpp, DeepSeek, vLLM) or `reasoning`
  (OpenRouter, Ollama); its `signature` is "" because the SDK type requires a string and
  nothing upstream can sign it.
- Tool-call arguments that are not a JSON object are kept whole as
  `{"_raw_arguments": "<text>"}`: the client's tool validation then reports the bad call
  back to the model instead of the proxy silently losing it.
- `stop_sequence` is reported only when it is known which sequence stopped the output: the
  choice names it (`stop_reason` in vLLM, `matched_stop` in SGLang) or the text still ends
  with it (servers that do not strip it). OpenAI and llama.cpp say only "stop"; that is
  `end_turn`.
- A `stop` finish with tool calls in the output is `tool_use` (some servers say "stop"
  there); a `refusal` from the upstream is a text block and stop reason `refusal`.
"""

from __future__ import annotations

import json
import secrets

from .errors import ProxyError, RequestRejected, parse_upstream_error
from .stop_reasons import stop_reason_for
from .usage import anthropic_usage_from_openai

RAW_ARGUMENTS_KEY = "_raw_arguments"


def anthropic_message_from_openai(
    completion: dict,
    *,
    client_model: str,
    stop_sequences: list[str] | None = None,
    message_id: str | None = None,
) -> dict:
    choice = _first_choice(completion)
    message = choice["message"]
    content: list[dict] = []
    thinking = reasoning_text(message)
    if thinking:
        content.append({"type": "thinking", "thinking": thinking, "signature": ""})
    text = _message_text(message)
    if text:
        content.append({"type": "text", "text": text})
    refusal = message.get("refusal")
    refused = isinstance(refusal, str) and bool(refusal)
    if refused:
        content.append({"type": "text", "text": refusal})
    tool_uses = _tool_uses(message.get("tool_calls"))
    content += tool_uses
    finish_reason = choice.get("finish_reason")
    stop_reason, stop_sequence = anthropic_stop(
        finish_reason if isinstance(finish_reason, str) else None,
        matched_stop_sequence(choice, text, stop_sequences),
        used_tools=bool(tool_uses),
        refused=refused,
    )
    return {
        "id": message_id or new_message_id(),
        "type": "message",
        "role": "assistant",
        "model": client_model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": anthropic_usage_from_openai(_usage_or_none(completion.get("usage"))),
    }


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(12)


def new_tool_use_id() -> str:
    return "toolu_" + secrets.token_hex(12)


def upstream_garbage(message: str) -> RequestRejected:
    return RequestRejected(ProxyError(502, message, "api_error"))


def reasoning_text(message_or_delta: dict) -> str:
    """Reasoning under either name servers use for it; "" when there is none."""
    for key in ("reasoning_content", "reasoning"):
        value = message_or_delta.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def tool_input_from_arguments(arguments: object) -> dict:
    if isinstance(arguments, dict):
        return arguments
    if not isinstance(arguments, str) or not arguments.strip():
        return {}
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return {RAW_ARGUMENTS_KEY: arguments}
    return parsed if isinstance(parsed, dict) else {RAW_ARGUMENTS_KEY: arguments}


def matched_stop_sequence(choice: dict, text: str, stop_sequences: list[str] | None) -> str | None:
    """Which of the client's stop sequences ended the output, when that is known."""
    sequences = [sequence for sequence in stop_sequences or () if isinstance(sequence, str) and sequence]
    if not sequences:
        return None
    for key in ("stop_reason", "matched_stop"):
        named = choice.get(key)
        if isinstance(named, str) and named in sequences:
            return named
    endings = [sequence for sequence in sequences if text.endswith(sequence)]
    return max(endings, key=len) if endings else None


def anthropic_stop(
    finish_reason: str | None, matched: str | None, *, used_tools: bool, refused: bool
) -> tuple[str, str | None]:
    """(stop_reason, stop_sequence) for the end of an OpenAI choice."""
    if refused:
        return "refusal", None
    if used_tools and finish_reason in (None, "stop"):
        return "tool_use", None
    stop_reason = stop_reason_for(finish_reason, matched)
    return stop_reason, matched if stop_reason == "stop_sequence" else None


def _first_choice(completion: object) -> dict:
    if not isinstance(completion, dict):
        raise upstream_garbage("upstream answered with a body that is not a chat completion object")
    if "error" in completion:
        raise RequestRejected(parse_upstream_error(502, "application/json", json.dumps(completion).encode()))
    choices = completion.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise upstream_garbage("upstream chat completion has no choices")
    if not isinstance(choices[0].get("message"), dict):
        raise upstream_garbage("upstream chat completion choice has no message")
    return choices[0]


def _message_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        # Some servers answer with content parts, like the ones clients send.
        return "".join(
            part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _tool_uses(tool_calls: object) -> list[dict]:
    if not isinstance(tool_calls, list):
        return []
    blocks = []
    for position, call in enumerate(tool_calls):
        function = call.get("function") if isinstance(call, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str) or not name:
            raise upstream_garbage(f"upstream tool call {position} has no function name")
        call_id = call.get("id")
        blocks.append({
            "type": "tool_use",
            "id": call_id if isinstance(call_id, str) and call_id else new_tool_use_id(),
            "name": name,
            "input": tool_input_from_arguments(function.get("arguments")),
        })
    return blocks


def _usage_or_none(usage: object) -> dict | None:
    return usage if isinstance(usage, dict) else None
