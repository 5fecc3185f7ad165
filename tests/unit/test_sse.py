from hypothesis import given
from hypothesis import strategies as st

from anyrouter_core.sse import SSEDecoder, SSEEvent, encode_event


def decode_all(pieces: list[bytes]) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for piece in pieces:
        events += decoder.feed(piece)
    return events + decoder.end()


def test_events_with_names_and_plain_data():
    body = b'event: message_start\ndata: {"a":1}\n\ndata: [DONE]\n\n'
    assert decode_all([body]) == [SSEEvent("message_start", '{"a":1}'), SSEEvent(None, "[DONE]")]


def test_an_event_is_returned_only_once_its_blank_line_arrives():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: one\n") == []
    assert decoder.feed(b"\n") == [SSEEvent(None, "one")]


def test_crlf_split_between_pieces_is_one_line_end():
    assert decode_all([b"data: x\r", b"\n\r", b"\n"]) == [SSEEvent(None, "x")]


def test_cr_only_line_ends():
    assert decode_all([b"event: e\rdata: y\r\r"]) == [SSEEvent("e", "y")]


def test_multiline_data_comments_and_unknown_fields():
    body = b": keep-alive\nid: 7\nretry: 100\ndata: a\ndata:b\n\n"
    assert decode_all([body]) == [SSEEvent(None, "a\nb")]


def test_last_event_without_blank_line_is_flushed_at_end():
    assert decode_all([b"data: tail"]) == [SSEEvent(None, "tail")]


def test_utf8_split_inside_a_character():
    raw = 'data: héllo 世界\n\n'.encode()
    assert decode_all([raw[:8], raw[8:9], raw[9:]]) == [SSEEvent(None, "héllo 世界")]


def test_encode_event_round_trips_multiline_data():
    encoded = encode_event("line1\nline2", "ping")
    assert encoded == b"event: ping\ndata: line1\ndata: line2\n\n"
    assert decode_all([encoded]) == [SSEEvent("ping", "line1\nline2")]


events = st.lists(
    st.tuples(
        st.one_of(st.none(), st.text(alphabet="abcdefgh_", min_size=1, max_size=12)),
        st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=40),
    ),
    max_size=8,
)


@given(events, st.data())
def test_any_split_of_the_body_gives_the_same_events(event_list, data):
    body = b"".join(encode_event(payload, name) for name, payload in event_list)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=10)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)])]
    assert decode_all(pieces) == [SSEEvent(name, payload) for name, payload in event_list]
    assert decode_all([bytes([b]) for b in body]) == decode_all([body])
