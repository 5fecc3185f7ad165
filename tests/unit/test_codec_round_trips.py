"""Each codec decodes and re-encodes answers and streams of its own protocol without losing a
field: the recorded answers and streams of both sides of every recording, and hand-made ones
with what the recordings lack (signed thinking, redacted thinking, cache usage, stop
sequences, several tool calls, reasoning tokens, a refusal).

"Loses no field": every field of the original is in the re-encoded answer with the same
value (a codec may add what its protocol always carries, such as zero cache counts); tool
arguments are compared as JSON; a stream is compared by what the official SDK's accumulator
makes of it, and by its sequence of messages and blocks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anthropic_stream_checks import check_anthropic_stream
from anyrouter_core.codecs.anthropic import answer as anthropic_answer
from anyrouter_core.codecs.anthropic.stream_decoder import AnthropicStreamDecoder
from anyrouter_core.codecs.anthropic.stream_encoder import AnthropicStreamEncoder
from anyrouter_core.codecs.base import Exchange
from anyrouter_core.codecs.openai_chat import answer as openai_answer
from anyrouter_core.codecs.openai_chat.stream_decoder import OpenAIChatStreamDecoder
from anyrouter_core.codecs.openai_chat.stream_encoder import OpenAIChatStreamEncoder
from anyrouter_core.sse import encode_event
from anyrouter_core.stream_translation import StreamTranslator
from recordings.flows import is_event_stream, read_flows
from unit.checks_openai_to_anthropic import accumulate, anthropic_stream, read_openai_stream, sse_payloads

RECORDINGS = Path(__file__).parent.parent / "recordings"
ANTHROPIC, OPENAI = "anthropic", "openai"


def recorded(kind: str) -> list[tuple[str, str, bytes]]:
    """(protocol, name, body) of every recorded answer (`kind` "answer") or stream."""
    found = []
    for path in sorted(RECORDINGS.glob("*/*.mitm")):
        for number, flow in enumerate(read_flows(path)):
            if flow.response is None or flow.response.status_code != 200:
                continue
            if is_event_stream(flow.response) != (kind == "stream"):
                continue
            protocol = ANTHROPIC if flow.request.path.startswith("/v1/messages") else OPENAI
            name = f"{path.parent.name}/{path.stem}/{number}"
            found.append((protocol, name, flow.response.get_content(strict=False) or b""))
    return found


# ---------------------------------------------------------------- comparing


def assert_kept(original: object, copy: object, where: str = "") -> None:
    """Every field of `original` is in `copy` with the same value."""
    if isinstance(original, dict):
        assert isinstance(copy, dict), where
        for key, value in original.items():
            if value is None:
                assert copy.get(key) is None, f"{where}.{key}"
            elif key == "arguments" and isinstance(value, str):
                assert _as_json(copy.get(key)) == _as_json(value), f"{where}.{key}"
            else:
                assert key in copy, f"{where}.{key} lost"
                assert_kept(value, copy[key], f"{where}.{key}")
    elif isinstance(original, list):
        assert isinstance(copy, list) and len(copy) == len(original), where
        for index, (item, copied) in enumerate(zip(original, copy)):
            assert_kept(item, copied, f"{where}[{index}]")
    else:
        assert copy == original, f"{where}: {copy!r} != {original!r}"


def _as_json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text


def same_protocol_exchange(answer: dict) -> Exchange:
    """The client asked for the answer's model, and the answer's id is the one to use (each
    encoder otherwise makes ids in its own form, which is policy, not content)."""
    return Exchange(model=answer.get("model", ""), answer_id=answer.get("id"))


def round_trip_answer(protocol: str, body: dict) -> dict:
    codec = anthropic_answer if protocol == ANTHROPIC else openai_answer
    exchange = same_protocol_exchange(body)
    return codec.encode_answer(codec.decode_answer(body, exchange), exchange)


def round_trip_stream(protocol: str, body: bytes, exchange: Exchange) -> bytes:
    if protocol == ANTHROPIC:
        translator = StreamTranslator(AnthropicStreamDecoder(exchange), AnthropicStreamEncoder(exchange))
    else:
        translator = StreamTranslator(OpenAIChatStreamDecoder(exchange), OpenAIChatStreamEncoder(exchange))
    return translator.feed(body) + translator.end()


def assert_anthropic_stream_kept(body: bytes) -> None:
    original = check_anthropic_stream(body)
    start = original.events[0]["message"]
    copy = check_anthropic_stream(round_trip_stream(ANTHROPIC, body, same_protocol_exchange(start)))
    assert_kept(original.message.model_dump(exclude_none=True), copy.message.model_dump(exclude_none=True))
    assert _kinds(original.events) == _kinds(copy.events)


def assert_openai_stream_kept(body: bytes) -> None:
    chunks, ending = read_openai_stream(body)
    include_usage = any(chunk.get("usage") for chunk in chunks)
    copy_chunks, copy_ending = read_openai_stream(
        round_trip_stream(OPENAI, body, Exchange(model=chunks[0]["model"], include_usage=include_usage, answer_id=chunks[0]["id"]))
    )
    assert copy_ending == ending == "[DONE]"
    assert_kept(accumulate(chunks).model_dump(exclude_none=True), accumulate(copy_chunks).model_dump(exclude_none=True))
    assert {c["id"] for c in copy_chunks} == {chunks[0]["id"]}


def _kinds(events: list[dict]) -> list[tuple[str, str | None]]:
    """The events but deltas (their content is in the accumulated message, and an empty one
    carries nothing), with the kind of block each start opens."""
    return [(e["type"], e.get("content_block", {}).get("type")) for e in events if e["type"] != "content_block_delta"]


# ---------------------------------------------------------------- recordings


@pytest.mark.parametrize(("protocol", "name", "body"), recorded("answer"), ids=lambda value: value if isinstance(value, str) else "")
def test_recorded_answers_round_trip(protocol, name, body):
    original = json.loads(body)
    assert_kept(original, round_trip_answer(protocol, original))


@pytest.mark.parametrize(("protocol", "name", "body"), recorded("stream"), ids=lambda value: value if isinstance(value, str) else "")
def test_recorded_streams_round_trip(protocol, name, body):
    if protocol == ANTHROPIC:
        assert_anthropic_stream_kept(body)
    else:
        assert_openai_stream_kept(body)


def test_the_recordings_hold_answers_and_streams_of_both_protocols():
    assert {protocol for protocol, _, _ in recorded("answer")} == {ANTHROPIC, OPENAI}
    assert {protocol for protocol, _, _ in recorded("stream")} == {ANTHROPIC, OPENAI}


# ---------------------------------------------------------------- hand-made answers

RICH_MESSAGE = {
    "id": "msg_01Rich",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5",
    "content": [
        {"type": "thinking", "thinking": "Two cities.", "signature": "EqQBCkgIARABGAIiQ"},
        {"type": "redacted_thinking", "data": "ZW5jcnlwdGVk"},
        {"type": "text", "text": "Checking both.", "citations": [{"type": "char_location", "cited_text": "x",
                                                                  "document_index": 0, "start_char_index": 0,
                                                                  "end_char_index": 1, "document_title": None}]},
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "weather"}},
        {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
        {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {"city": "Zürich", "days": [1, 2]}},
        {"type": "tool_use", "id": "toolu_b", "name": "now", "input": {}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 3, "output_tokens": 9, "cache_read_input_tokens": 11008, "cache_creation_input_tokens": 20},
}
STOPPED_MESSAGE = {
    **RICH_MESSAGE,
    "content": [{"type": "text", "text": "one two END"}],
    "stop_reason": "stop_sequence",
    "stop_sequence": "END",
}
RICH_COMPLETION = {
    "id": "chatcmpl-rich",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "qwen3",
    "choices": [{
        "index": 0,
        "message": {
            "role": "assistant",
            "content": "Checking both.",
            "refusal": None,
            "reasoning_content": "Two cities.",
            "tool_calls": [
                {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
                {"id": "call_b", "type": "function", "function": {"name": "f", "arguments": "not json"}},
            ],
        },
        "logprobs": None,
        "finish_reason": "tool_calls",
    }],
    "usage": {
        "prompt_tokens": 12000, "completion_tokens": 50, "total_tokens": 12050,
        "prompt_tokens_details": {"cached_tokens": 11008, "cache_creation_tokens": 100},
        "completion_tokens_details": {"reasoning_tokens": 30},
    },
}
REFUSED_COMPLETION = {
    **RICH_COMPLETION,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "refusal": "I can't help with that."},
                 "logprobs": None, "finish_reason": "content_filter"}],
}


@pytest.mark.parametrize(("protocol", "body"), [
    (ANTHROPIC, RICH_MESSAGE), (ANTHROPIC, STOPPED_MESSAGE), (OPENAI, RICH_COMPLETION), (OPENAI, REFUSED_COMPLETION),
])
def test_hand_made_answers_round_trip(protocol, body):
    assert_kept(body, round_trip_answer(protocol, body))


# ---------------------------------------------------------------- hand-made streams


def anthropic_events_of(message: dict) -> list[dict]:
    """The stream Anthropic itself sends for `message`: text and input in several deltas."""
    usage = message["usage"]
    events = [{"type": "message_start", "message": {**message, "content": [], "stop_reason": None,
                                                    "usage": {**usage, "output_tokens": 1}}}]
    for index, block in enumerate(message["content"]):
        kind = block["type"]
        deltas = []
        if kind == "text":
            start = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": block["text"][:5]}, {"type": "text_delta", "text": block["text"][5:]}]
            deltas += [{"type": "citations_delta", "citation": c} for c in block.get("citations", ())]
        elif kind == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": block["thinking"]},
                      {"type": "signature_delta", "signature": block["signature"]}]
        elif kind == "tool_use":
            start = {**block, "input": {}}
            raw = json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": part} for part in ("", raw[:4], raw[4:])]
        else:
            start = block
        events.append({"type": "content_block_start", "index": index, "content_block": start})
        events += [{"type": "content_block_delta", "index": index, "delta": delta} for delta in deltas]
        events.append({"type": "content_block_stop", "index": index})
    events.append({"type": "message_delta", "delta": {"stop_reason": message["stop_reason"],
                                                      "stop_sequence": message["stop_sequence"]},
                   "usage": {"output_tokens": usage["output_tokens"]}})
    events.append({"type": "message_stop"})
    return events


@pytest.mark.parametrize("message", [RICH_MESSAGE, STOPPED_MESSAGE])
def test_hand_made_anthropic_streams_round_trip(message):
    body = anthropic_stream(anthropic_events_of(message))
    assert_anthropic_stream_kept(body)
    copy = check_anthropic_stream(round_trip_stream(ANTHROPIC, body, Exchange(model=message["model"])))
    assert copy.message.usage.cache_read_input_tokens == message["usage"]["cache_read_input_tokens"]
    assert copy.message.id == message["id"]


def openai_chunks_of(completion: dict) -> list[dict]:
    """The stream an OpenAI-compatible server sends for `completion`, arguments in pieces."""
    message = completion["choices"][0]["message"]
    envelope = {key: completion[key] for key in ("id", "created", "model")} | {"object": "chat.completion.chunk"}

    def chunk(delta: dict, finish_reason: str | None = None) -> dict:
        return {**envelope, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    for field in ("reasoning_content", "content", "refusal"):
        if message.get(field):
            chunks += [chunk({field: message[field][:4]}), chunk({field: message[field][4:]})]
    for index, call in enumerate(message.get("tool_calls") or ()):
        arguments = call["function"]["arguments"]
        chunks.append(chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                             "function": {"name": call["function"]["name"], "arguments": ""}}]}))
        chunks += [chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
                   for part in (arguments[:3], arguments[3:])]
    chunks.append(chunk({}, completion["choices"][0]["finish_reason"]))
    chunks.append({**envelope, "choices": [], "usage": completion["usage"]})
    return chunks


@pytest.mark.parametrize("completion", [RICH_COMPLETION, REFUSED_COMPLETION])
def test_hand_made_openai_streams_round_trip(completion):
    body = b"".join(encode_event(json.dumps(c)) for c in openai_chunks_of(completion)) + encode_event("[DONE]")
    assert_openai_stream_kept(body)
    copy = round_trip_stream(OPENAI, body, Exchange(model=completion["model"], include_usage=True))
    assert json.loads(sse_payloads(copy)[-2])["usage"] == {**completion["usage"], "total_tokens": 12050}
