"""Checks for what the Responses codec writes, judged by the openai SDK's own types: its
`Response` model and stream event union validated strictly (a missing field, a field of the
wrong type or a field the SDK does not know fails), its request parameters, and its own
stream accumulator (`ResponseStreamState`), which is what `client.responses.stream` runs.

On top of the types, the rules Codex CLI relies on: `response.created` first, every item's
`response.output_item.added` before any other event of that item (same `item_id` and
`output_index`), `sequence_number` strictly increasing, exactly one ending event, last.
"""

from __future__ import annotations

import json

from openai import omit
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import Response, ResponseStreamEvent
from openai.types.responses.response_create_params import ResponseCreateParamsNonStreaming, ResponseCreateParamsStreaming
from pydantic import BaseModel, TypeAdapter

from anyrouter_core.sse import SSEDecoder
from unit.checks_openai_to_anthropic import _materialize

_EVENT = TypeAdapter(ResponseStreamEvent)
_NON_STREAMING = TypeAdapter(ResponseCreateParamsNonStreaming)
_STREAMING = TypeAdapter(ResponseCreateParamsStreaming)
_REQUEST_KEYS = ResponseCreateParamsNonStreaming.__required_keys__ | ResponseCreateParamsNonStreaming.__optional_keys__
ENDINGS = ("response.completed", "response.incomplete", "response.failed")
# Codes Codex classifies that the SDK's `ResponseError.code` does not list yet.
CODEX_ONLY_CODES = ("context_length_exceeded", "insufficient_quota")


def assert_no_unknown_fields(model: object, where: str = "") -> None:
    """Every field of the validated value is one the SDK declares, all the way down."""
    if isinstance(model, BaseModel):
        extra = model.model_extra or {}
        assert not extra, f"fields the SDK does not know at {where or 'top'}: {sorted(extra)}"
        for name in type(model).model_fields:
            assert_no_unknown_fields(getattr(model, name), f"{where}.{name}")
    elif isinstance(model, (list, tuple)):
        for index, item in enumerate(model):
            assert_no_unknown_fields(item, f"{where}[{index}]")


def validated_response(body: dict) -> Response:
    response = Response.model_validate(body, strict=True)
    assert_no_unknown_fields(response)
    return response


def assert_valid_request(body: dict) -> None:
    """A request body the SDK accepts, with one concession: the SDK's reasoning input item
    requires an `id`, which the API does not (Codex sends none with `store: false`)."""
    unknown = set(body) - _REQUEST_KEYS
    assert not unknown, f"not Responses request parameters: {unknown}"
    adapter = _STREAMING if body.get("stream") is True else _NON_STREAMING
    items = body.get("input")
    if isinstance(items, list):
        body = {**body, "input": [{"id": "rs_0", **item} if item.get("type") == "reasoning" else item for item in items]}
    _materialize(adapter.validate_python(body))


def stream_events(body: bytes) -> list[dict]:
    """The events of a Responses stream, each checked: named after its type, valid for the
    SDK with no unknown field, numbered in order; then the order Codex needs."""
    assert body.endswith(b"\n\n"), "the body must end at an event boundary"
    decoder = SSEDecoder()
    raw = decoder.feed(body) + decoder.end()
    events = [json.loads(event.data) for event in raw]
    for event, data in zip(raw, events):
        assert event.event == data["type"], f"event name {event.event!r} differs from type {data['type']!r}"
        if data["type"] == "response.failed" and data["response"]["error"]["code"] in CODEX_ONLY_CODES:
            continue
        assert_no_unknown_fields(_EVENT.validate_python(data, strict=True), data["type"])
    numbers = [event["sequence_number"] for event in events]
    assert numbers == sorted(set(numbers)), f"sequence numbers not strictly increasing: {numbers}"
    _check_order(events)
    return events


def _check_order(events: list[dict]) -> None:
    assert events and events[0]["type"] == "response.created", "response.created comes first"
    response_id = events[0]["response"]["id"]
    assert response_id.startswith("resp_")
    assert [event["type"] for event in events].count("response.created") == 1
    endings = [position for position, event in enumerate(events) if event["type"] in ENDINGS]
    assert endings == [len(events) - 1], "exactly one ending event, the last one"
    added: dict[str, int] = {}
    done: set[str] = set()
    for event in events:
        if event["type"] == "response.output_item.added":
            item_id = event["item"]["id"]
            assert item_id not in added, f"item {item_id} added twice"
            assert event["output_index"] == len(added), "items are numbered in order"
            added[item_id] = event["output_index"]
        elif "item_id" in event:
            assert event["item_id"] in added, f"{event['type']} before its item was added"
            assert event["output_index"] == added[event["item_id"]]
            assert event["item_id"] not in done, f"{event['type']} after its item was done"
        elif event["type"] == "response.output_item.done":
            assert added.get(event["item"]["id"]) == event["output_index"]
            done.add(event["item"]["id"])
        if "response" in event:
            assert event["response"]["id"] == response_id


def accumulate(events: list[dict]) -> Response:
    """The response the openai SDK's stream state builds from the events (the final one)."""
    state = ResponseStreamState(input_tools=omit, text_format=omit)
    final = None
    for data in events:
        for event in state.handle_event(_EVENT.validate_python(data)):
            if event.type in ENDINGS:
                final = event.response
    assert final is not None, "the stream has no ending"
    return final
