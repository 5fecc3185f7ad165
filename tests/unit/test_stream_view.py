"""The readable form of an event stream: exact rows and summaries of recorded-style streams."""

import json

from hypothesis import given
from hypothesis import strategies as st

from anyrouter_core.stream_view import Row, StreamSummary, ToolCall, render, view_stream


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def pretty(value) -> str:
    """What a row shows for JSON data: two-space indent, non-ASCII kept."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def sse(*events) -> bytes:
    """(event name or None, data) pairs as an upstream sends them: compact JSON, LF, blank lines."""
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else compact(data)
        out.append((f"event: {name}\n" if name else "") + f"data: {text}\n\n")
    return "".join(out).encode()


# ---- Anthropic --------------------------------------------------------------------------

MESSAGE_START = {
    "type": "message_start",
    "message": {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "content": [],
        "model": "claude-sonnet-4-6", "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 472, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 2048,
                  "output_tokens": 2},
    },
}
ANTHROPIC_EVENTS = [
    ("message_start", MESSAGE_START),
    ("ping", {"type": "ping"}),
    ("content_block_start", {"type": "content_block_start", "index": 0,
                             "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "thinking_delta", "thinking": "The user is in Tromsø;"}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "thinking_delta", "thinking": " check weather and time."}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("content_block_start", {"type": "content_block_start", "index": 1,
                             "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1,
                             "delta": {"type": "text_delta", "text": "Let me look that up"}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1,
                             "delta": {"type": "text_delta", "text": " for you.\nOne moment."}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    ("content_block_start", {"type": "content_block_start", "index": 2,
                             "content_block": {"type": "tool_use", "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
                                               "name": "get_weather", "input": {}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2,
                             "delta": {"type": "input_json_delta", "partial_json": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2,
                             "delta": {"type": "input_json_delta", "partial_json": '{"city": "Trom'}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2,
                             "delta": {"type": "input_json_delta", "partial_json": 'sø", "unit": "cel'}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2,
                             "delta": {"type": "input_json_delta", "partial_json": 'sius"}'}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 2}),
    ("content_block_start", {"type": "content_block_start", "index": 3,
                             "content_block": {"type": "tool_use", "id": "toolu_01Vq7m8Yb3KQ5ZzJ3yfX9aB2",
                                               "name": "get_time", "input": {}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 3,
                             "delta": {"type": "input_json_delta", "partial_json": '{"zone": "Europe/Oslo"}'}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 3}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                       "usage": {"output_tokens": 89}}),
    ("message_stop", {"type": "message_stop"}),
]


def test_anthropic_stream_rows_are_one_per_event_with_pretty_json():
    view = view_stream(sse(*ANTHROPIC_EVENTS))
    assert view.rows == [Row(name, pretty(data)) for name, data in ANTHROPIC_EVENTS]
    # The format itself, spelled out once.
    assert view.rows[6] == Row("content_block_stop", '{\n  "type": "content_block_stop",\n  "index": 0\n}')
    assert '"thinking": "The user is in Tromsø;"' in view.rows[3].data


def test_anthropic_stream_summary():
    assert view_stream(sse(*ANTHROPIC_EVENTS)).summary == StreamSummary(
        protocol="anthropic",
        model="claude-sonnet-4-6",
        text="Let me look that up for you.\nOne moment.",
        thinking="The user is in Tromsø; check weather and time.",
        tool_calls=[
            ToolCall("get_weather", "toolu_01T1x1fJ34qAmk2tNTrN7Up6", '{"city": "Tromsø", "unit": "celsius"}'),
            ToolCall("get_time", "toolu_01Vq7m8Yb3KQ5ZzJ3yfX9aB2", '{"zone": "Europe/Oslo"}'),
        ],
        stop_reason="tool_use",
        usage={"input_tokens": 472, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 2048,
               "output_tokens": 89},
        errors=[],
    )


def test_anthropic_stream_cut_by_an_error_keeps_what_came_and_shows_broken_data_as_is():
    truncated = '{"type":"content_block_delta","index":1,"delta":{"type":"text_del'
    body = sse(
        *ANTHROPIC_EVENTS[:9],
        ("content_block_delta", truncated),
        (None, "upstream reset"),
        ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ) + b": a comment line is no event\n\n"
    view = view_stream(body)
    assert view.rows == [
        *(Row(name, pretty(data)) for name, data in ANTHROPIC_EVENTS[:9]),
        Row("content_block_delta", truncated),
        Row(None, "upstream reset"),
        Row("error", '{\n  "type": "error",\n  "error": {\n    "type": "overloaded_error",\n'
                     '    "message": "Overloaded"\n  }\n}'),
    ]
    assert view.summary == StreamSummary(
        protocol="anthropic",
        model="claude-sonnet-4-6",
        text="Let me look that up",
        thinking="The user is in Tromsø; check weather and time.",
        tool_calls=[],
        stop_reason=None,
        usage=MESSAGE_START["message"]["usage"],
        errors=["overloaded_error: Overloaded"],
    )


def test_a_stream_that_is_only_an_anthropic_error_is_summarised_as_one():
    view = view_stream(sse(("error", {"type": "error", "error": {"type": "api_error", "message": "Internal"}})))
    assert view.summary == StreamSummary(protocol="anthropic", errors=["api_error: Internal"])


def test_stop_sequence_and_a_tool_call_without_deltas():
    view = view_stream(sse(
        ("message_start", MESSAGE_START),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "tool_use", "id": "toolu_x", "name": "now", "input": {}}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "stop_sequence", "stop_sequence": "END"},
                           "usage": {"output_tokens": 3}}),
    ))
    assert view.summary.tool_calls == [ToolCall("now", "toolu_x", "{}")]
    assert (view.summary.stop_reason, view.summary.stop_sequence) == ("stop_sequence", "END")


# ---- OpenAI -----------------------------------------------------------------------------

def chunk(delta=None, finish_reason=None, choices=True, **extra):
    body = {"id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion.chunk",
            "created": 1741570283, "model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_eb9dce56a8"}
    body["choices"] = [{"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": finish_reason}] if choices else []
    body.update(extra)
    return body


OPENAI_CHUNKS = [
    chunk({"role": "assistant", "content": "", "refusal": None}),
    chunk({"reasoning_content": "Two lookups,"}),
    chunk({"reasoning_content": " in parallel."}),
    chunk({"content": "Checking "}),
    chunk({"content": "both."}),
    chunk({"tool_calls": [{"index": 0, "id": "call_DdmO9pD3xa9XTPNJ32zg2hcA", "type": "function",
                           "function": {"name": "get_weather", "arguments": ""}}]}),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": ' "Tromsø"}'}}]}),
    chunk({"tool_calls": [{"index": 1, "id": "call_ABCs5fGZ8xK2m0jQv7aP1LtE", "type": "function",
                           "function": {"name": "get_time", "arguments": '{"zone"'}}]}),
    chunk({"tool_calls": [{"index": 1, "function": {"arguments": ': "Europe/Oslo"}'}}]}),
    chunk({}, finish_reason="tool_calls"),
    chunk(choices=False, usage={"prompt_tokens": 82, "completion_tokens": 61, "total_tokens": 143,
                                "prompt_tokens_details": {"cached_tokens": 64}}),
]


def test_openai_stream_rows_and_done():
    body = sse(*((None, c) for c in OPENAI_CHUNKS), (None, "[DONE]"))
    view = view_stream(body)
    assert view.rows == [*(Row(None, pretty(c)) for c in OPENAI_CHUNKS), Row(None, "[DONE]")]


def test_openai_stream_summary():
    view = view_stream(sse(*((None, c) for c in OPENAI_CHUNKS), (None, "[DONE]")))
    assert view.summary == StreamSummary(
        protocol="openai",
        model="gpt-4o-2024-08-06",
        text="Checking both.",
        thinking="Two lookups, in parallel.",
        tool_calls=[
            ToolCall("get_weather", "call_DdmO9pD3xa9XTPNJ32zg2hcA", '{"city": "Tromsø"}'),
            ToolCall("get_time", "call_ABCs5fGZ8xK2m0jQv7aP1LtE", '{"zone": "Europe/Oslo"}'),
        ],
        stop_reason="tool_calls",
        usage={"prompt_tokens": 82, "completion_tokens": 61, "total_tokens": 143,
               "prompt_tokens_details": {"cached_tokens": 64}},
        errors=[],
    )


def test_openai_error_chunk_and_reasoning_field_and_tool_calls_without_index():
    error = {"error": {"message": "The server had an error while processing your request.", "type": "server_error",
                       "param": None, "code": None}}
    view = view_stream(sse(
        (None, chunk({"role": "assistant", "reasoning": "Hmm."})),
        (None, chunk({"tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "a", "arguments": "{"}}]})),
        (None, chunk({"tool_calls": [{"function": {"arguments": "}"}}]})),
        (None, chunk({"tool_calls": [{"id": "call_2", "type": "function", "function": {"name": "b", "arguments": "[1]"}}]})),
        (None, error),
    ))
    assert view.rows[-1] == Row(None, pretty(error))
    assert view.summary == StreamSummary(
        protocol="openai",
        model="gpt-4o-2024-08-06",
        thinking="Hmm.",
        tool_calls=[ToolCall("a", "call_1", "{}"), ToolCall("b", "call_2", "[1]")],
        errors=["server_error: The server had an error while processing your request."],
    )


# ---- other streams and rendering ----------------------------------------------------------

def test_a_stream_that_is_not_an_llm_stream_has_rows_and_no_summary():
    view = view_stream(b"event: tick\ndata: 1\n\nid: 2\ndata: plain\ndata: two lines\n\n")
    assert view.rows == [Row("tick", "1"), Row(None, "plain\ntwo lines")]
    assert view.summary is None


def test_rendered_text():
    body = sse(
        ("message_start", {"type": "message_start", "message": {"model": "claude-haiku-4-5", "usage": {"input_tokens": 5, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "input_json_delta", "partial_json": '{"a": 1'}}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 9}}),
        ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        (None, "[DONE]"),
    )
    assert render(view_stream(body)) == """\
