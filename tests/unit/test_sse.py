import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyrouter_core.sse import MAX_EVENT_SIZE, EventTooLarge, SSEDecoder, SSEEvent, encode_event


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


# ------------------------------------------------------------------ the bound on one event

LIMIT = 16


def test_a_line_of_exactly_the_limit_passes_one_byte_more_does_not():
    line = b"data: " + b"x" * (LIMIT - 6)
    assert len(line) == LIMIT
    assert decode_all_bounded([line + b"\n\n"]) == [SSEEvent(None, "x" * (LIMIT - 6))]
    with pytest.raises(EventTooLarge):
        decode_all_bounded([line + b"x\n\n"])


def test_a_line_without_its_end_overflows_on_the_piece_that_passes_the_limit():
    decoder = SSEDecoder(LIMIT)
    assert decoder.feed(b"data: " + b"x" * (LIMIT - 7)) == []
    assert decoder.feed(b"x") == []  # exactly the limit, still waiting for the line end
    with pytest.raises(EventTooLarge) as caught:
        decoder.feed(b"x")
    assert caught.value.limit == LIMIT
    assert caught.value.events == []


def test_a_cr_waiting_for_its_lf_is_not_counted():
    decoder = SSEDecoder(LIMIT)
    assert decoder.feed(b"data: " + b"x" * (LIMIT - 6) + b"\r") == []
    assert decoder.feed(b"\n\r\n") == [SSEEvent(None, "x" * (LIMIT - 6))]


def test_the_lines_of_one_event_are_bounded_together():
    # 7 + 9 bytes: exactly the limit; a byte more in either line passes it.
    assert decode_all_bounded([b"data: 1\ndata: 123\n\n"]) == [SSEEvent(None, "1\n123")]
    assert decode_all_bounded([b"event: e\ndata: 12\n\n"]) == [SSEEvent("e", "12")]
    with pytest.raises(EventTooLarge):
        decode_all_bounded([b"data: 1\ndata: 1234\n\n"])
    with pytest.raises(EventTooLarge):  # the second line still arriving counts already
        decode_all_bounded([b"data: 1\n", b"data: 1234"])


def test_many_events_each_within_the_limit_pass_whatever_their_total():
    body = encode_event("0123456789") * 1000
    assert decode_all_bounded([body]) == [SSEEvent(None, "0123456789")] * 1000


def test_comment_lines_are_not_held_but_each_is_bounded():
    comments = b": keep-alive\n" * 10  # 12 bytes each: 120 in all, none of them kept
    assert decode_all_bounded([comments + b"data: x\n\n"]) == [SSEEvent(None, "x")]
    with pytest.raises(EventTooLarge):
        decode_all_bounded([b": " + b"c" * LIMIT + b"\n"])


def test_events_completed_before_the_overflow_come_with_it():
    decoder = SSEDecoder(LIMIT)
    with pytest.raises(EventTooLarge) as caught:
        decoder.feed(b"data: a\n\ndata: b\n\ndata: " + b"x" * LIMIT)
    assert caught.value.events == [SSEEvent(None, "a"), SSEEvent(None, "b")]


def test_after_an_overflow_the_decoder_holds_nothing_and_refuses_every_call():
    decoder = SSEDecoder(LIMIT)
    with pytest.raises(EventTooLarge):
        decoder.feed(b"event: e\ndata: " + b"x" * LIMIT)
    for call in (lambda: decoder.feed(b"\n\ndata: fine\n\n"), decoder.end):
        with pytest.raises(EventTooLarge) as caught:
            call()
        assert caught.value.events == []


def test_the_message_names_the_limit_and_the_option():
    assert str(EventTooLarge(MAX_EVENT_SIZE)) == (
        "the upstream sent an event bigger than the 16777216 bytes (16 MiB) allowed (max_event_size)"
    )


def test_zero_means_no_bound():
    line = b"data: " + b"x" * (MAX_EVENT_SIZE + 1)
    assert decode_all_bounded([line, b"\n\n"], limit=0) == [SSEEvent(None, "x" * (MAX_EVENT_SIZE + 1))]


def test_the_default_bound_is_max_event_size():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: " + b"x" * (MAX_EVENT_SIZE - 6)) == []
    with pytest.raises(EventTooLarge):
        decoder.feed(b"x")


def decode_all_bounded(pieces: list[bytes], limit: int = LIMIT) -> list[SSEEvent]:
    decoder = SSEDecoder(limit)
    events: list[SSEEvent] = []
    for piece in pieces:
        events += decoder.feed(piece)
    return events + decoder.end()


