"""Checks shared by every test of an Anthropic SSE body the proxy produces.

`check_anthropic_stream` validates each event with the anthropic SDK's own types, enforces
the block-order rules (one block open at a time, indices 0, 1, 2 … in order, deltas of the
open block's kind, message_delta after the last block closes, message_stop last), then runs
the SDK's own accumulator and returns the final `Message` it builds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import anthropic.types
import pydantic
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types.shared import ErrorResponse

from anyrouter_core.sse import SSEDecoder

_EVENT = pydantic.TypeAdapter(anthropic.types.RawMessageStreamEvent)
_DELTA_BLOCK_TYPE = {
    "text_delta": "text",
    "citations_delta": "text",
    "thinking_delta": "thinking",
    "signature_delta": "thinking",
    "input_json_delta": "tool_use",
}


@dataclass
class CheckedStream:
    events: list[dict]
    message: anthropic.types.Message | None
    error: dict | None


def sse_events(body: bytes) -> list[tuple[str | None, dict]]:
    decoder = SSEDecoder()
    raw = decoder.feed(body) + decoder.end()
    assert all(event.data != "[DONE]" for event in raw), "Anthropic streams never carry [DONE]"
    return [(event.event, json.loads(event.data)) for event in raw]


def check_anthropic_stream(body: bytes) -> CheckedStream:
    assert body.endswith(b"\n\n"), "the body must end at an event boundary"
    named = sse_events(body)
    events = [data for _, data in named]
    for name, data in named:
        assert name == data["type"], f"event name {name!r} differs from data type {data['type']!r}"
    error = None
    if events and events[-1]["type"] == "error":
        error = events.pop()
        ErrorResponse.model_validate(error)
    assert all(event["type"] != "error" for event in events), "an error event must be the last one"
    _check_order(events, finished=error is None)
    message = _accumulate(events) if error is None else None
    return CheckedStream(events, message, error)


def _check_order(events: list[dict], *, finished: bool) -> None:
    if not events:
        assert not finished, "an empty stream must end with an error"
        return
    assert events[0]["type"] == "message_start"
    open_index: int | None = None
    open_type: str | None = None
    next_index = 0
    seen_delta = seen_stop = False
    for event in events:
        _EVENT.validate_python(event)
        kind = event["type"]
        assert not seen_stop, "nothing may follow message_stop"
        if kind == "message_start":
            assert event is events[0], "message_start comes once, first"
        elif kind == "content_block_start":
            assert not seen_delta, "no block may start after message_delta"
            assert open_index is None, "a block started while another was open"
            assert event["index"] == next_index, "block indices must be consecutive from 0"
            open_index, open_type = event["index"], event["content_block"]["type"]
            next_index += 1
        elif kind == "content_block_delta":
            assert event["index"] == open_index, "a delta must target the open block"
            assert _DELTA_BLOCK_TYPE[event["delta"]["type"]] == open_type
        elif kind == "content_block_stop":
            assert event["index"] == open_index, "a stop must close the open block"
            open_index = open_type = None
        elif kind == "message_delta":
            assert open_index is None, "message_delta while a block is open"
            assert not seen_delta, "message_delta comes once"
            seen_delta = True
        elif kind == "message_stop":
            assert seen_delta, "message_stop before message_delta"
            seen_stop = True
    if finished:
        assert seen_stop, "a finished stream ends with message_stop"


def _accumulate(events: list[dict]) -> anthropic.types.Message:
    snapshot = None
    json_bufs: dict[int, bytes] = {}
    for event in events:
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
    return anthropic.types.Message.model_validate(snapshot.model_dump())