# event 1: message_start
{
  "type": "message_start",
  "message": {
    "model": "claude-haiku-4-5",
    "usage": {
      "input_tokens": 5,
      "output_tokens": 1
    }
  }
}

# event 2: content_block_start
{
  "type": "content_block_start",
  "index": 0,
  "content_block": {
    "type": "tool_use",
    "id": "toolu_1",
    "name": "f",
    "input": {}
  }
}

# event 3: content_block_delta
{
  "type": "content_block_delta",
  "index": 0,
  "delta": {
    "type": "input_json_delta",
    "partial_json": "{\\"a\\": 1"
  }
}

# event 4: message_delta
{
  "type": "message_delta",
  "delta": {
    "stop_reason": "max_tokens"
  },
  "usage": {
    "output_tokens": 9
  }
}

# event 5: error
{
  "type": "error",
  "error": {
    "type": "overloaded_error",
    "message": "Overloaded"
  }
}

# event 6
[DONE]

# summary: Anthropic Messages stream
model: claude-haiku-4-5
text: ""
tool calls:
  - name: f
    id: toolu_1
    arguments: "{\\"a\\": 1"  # not complete JSON
stop reason: max_tokens
usage: {"input_tokens": 5, "output_tokens": 9}
errors:
  - overloaded_error: Overloaded
