"""A finished Anthropic `message` → the SSE body a streaming Anthropic client expects.

For when the proxy asked the upstream without streaming but the client asked for a stream.
Each block is sent whole in one delta: text as one `text_delta`, thinking as one
`thinking_delta` (then a `signature_delta` when it has a signature), a tool call's input as
one `input_json_delta`. Block types that Anthropic itself streams whole (redacted thinking,
server tool results …) are sent complete in their `content_block_start`.
"""

from __future__ import annotations

import json

from .sse import encode_event

# The usage fields a `message_delta` may carry (the SDK's MessageDeltaUsage).
_DELTA_USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "server_tool_use",
    "output_tokens_details",
)


def anthropic_stream_from_message(message: dict) -> bytes:
    content = message.get("content") or []
    usage = message.get("usage") or {}
    events = [_message_start(message, usage)]
    for index, block in enumerate(content):
        events += _block_events(index, block)
    delta_usage = {name: usage[name] for name in _DELTA_USAGE_FIELDS if usage.get(name) is not None}
    delta_usage.setdefault("output_tokens", 0)
    events.append({
        "type": "message_delta",
        "delta": {"stop_reason": message.get("stop_reason"), "stop_sequence": message.get("stop_sequence")},
        "usage": delta_usage,
    })
    events.append({"type": "message_stop"})
    return b"".join(anthropic_event_bytes(event) for event in events)


def anthropic_event_bytes(payload: dict) -> bytes:
    """One Anthropic SSE event (`event:` named after the payload's type), in compact JSON."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        return encode_event(data, event=payload["type"])
    except UnicodeEncodeError:
        # A lone surrogate (legal in JSON escapes, not in UTF-8) must stay escaped.
        return encode_event(json.dumps(payload, separators=(",", ":")), event=payload["type"])


def _message_start(message: dict, usage: dict) -> dict:
    start_usage = {name: value for name, value in usage.items() if name != "output_tokens"}
    start_usage["output_tokens"] = 0
    start_usage.setdefault("input_tokens", 0)
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None, "usage": start_usage}
    return {"type": "message_start", "message": start}


def _block_events(index: int, block: dict) -> list[dict]:
    kind = block.get("type")
    deltas: list[dict] = []
    if kind == "text":
        start = {"type": "text", "text": ""}
        if block.get("text"):
            deltas.append({"type": "text_delta", "text": block["text"]})
        for citation in block.get("citations") or ():
            deltas.append({"type": "citations_delta", "citation": citation})
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        if block.get("thinking"):
            deltas.append({"type": "thinking_delta", "thinking": block["thinking"]})
        if block.get("signature"):
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind == "tool_use":
        start = {**block, "input": {}}
        partial_json = json.dumps(block.get("input") or {}, ensure_ascii=False)
        deltas.append({"type": "input_json_delta", "partial_json": partial_json})
    else:
        start = block
    return [
        {"type": "content_block_start", "index": index, "content_block": start},
        *({"type": "content_block_delta", "index": index, "delta": delta} for delta in deltas),
        {"type": "content_block_stop", "index": index},
    ]
