"""Model map: parsing the option, and the client's own name back in bodies and streams."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyrouter_core.model_map import (
    ModelRenameStream,
    parse_model_map,
    rename_model_in_body,
    rename_model_in_event,
)
from anyrouter_core.sse import SSEDecoder, SSEEvent, encode_event

CLIENT = "claude-sonnet-4-6"
UPSTREAM = "claude-sonnet-4-5-20250929"


def test_parse_pairs_with_blanks_and_empty_entries():
    assert parse_model_map(" a = b ,c=d/e:latest,, ") == {"a": "b", "c": "d/e:latest"}
    assert parse_model_map("") == {}
    assert parse_model_map("a=b=c") == {"a": "b=c"}
    assert parse_model_map("a=b,a=b") == {"a": "b"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a=b,gpt-4o", "entry 2 ('gpt-4o') must be client-name=upstream-name, with both names"),
        ("=b", "entry 1 ('=b') must be client-name=upstream-name, with both names"),
        ("a= ", "entry 1 ('a=') must be client-name=upstream-name, with both names"),
        ("a=b, a=c", "'a' is mapped twice: to 'b' and to 'c'"),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(ValueError) as caught:
        parse_model_map(text)
    assert str(caught.value) == message


def test_rename_in_body_only_when_it_has_a_model():
    body = {"id": "msg_1", "model": UPSTREAM}
    assert rename_model_in_body("anthropic", body, CLIENT) and body == {"id": "msg_1", "model": CLIENT}
    error = {"type": "error", "error": {"message": "x"}}
    assert not rename_model_in_body("anthropic", error, CLIENT) and error == {"type": "error", "error": {"message": "x"}}
    gemini = {"candidates": [], "modelVersion": UPSTREAM, "responseId": "r1"}
    assert rename_model_in_body("gemini", gemini, CLIENT) and gemini == {"candidates": [], "modelVersion": CLIENT, "responseId": "r1"}
    assert not rename_model_in_body("gemini", {"model": UPSTREAM}, CLIENT)


def test_rename_in_events():
    start = {"type": "message_start", "message": {"id": "m", "model": UPSTREAM}}
    assert rename_model_in_event("anthropic", start, CLIENT) and start["message"]["model"] == CLIENT
    delta = {"type": "message_delta", "model": UPSTREAM}
    assert not rename_model_in_event("anthropic", delta, CLIENT) and delta["model"] == UPSTREAM
    chunk = {"id": "c", "model": UPSTREAM, "choices": []}
    assert rename_model_in_event("openai", chunk, CLIENT) and chunk["model"] == CLIENT


ANTHROPIC_EVENTS = [
    ("message_start", {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
                                                             "model": UPSTREAM, "content": [], "usage": {"input_tokens": 3}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ("ping", {"type": "ping"}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "text_delta", "text": f"I am not {UPSTREAM}, héllo"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 4}}),
    ("message_stop", {"type": "message_stop"}),
]
OPENAI_CHUNKS = [
    {"id": "c1", "object": "chat.completion.chunk", "model": UPSTREAM,
     "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
    {"id": "c1", "object": "chat.completion.chunk", "model": UPSTREAM,
     "choices": [{"index": 0, "delta": {"content": "wörld\nline"}}]},
    {"id": "c1", "object": "chat.completion.chunk", "model": UPSTREAM,
     "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
]


def anthropic_stream() -> bytes:
    return b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in ANTHROPIC_EVENTS)


def openai_stream() -> bytes:
    return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in OPENAI_CHUNKS) + b"data: [DONE]\n\n"


def decode(raw: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    return decoder.feed(raw) + decoder.end()


def rename(protocol: str, pieces: list[bytes]) -> bytes:
    stream = ModelRenameStream(protocol, CLIENT)
    return b"".join(stream.feed(piece) for piece in pieces) + stream.end()


def test_anthropic_stream_only_message_start_changes():
    events = decode(rename("anthropic", [anthropic_stream()]))
    assert [e.event for e in events] == [name for name, _ in ANTHROPIC_EVENTS]
    datas = [json.loads(e.data) for e in events]
    expected = json.loads(json.dumps([data for _, data in ANTHROPIC_EVENTS]))
    expected[0]["message"]["model"] = CLIENT
    assert datas == expected


def test_openai_stream_every_chunk_renamed_and_done_kept():
    events = decode(rename("openai", [openai_stream()]))
    assert events[-1] == SSEEvent(None, "[DONE]")
    chunks = [json.loads(e.data) for e in events[:-1]]
    assert [c["model"] for c in chunks] == [CLIENT] * 3
    assert [c["choices"] for c in chunks] == [c["choices"] for c in OPENAI_CHUNKS]


def test_each_event_leaves_as_soon_as_it_is_complete():
    stream = ModelRenameStream("openai", CLIENT)
    first = f"data: {json.dumps(OPENAI_CHUNKS[0])}\n".encode()
    assert stream.feed(first) == b""
    out = stream.feed(b"\n")
    assert json.loads(decode(out)[0].data)["model"] == CLIENT
    assert stream.feed(b"data: [DO") == b""
    assert stream.feed(b"NE]\n\n") == b"data: [DONE]\n\n"
    assert stream.end() == b""


def test_data_that_is_not_json_and_a_last_event_without_blank_line():
    out = rename("openai", [b'data: {"model": broken\n\n', b'data: {"model":"x"}'])
    assert out == b'data: {"model": broken\n\n' + encode_event(json.dumps({"model": CLIENT}, separators=(",", ":")))


def test_unknown_protocol():
    with pytest.raises(ValueError):
        ModelRenameStream("klingon", CLIENT)


@given(st.sampled_from(["anthropic", "openai"]), st.data())
def test_any_split_of_the_body_gives_the_same_output(protocol, data):
    body = anthropic_stream() if protocol == "anthropic" else openai_stream()
    body = body.replace(b"\n", b"\r\n") if data.draw(st.booleans()) else body
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=12)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)])]
    whole = rename(protocol, [body])
    assert rename(protocol, pieces) == whole
    events = decode(whole)
    models = [json.loads(e.data).get("model") or json.loads(e.data).get("message", {}).get("model")
              for e in events if e.data != "[DONE]"]
    assert UPSTREAM not in models and CLIENT in models


@pytest.mark.parametrize(
    ("protocol", "error"),
    [
        ("anthropic", SSEEvent("error", '{"type": "error", "error": {"type": "api_error", "message": "%s"}}')),
        ("openai", SSEEvent(None, '{"error": {"message": "%s", "type": "server_error", "param": null, "code": null}}')),
    ],
)
def test_an_event_past_max_event_size_ends_with_an_error_event_of_the_protocol(protocol, error):
    stream = ModelRenameStream(protocol, CLIENT, max_event_size=1024)
    first = anthropic_stream() if protocol == "anthropic" else openai_stream()
    first_event = first[: first.index(b"\n\n") + 2]
    out = stream.feed(first_event + b"data: " + b"x" * 2048)
    message = "the upstream sent an event bigger than the 1024 bytes (1 KiB) allowed (max_event_size)"
    events = decode(out)
    assert len(events) == 2  # the event completed before the overflow, then the error
    assert events[1] == SSEEvent(error.event, error.data % message)
    assert stream.error is not None and stream.error.message == message
    assert stream.feed(b"\n\n" + first) == b""
    assert stream.end() == b""
