"""The usage meter (`anyrouter_core.usage_meter`): every protocol's answers and streams give the
upstream's exact figures in neutral form (fresh input, cache read, cache write, output,
reasoning), however the stream is split; events that cannot carry usage are never parsed; one
huge event costs no more memory than the bound and does not hide the usage after it."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyrouter_core import usage_meter
from anyrouter_core.codecs.base import Exchange
from anyrouter_core.codecs.event_stream import holds_object_field
from anyrouter_core.neutral import Answer, Text, Usage
from anyrouter_core.protocols import PROTOCOLS, protocol_named
from anyrouter_core.sse import SSEEvent
from anyrouter_core.stream_translation import stream_from_answer
from anyrouter_core.usage_meter import (
    StreamUsage,
    usage_dict,
    usage_of_answer,
    usage_of_stream_body,
    usage_of_token_count,
)


def sse(*events: tuple[str | None, dict | str]) -> bytes:
    out = b""
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        out += (f"event: {name}\n" if name else "").encode() + f"data: {text}\n\n".encode()
    return out


# ---- the upstreams' own bodies, with their exact figures -------------------------------------

ANTHROPIC_MESSAGE = {
    "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
    "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn", "stop_sequence": None,
    "usage": {"input_tokens": 12, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 11008,
              "output_tokens": 5},
}
CHAT_COMPLETION = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-5",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 12000, "completion_tokens": 5, "total_tokens": 12005,
              "prompt_tokens_details": {"cached_tokens": 11008},
              "completion_tokens_details": {"reasoning_tokens": 2}},
}
RESPONSES_USAGE = {"input_tokens": 12000, "input_tokens_details": {"cached_tokens": 11008},
                   "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 3}, "total_tokens": 12007}
RESPONSE = {
    "id": "resp_1", "object": "response", "created_at": 1, "status": "completed", "model": "gpt-5",
    "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": "Hi", "annotations": []}]}],
    "usage": RESPONSES_USAGE,
}

GEMINI_USAGE = {"promptTokenCount": 12000, "cachedContentTokenCount": 11008, "candidatesTokenCount": 4,
                "thoughtsTokenCount": 3, "totalTokenCount": 12007}
GEMINI_RESPONSE = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "finishReason": "STOP", "index": 0}],
    "usageMetadata": GEMINI_USAGE, "modelVersion": "gemini-2.5-pro", "responseId": "r1",
}

ANTHROPIC_FIGURES = Usage(input=12, cache_read=11008, cache_write=100, output=5)
CHAT_FIGURES = Usage(input=992, cache_read=11008, cache_write=0, output=5, reasoning=2)
RESPONSES_FIGURES = Usage(input=992, cache_read=11008, cache_write=0, output=7, reasoning=3)
GEMINI_FIGURES = Usage(input=992, cache_read=11008, output=7, reasoning=3)


def anthropic_stream(*, names: bool = True, text: str = "Hello") -> bytes:
    start_message = {**ANTHROPIC_MESSAGE, "content": [], "stop_reason": None,
                     "usage": {**ANTHROPIC_MESSAGE["usage"], "output_tokens": 1}}
    events = [
        ("message_start", {"type": "message_start", "message": start_message}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}),
        # The word in a text, even quoted, is no usage field.
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": 'the "usage": {} field'}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "usage"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 5}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return sse(*((name if names else None, data) for name, data in events))


def chat_chunk(delta: dict, finish: str | None = None, **more) -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-5",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], "usage": None, **more}


def chat_stream(*, usage: bool = True) -> bytes:
    chunks = [chat_chunk({"role": "assistant", "content": ""}), chat_chunk({"content": "Hello"}),
              chat_chunk({"content": "usage"}), chat_chunk({}, "stop")]
    if usage:
        chunks.append({**chat_chunk({}), "choices": [], "usage": CHAT_COMPLETION["usage"]})
    return sse(*((None, chunk) for chunk in chunks), (None, "[DONE]"))


def responses_stream(*, names: bool = True, ending: str = "response.completed", usage: dict | None = RESPONSES_USAGE) -> bytes:
    opening = {**RESPONSE, "status": "in_progress", "output": [], "usage": None}
    item = {"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress", "content": []}
    events = [
        ("response.created", {"type": "response.created", "sequence_number": 0, "response": opening}),
        ("response.in_progress", {"type": "response.in_progress", "sequence_number": 1, "response": opening}),
        ("response.output_item.added", {"type": "response.output_item.added", "sequence_number": 2,
                                        "output_index": 0, "item": item}),
        ("response.output_text.delta", {"type": "response.output_text.delta", "sequence_number": 3, "item_id": "msg_1",
                                        "output_index": 0, "content_index": 0, "delta": "Hi"}),
        (ending, {"type": ending, "sequence_number": 4,
                  "response": {**RESPONSE, "status": ending.removeprefix("response."), "usage": usage}}),
    ]
    return sse(*((name if names else None, data) for name, data in events))


def gemini_stream() -> bytes:
    """Each chunk's usageMetadata is a running total: the last one holds the figures."""
    first = {"candidates": [{"content": {"role": "model", "parts": [{"text": "usage"}]}, "index": 0}],
             "usageMetadata": {"promptTokenCount": 12000, "cachedContentTokenCount": 11008,
                               "candidatesTokenCount": 1, "totalTokenCount": 12001},
             "modelVersion": "gemini-2.5-pro", "responseId": "r1"}
    return sse((None, first), (None, GEMINI_RESPONSE))