def held_size(name: str | None, payload: str) -> int:
    """What the decoder keeps of one encoded event: its lines, without their ends."""
    return sum(len(line) for line in encode_event(payload, name).split(b"\n"))


@given(events, st.data(), st.integers(1, 120))
def test_an_event_overflows_exactly_when_its_lines_pass_the_limit(event_list, data, limit):
    body = b"".join(encode_event(payload, name) for name, payload in event_list)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=10)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)])]
    sizes = [held_size(name, payload) for name, payload in event_list]
    fitting = next((i for i, size in enumerate(sizes) if size > limit), len(sizes))
    expected = [SSEEvent(name, payload) for name, payload in event_list[:fitting]]
    decoder = SSEDecoder(limit)
    seen: list[SSEEvent] = []
    try:
        for piece in pieces:
            seen += decoder.feed(piece)
        seen += decoder.end()
    except EventTooLarge as overflow:
        seen += overflow.events
        assert fitting < len(sizes), "overflowed though every event fits"
    else:
        assert fitting == len(sizes), "an event past the limit got through"
    assert seen == expected


# ------------------------------------------------------------------ skipping oversize events


@given(events, st.data(), st.integers(1, 120), st.sampled_from([b"\n", b"\r\n", b"\r"]))
def test_with_skip_oversize_exactly_the_events_within_the_limit_come_out(event_list, data, limit, line_end):
    body = b"".join(encode_event(payload, name) for name, payload in event_list).replace(b"\n", line_end)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=10)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)])]
    sizes = [held_size(name, payload) for name, payload in event_list]
    decoder = SSEDecoder(limit, skip_oversize=True)
    seen: list[SSEEvent] = []
    for piece in pieces:
        seen += decoder.feed(piece)
    seen += decoder.end()
    assert seen == [SSEEvent(name, payload) for (name, payload), size in zip(event_list, sizes) if size <= limit]
    assert decoder.skipped == sum(size > limit for size in sizes)


def test_a_skipped_line_is_never_held_whatever_its_length():
    decoder = SSEDecoder(LIMIT, skip_oversize=True)
    assert decoder.feed(b"data: " + b"x" * 10) == []
    for _ in range(1000):
        assert decoder.feed(b"x" * 1000) == []
        assert len(decoder._buffer) <= LIMIT
    assert decoder.feed(b"\n\ndata: ok\n\n") == [SSEEvent(None, "ok")]
    assert decoder.skipped == 1


@given(events, st.data(), st.integers(20, 120), st.sets(st.text(alphabet="abcdefgh_", min_size=1, max_size=12)))
def test_with_keep_event_the_refused_names_are_dropped_and_never_counted_as_oversize(event_list, data, limit, kept):
    # 20 bytes or more: every `event:` line of these names fits, so a name is known in time.
    body = b"".join(encode_event(payload, name) for name, payload in event_list)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=10)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)])]
    decoder = SSEDecoder(limit, skip_oversize=True, keep_event=kept.__contains__)
    seen: list[SSEEvent] = []
    for piece in pieces:
        seen += decoder.feed(piece)
        assert len(decoder._buffer) <= limit + 1  # a CR may wait for its LF
    seen += decoder.end()
    wanted = [(name, payload) for name, payload in event_list if name is None or name in kept]
    assert seen == [SSEEvent(name, payload) for name, payload in wanted if held_size(name, payload) <= limit]
    assert decoder.skipped == sum(held_size(name, payload) > limit for name, payload in wanted)


def test_a_refused_event_is_not_held_however_long():
    decoder = SSEDecoder(0, skip_oversize=True, keep_event={"usage"}.__contains__)
    assert decoder.feed(b"event: delta\ndata: ") == []
    for _ in range(100):
        assert decoder.feed(b"x" * 10_000) == []
        assert len(decoder._buffer) == 0
    assert decoder.feed(b"\n\nevent: usage\ndata: 5\n\n") == [SSEEvent("usage", "5")]
    assert decoder.skipped == 0


def test_an_empty_piece_between_a_skipped_lines_cr_and_its_lf_changes_nothing():
    # Found by the property above: the empty piece used to take the place of the awaited LF,
    # which then ended the skipped event early and let its next line through as an event.
    decoder = SSEDecoder(6, skip_oversize=True)
    pieces = [b"event: ___\r", b"", b"\ndata: \r\n\r\n"]
    assert [event for piece in pieces for event in decoder.feed(piece)] + decoder.end() == []
    assert decoder.skipped == 1
