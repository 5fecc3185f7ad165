import anthropic.types

from anthropic_stream_checks import check_anthropic_stream, sse_events
from unit.pairs import anthropic_stream_from_message


def message(content, stop_reason="end_turn", stop_sequence=None, usage=None):
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": usage or {"input_tokens": 11, "output_tokens": 6, "cache_read_input_tokens": 4, "cache_creation_input_tokens": 0},
    }


def round_trip(original: dict) -> anthropic.types.Message:
    checked = check_anthropic_stream(anthropic_stream_from_message(original))
    assert checked.error is None
    return checked.message


def test_text_message_events_exactly():
    events = [data for _, data in sse_events(anthropic_stream_from_message(message([{"type": "text", "text": "Hi!"}])))]
    assert events == [
        {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 11, "cache_read_input_tokens": 4, "cache_creation_input_tokens": 0, "output_tokens": 0},
        }},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi!"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"input_tokens": 11, "output_tokens": 6, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 4}},
        {"type": "message_stop"},
    ]


def test_wire_format():
    body = anthropic_stream_from_message(message([]))
    assert body.startswith(b"event: message_start\ndata: {")
    assert body.endswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')


def test_round_trip_of_every_block_kind():
    original = message(
        [
            {"type": "thinking", "thinking": "Plan.", "signature": "c2lnbmF0dXJl"},
            {"type": "redacted_thinking", "data": "ZW5jcnlwdGVk"},
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Zürich", "days": [1, 2]}},
            {"type": "tool_use", "id": "toolu_2", "name": "now", "input": {}},
        ],
        stop_reason="tool_use",
    )
    assert round_trip(original).model_dump(exclude_none=True) == anthropic.types.Message.model_validate(original).model_dump(exclude_none=True)


def test_signature_is_sent_as_signature_delta():
    events = [data for _, data in sse_events(anthropic_stream_from_message(
        message([{"type": "thinking", "thinking": "x", "signature": "sig"}])))]
    assert [e["delta"]["type"] for e in events if e["type"] == "content_block_delta"] == ["thinking_delta", "signature_delta"]


def test_empty_thinking_signature_sends_no_signature_delta():
    events = [data for _, data in sse_events(anthropic_stream_from_message(
        message([{"type": "thinking", "thinking": "x", "signature": ""}])))]
    assert [e["delta"]["type"] for e in events if e["type"] == "content_block_delta"] == ["thinking_delta"]


def test_stop_sequence_is_kept():
    result = round_trip(message([{"type": "text", "text": "a"}], stop_reason="stop_sequence", stop_sequence="END"))
    assert (result.stop_reason, result.stop_sequence) == ("stop_sequence", "END")


def test_empty_content_and_empty_text():
    assert round_trip(message([])).content == []
    assert round_trip(message([{"type": "text", "text": ""}])).content[0].text == ""


def test_usage_arrives_whole():
    usage = {"input_tokens": 3, "output_tokens": 9, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 20}
    result = round_trip(message([{"type": "text", "text": "a"}], usage=usage))
    assert result.usage.model_dump(exclude_none=True) == usage