STREAMS = {
    "anthropic": (anthropic_stream(), ANTHROPIC_FIGURES),
    "anthropic-unnamed": (anthropic_stream(names=False), ANTHROPIC_FIGURES),
    "openai": (chat_stream(), CHAT_FIGURES),
    "responses": (responses_stream(), RESPONSES_FIGURES),
    "responses-unnamed": (responses_stream(names=False), RESPONSES_FIGURES),
    "gemini": (gemini_stream(), GEMINI_FIGURES),
}


def protocol_of(case: str) -> str:
    return case.split("-")[0]


def metered(protocol: str, pieces: list[bytes], max_event_size: int = usage_meter.MAX_EVENT_SIZE) -> StreamUsage:
    meter = StreamUsage(protocol, max_event_size)
    for piece in pieces:
        meter.feed(piece)
    meter.end()
    return meter


# ---- finished answers ------------------------------------------------------------------------


@pytest.mark.parametrize(("protocol", "body", "figures"), [
    ("anthropic", ANTHROPIC_MESSAGE, ANTHROPIC_FIGURES),
    ("openai", CHAT_COMPLETION, CHAT_FIGURES),
    ("responses", RESPONSE, RESPONSES_FIGURES),
    ("gemini", GEMINI_RESPONSE, GEMINI_FIGURES),
])
def test_a_finished_answer_gives_the_upstreams_exact_figures(protocol, body, figures):
    assert usage_of_answer(protocol, body) == figures


