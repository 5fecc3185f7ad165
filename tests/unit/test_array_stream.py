"""An event stream written as one JSON array (`codecs/array_stream.py`), as a Gemini client
reads a stream without `alt=sse`: one element per complete event, whatever the pieces."""

import json

from hypothesis import given
from hypothesis import strategies as st

from anyrouter_core.codecs.array_stream import ArrayFraming, EventsAsArray
from anyrouter_core.codecs.gemini.errors import render_error


def framer(max_event_size: int = 1024) -> EventsAsArray:
    return EventsAsArray(render_error, max_event_size)


def framed(pieces: list[bytes], max_event_size: int = 1024) -> bytes:
    each = framer(max_event_size)
    return b"".join(each.feed(piece) for piece in pieces) + each.end()


def events(*answers: dict) -> bytes:
    return b"".join(b"data: " + json.dumps(answer).encode() + b"\r\n\r\n" for answer in answers)


ANSWERS = [{"candidates": [{"content": {"parts": [{"text": f"part {n}"}]}}]} for n in range(3)]


def test_each_element_leaves_when_its_event_is_complete():
    each = framer()
    body = events(*ANSWERS[:2])
    first_end = body.index(b"\r\n\r\n") + 4
    assert each.feed(body[:first_end - 1]) == b""
    assert each.feed(body[first_end - 1:first_end]) == b"[" + json.dumps(ANSWERS[0]).encode()
    assert each.feed(body[first_end:]) == b",\r\n" + json.dumps(ANSWERS[1]).encode()
    assert each.end() == b"]"


@given(st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_the_array_is_the_same_however_the_stream_is_cut(cuts):
    body = events(*ANSWERS) + b": a comment line, no event\r\n\r\n"
    points = sorted({0, len(body), *(cut % (len(body) + 1) for cut in cuts)})
    pieces = [body[start:end] for start, end in zip(points, points[1:])]
    assert json.loads(framed(pieces)) == ANSWERS


def test_a_stream_without_events_is_an_empty_array():
    assert framed([b""]) == b"[]"
    assert framed([b": keep-alive\n\n"]) == b"[]"


def test_an_oversized_event_ends_the_array_with_an_error_element_in_the_clients_shape():
    each = framer(max_event_size=200)
    out = each.feed(events(ANSWERS[0]) + b"data: " + b"x" * 300)
    elements = json.loads(out)
    assert elements[0] == ANSWERS[0]
    assert elements[1]["error"]["code"] == 502 and elements[1]["error"]["status"] == "UNAVAILABLE"
    assert elements[1]["error"]["message"] == each.error.message
    assert each.feed(b"\n\ndata: {}\n\n") == b"" and each.end() == b""


def test_framing_alone_writes_elements_and_closes():
    framing = ArrayFraming()
    assert framing.close() == b"[]"
    assert framing.element(b"1") + framing.element(b"2") + framing.close() == b"[1,\r\n2]"