"""


def test_rendered_summary_of_text_and_thinking_over_several_lines():
    body = sse(*((None, c) for c in [
        chunk({"role": "assistant", "reasoning_content": "first\nsecond"}),
        chunk({"content": "Hello\nworld"}, finish_reason="stop"),
    ]))
    assert render(view_stream(body)).split("# summary: ")[1] == """\
OpenAI Chat Completions stream
model: gpt-4o-2024-08-06
thinking: |
  first
  second
text: |
  Hello
  world
stop reason: stop
usage: none
"""


def test_empty_body():
    assert render(view_stream(b"")) == "# no events\n"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["type", "index", "delta", "message", "content_block", "usage", "choices", "error",
                         "object", "tool_calls", "function", "text", "partial_json", "model", "id", "name"]),
        inner, max_size=4),
    max_leaves=12,
)
event_names = st.sampled_from([None, "message_start", "content_block_start", "content_block_delta",
                               "message_delta", "error", "ping"])


@given(st.lists(st.tuples(event_names, json_values), max_size=8), st.booleans())
def test_any_json_events_give_one_row_each_and_never_raise(events, as_openai):
    if as_openai:
        events = [(None, {"object": "chat.completion.chunk", "choices": [v]}) for _, v in events]
    view = view_stream(sse(*((name, compact(value)) for name, value in events)))
    assert len(view.rows) == len(events)
    render(view)


@given(st.binary(max_size=200))
def test_any_bytes_never_raise(body):
    render(view_stream(body))