def test_every_protocol_in_the_registry_has_a_usage_reader():
    assert set(PROTOCOLS) == {"anthropic", "openai", "responses", "gemini"}  # each one tested above


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
@pytest.mark.parametrize("body", [
    None, [], "text", {}, {"usage": None}, {"usage": "12"},
    {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
    {"error": {"message": "rate limited", "type": "rate_limit_error", "param": None, "code": None}},
], ids=repr)
def test_an_answer_without_usage_has_none(protocol, body):
    assert usage_of_answer(protocol, body) is None


def test_an_empty_usage_object_reads_as_each_codec_documents():
    assert usage_of_answer("anthropic", {"usage": {}}) is None  # no count reported
    # OpenAI's codecs read a reported usage as splitting the whole prompt, missing counts as 0.
    assert usage_of_answer("openai", {"usage": {}}) == Usage(0, 0, 0, 0, None)
    assert usage_of_answer("responses", {"usage": {}}) == Usage(0, 0, 0, 0, None)


def test_count_tokens_answers_give_the_input_count_only():
    assert usage_of_token_count("anthropic", {"input_tokens": 4321}) == Usage(input=4321)
    assert usage_of_token_count("anthropic", {"input_tokens": "many"}) is None
    assert usage_of_token_count("anthropic", {"type": "error", "error": {}}) is None
    assert usage_of_token_count("openai", {"input_tokens": 4321}) is None  # no such endpoint
    assert usage_of_token_count("gemini", {"totalTokens": 4321}) == Usage(input=4321)
    assert usage_of_token_count("gemini", {"input_tokens": 4321}) is None


def test_usage_dict_is_plain_json_and_marks_an_estimate():
    assert usage_dict(CHAT_FIGURES) == {"input": 992, "cache_read": 11008, "cache_write": 0, "output": 5, "reasoning": 2}
    assert usage_dict(Usage(input=7), estimated=True) == {
        "input": 7, "cache_read": None, "cache_write": None, "output": None, "reasoning": None, "estimated": True}
    assert usage_dict(None) is None
    assert usage_dict(Usage()) is None  # nothing reported is no usage, not zeros


# ---- streams ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(STREAMS))
def test_a_stream_gives_the_upstreams_exact_figures(case):
    body, figures = STREAMS[case]
    assert metered(protocol_of(case), [body]).usage == figures


@pytest.mark.parametrize("case", sorted(STREAMS))
def test_a_stream_split_at_any_byte_gives_the_same_usage(case):
    body, figures = STREAMS[case]
    for cut in range(len(body) + 1):
        assert metered(protocol_of(case), [body[:cut], body[cut:]]).usage == figures, cut


@pytest.mark.parametrize("case", sorted(STREAMS))
def test_a_stream_fed_byte_by_byte_gives_the_same_usage(case):
    body, figures = STREAMS[case]
    assert metered(protocol_of(case), [body[i:i + 1] for i in range(len(body))]).usage == figures


@given(case=st.sampled_from(sorted(STREAMS)), crlf=st.booleans(), data=st.data())
def test_any_split_and_either_line_end_give_the_same_usage(case, crlf, data):
    body, figures = STREAMS[case]
    if crlf:
        body = body.replace(b"\n", b"\r\n")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=30)))
    pieces = [body[start:end] for start, end in zip([0, *cuts], [*cuts, len(body)])]
    assert metered(protocol_of(case), pieces).usage == figures


def test_feed_says_when_the_usage_changed():
    meter = StreamUsage("anthropic")
    start, _, rest = anthropic_stream().partition(b"\n\n")
    assert meter.feed(start + b"\n\n") is True
    assert meter.usage == Usage(input=12, cache_read=11008, cache_write=100, output=1)
    changes = [meter.feed(event + b"\n\n") for event in rest.split(b"\n\n") if event]
    assert changes == [False] * 6 + [True, False]
    assert meter.end() is False


def test_an_anthropic_message_delta_replaces_every_count_it_reports():
    body = sse(
        ("message_start", {"type": "message_start", "message": {"id": "m", "usage": {
            "input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}}}),
        ("message_delta", {"type": "message_delta", "delta": {}, "usage": {
            "input_tokens": 12, "cache_read_input_tokens": 11008, "cache_creation_input_tokens": 3, "output_tokens": 9}}),
    )
    assert metered("anthropic", [body]).usage == Usage(input=12, cache_read=11008, cache_write=3, output=9)


def test_chat_usage_on_every_chunk_counts_as_the_last_says():
    # Some servers report a running usage on every chunk: the last one is the answer's.
    running = [{**chat_chunk({"content": "a"}), "usage": {"prompt_tokens": 10, "completion_tokens": n,
                                                         "total_tokens": 10 + n}} for n in (1, 2, 3)]
    assert metered("openai", [sse(*((None, chunk) for chunk in running))]).usage == Usage(10, 0, 0, 3, None)


def test_a_chat_stream_without_a_usage_chunk_has_no_usage():
    assert metered("openai", [chat_stream(usage=False)]).usage is None


@pytest.mark.parametrize("ending", ["response.incomplete", "response.failed"])
def test_a_responses_stream_that_did_not_complete_counts_what_its_end_reports(ending):
    assert metered("responses", [responses_stream(ending=ending)]).usage == RESPONSES_FIGURES
    assert metered("responses", [responses_stream(ending=ending, usage=None)]).usage is None


def test_a_stream_cut_half_way_keeps_the_usage_it_reported():
    body = anthropic_stream()
    cut = body.index(b"event: message_delta")
    assert metered("anthropic", [body[:cut]]).usage == Usage(input=12, cache_read=11008, cache_write=100, output=1)


def test_a_stream_that_ended_in_an_error_keeps_the_usage_before_it():
    start = anthropic_stream().partition(b"\n\n")[0] + b"\n\n"
    error = sse(("error", {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}))
    assert metered("anthropic", [start + error]).usage == Usage(input=12, cache_read=11008, cache_write=100, output=1)


def test_broken_json_where_usage_could_be_is_skipped_not_raised():
    body = b'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens": 5\n\n'
    body += b'data: [1, 2, {"usage": {}}]\n\n'
    body += sse(("message_delta", {"type": "message_delta", "usage": {"output_tokens": 6}}))
    assert metered("anthropic", [body]).usage == Usage(output=6)


def test_a_whole_stream_body_is_metered_as_a_live_one():
    assert usage_of_stream_body("openai", chat_stream()) == CHAT_FIGURES
    assert usage_of_stream_body("openai", b"") is None


# ---- cheap: what is parsed ------------------------------------------------------------------


class CountingLoads:
    """Stands for the meter's `json` module: counts what it parses."""

    def __init__(self):
        self.parsed: list[str] = []

    def loads(self, text, *args, **kwargs):
        self.parsed.append(text)
        return json.loads(text, *args, **kwargs)


@pytest.mark.parametrize(("case", "expected"), [
    ("anthropic", ["message_start", "message_delta"]),
    ("anthropic-unnamed", ["message_start", "message_delta"]),
    ("openai", ["[]"]),  # the usage chunk only: its choices are empty
    ("responses", ["response.completed"]),
    ("responses-unnamed", ["response.completed"]),
])
def test_only_the_events_that_can_carry_usage_are_parsed(monkeypatch, case, expected):
    counting = CountingLoads()
    monkeypatch.setattr(usage_meter, "json", counting)
    body, figures = STREAMS[case]
    assert metered(protocol_of(case), [body]).usage == figures
    assert len(counting.parsed) == len(expected)
    for text, mark in zip(counting.parsed, expected):
        assert mark in text


def test_a_long_answer_is_parsed_no_more_than_a_short_one(monkeypatch):
    counting = CountingLoads()
    monkeypatch.setattr(usage_meter, "json", counting)
    deltas = sse(*(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "text_delta", "text": f"word {n} "}}) for n in range(5000)))
    start, _, rest = anthropic_stream().partition(b"\n\n")
    assert metered("anthropic", [start + b"\n\n" + deltas + rest]).usage == ANTHROPIC_FIGURES
    assert len(counting.parsed) == 2


@pytest.mark.parametrize(("data", "holds"), [
    ('{"usage":{"a":1}}', True),
    ('{"usage" : \n {"a":1}}', True),
    ('{"x":1,"usage":null,"y":{"usage":{}}}', True),
    ('{"usage":null}', False),
    ('{"text":"usage"}', False),
    ('{"text":"the \\"usage\\": {} field"}', False),
    ('{"usage":[{"a":1}]}', False),
    ("", False),
])
def test_a_usage_object_is_told_from_the_text_alone(data, holds):
    assert holds_object_field(data, "usage") is holds


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_no_protocol_parses_an_event_without_a_usage_object(protocol):
    codec = protocol_named(protocol).codec
    assert not codec.may_carry_usage(SSEEvent(None, '{"type":"content_block_delta","usage":null}'))
    assert not codec.may_carry_usage(SSEEvent("content_block_delta", '{"delta":{"text":"x"}}'))


class CountingDecodes:
    """Wraps a meter's SSE decoder: counts the pieces it was given to decode."""

    def __init__(self, meter: StreamUsage):
        self.decoded: list[bytes] = []
        inner = meter._sse.feed
        meter._sse.feed = lambda piece: self.decoded.append(piece) or inner(piece)


# What marks each case's events that carry usage.
USAGE_EVENT_MARKS = {
    "anthropic": [b'"message_start"', b'"message_delta"'], "anthropic-unnamed": [b'"message_start"', b'"message_delta"'],
    "openai": [b'"choices":[]'], "responses": [b'"response.completed"'], "responses-unnamed": [b'"response.completed"'],
    "gemini": [b"\"usageMetadata\""],  # every chunk that has it (a running total)
}


@pytest.mark.parametrize("case", sorted(STREAMS))
def test_pieces_of_whole_events_without_usage_are_not_even_decoded(case):
    body, figures = STREAMS[case]
    meter = StreamUsage(protocol_of(case))
    counting = CountingDecodes(meter)
    events = [event + b"\n\n" for event in body.split(b"\n\n") if event]
    for event in events:
        meter.feed(event)
    meter.end()
    assert meter.usage == figures
    assert counting.decoded == [event for event in events if any(mark in event for mark in USAGE_EVENT_MARKS[case])]


def test_a_piece_that_ends_inside_an_event_is_decoded_and_so_is_the_next():
    meter = StreamUsage("openai")
    counting = CountingDecodes(meter)
    chunk = sse((None, chat_chunk({"content": "hi"})))
    meter.feed(chunk[:10])
    meter.feed(chunk[10:])  # whole events from here on, but the decoder holds the first half
    meter.feed(chunk)
    assert counting.decoded == [chunk[:10], chunk[10:]]


@pytest.mark.parametrize(("piece", "marked"), [
    (b'data: {"usage":{"a":1}}\n\n', True),
    (b'data: {"usage" :\n data: {"a":1}}\n\n', True),  # a value on the next data line
    (b'data: {"usage": 5}\n\n', True),
    (b'data: {"usage":null}\n\n', False),
    (b'data: {"usage" : null}\n\n', False),
    (b'data: {"text":"usage"}\n\n', False),
])
def test_the_usage_marker_of_raw_bytes(piece, marked):
    for name, protocol in PROTOCOLS.items():
        field = USAGE_FIELD_NAMES.get(name, b"usage")
        assert bool(protocol.codec.usage_marker.search(piece.replace(b'"usage"', b'"%s"' % field))) is marked, name


USAGE_FIELD_NAMES = {"gemini": b"usageMetadata"}


# ---- bounded memory ----------------------------------------------------------------------------

MIB = 1024 * 1024


def huge_delta_pieces(size: int, name: bytes | None, piece: int = 64 * 1024):
    """One content_block_delta whose text is `size` bytes, in pieces, with no line end."""
    yield (b"event: " + name + b"\n" if name else b"") + (
        b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"')
    block = b"u" * piece
    for _ in range(size // piece):
        yield block
    yield b'"}}\n\n'


def peak_memory_metering(meter: StreamUsage, pieces) -> int:
    tracemalloc.start()
    try:
        for piece in pieces:
            meter.feed(piece)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("name", "skipped"), [(None, 1), (b"content_block_delta", 0)], ids=["unnamed", "named"])
def test_a_huge_event_costs_at_most_the_bound_and_the_usage_after_it_counts(name, skipped):
    start, _, rest = anthropic_stream().partition(b"\n\n")
    meter = StreamUsage("anthropic", max_event_size=1 * MIB)
    meter.feed(start + b"\n\n")
    peak = peak_memory_metering(meter, huge_delta_pieces(32 * MIB, name))
    meter.feed(rest)
    meter.end()
    # Unnamed, it is held up to the bound, then skipped; named as no usage event is, it is
    # never held at all. Never the 32 MiB.
    assert peak < (3 * MIB if name is None else 1 * MIB), peak
    assert meter.skipped == skipped
    assert meter.usage == ANTHROPIC_FIGURES


def test_a_meter_holds_no_more_than_its_own_bound_whatever_max_event_size_says():
    meter = StreamUsage("openai", max_event_size=0)  # no bound for the translators
    peak = peak_memory_metering(meter, huge_delta_pieces(16 * MIB, None))
    assert usage_meter.USAGE_EVENT_SIZE < peak < usage_meter.USAGE_EVENT_SIZE * 2.5, peak
    assert meter.skipped == 1


def test_an_event_of_many_lines_past_the_bound_is_skipped_too():
    many_lines = b"data: " + b"x" * 1000 + b"\n"
    body = many_lines * 2000 + b"\n" + sse(("message_delta", {"type": "message_delta", "usage": {"output_tokens": 5}}))
    meter = metered("anthropic", [body[i:i + 4096] for i in range(0, len(body), 4096)], max_event_size=64 * 1024)
    assert (meter.skipped, meter.usage) == (1, Usage(output=5))


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n", b"\r"])
def test_after_a_skipped_event_the_next_one_is_read_whatever_the_line_ends(line_end):
    huge = b"data: " + b"x" * 5000 + line_end + line_end
    usage = sse(("message_delta", {"type": "message_delta", "usage": {"output_tokens": 5}})).replace(b"\n", line_end)
    body = huge + usage
    for cut in range(len(body) - 200, len(body) + 1):  # around the end of the skipped event
        meter = metered("anthropic", [body[:cut], body[cut:]], max_event_size=1000)
        # A first piece that is the huge event whole, without usage, is not even decoded.
        whole_first = cut == len(huge) and line_end != b"\r"
        assert (meter.skipped, meter.usage) == (0 if whole_first else 1, Usage(output=5)), cut


# ---- agreement with the codecs' own stream encoders ---------------------------------------------

counts = st.one_of(st.none(), st.integers(0, 10**7))


@given(fresh=st.integers(0, 10**6), read=st.integers(0, 10**6), written=st.integers(0, 10**6),
       output=st.integers(0, 10**6), reasoning=counts)
def test_the_meter_reads_what_each_encoder_writes(fresh, read, written, output, reasoning):
    usage = Usage(fresh, read, written, output, reasoning)
    answer = Answer("id", "m", [Text("hi")], "end_turn", usage=usage)
    exchange = Exchange(model="m", stream=True, include_usage=True)
    expected = {
        "anthropic": Usage(fresh, read, written, output, None),  # Anthropic has no reasoning count
        "openai": usage,
        "responses": Usage(fresh, read, written, output, reasoning or 0),  # always written
        # Gemini has no cache writes: they are in the prompt, read back as fresh input; no
        # thinking count is written when there was none.
        "gemini": Usage(fresh + written, read, None, output, min(reasoning, output) or None if reasoning else None),
    }
    for name, protocol in PROTOCOLS.items():
        body = stream_from_answer(answer, protocol.codec.stream_encoder(exchange))
        assert metered(name, [body]).usage == expected[name], name
        assert usage_of_answer(name, protocol.codec.encode_answer(answer, exchange)) == expected[name], name
