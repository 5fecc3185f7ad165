"""Incremental Server-Sent-Events decoding and encoding (sans-IO).

`SSEDecoder.feed()` takes raw body pieces exactly as they arrive from the network, which never
line up with event boundaries, and returns the events completed by that piece.

The decoder holds at most `max_event_size` bytes of the event it is gathering, so that an
upstream sending megabytes without a newline cannot grow the proxy's memory without limit.
Past the bound it drops what it held and raises `EventTooLarge`; callers end their client's
stream with an error in the client's protocol. A reader that wants only some events (the
usage meter) can have an oversize event skipped instead (`skip_oversize`): it is dropped,
with everything up to its end, and the events after it come out as usual; and it can have
the events of other names dropped as their lines arrive, never held (`keep_event`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .sizes import describe_size

MAX_EVENT_SIZE = 16 * 1024 * 1024
"""The default bound. The biggest events LLM APIs send carry one whole piece of an answer (a
tool call's arguments, an image, a long text delta from a relay that does not split them):
megabytes at the very most. 16 MiB leaves room for those and still bounds a broken upstream."""


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str | None
    data: str


class EventTooLarge(Exception):
    """A line, or an event's lines together, passed the decoder's `limit`; it dropped them.

    `events` are the events the same `feed()` call completed before the overflow: the caller
    handles them first, then ends the stream. The decoder is usable no further: every later
    `feed()` or `end()` raises `EventTooLarge` again (with no events).
    """

    def __init__(self, limit: int, events: list[SSEEvent] | None = None) -> None:
        super().__init__(f"the upstream sent an event bigger than the {describe_size(limit)} allowed (max_event_size)")
        self.limit = limit
        self.events = events or []


class SSEDecoder:
    """Turns a byte stream into `SSEEvent`s, following the WHATWG event-stream rules.

    An event is complete at its blank line. Comment lines and fields other than `event` and
    `data` are ignored. Lines may end in CRLF, LF or CR.

    `max_event_size` (bytes, 0 for no bound) bounds what is held for one event: its `data` and
    `event` lines as they came, without line endings, plus the line still arriving (whatever
    its field). Every line is bounded by it too, comments included. An event of exactly
    `max_event_size` bytes passes. `end()` only flushes what `feed()` already accepted, so it
    raises `EventTooLarge` only after `feed()` did.

    With `skip_oversize` nothing is raised: an event past the bound is dropped (`skipped`
    counts them), and so is every byte up to its blank line, without being held. With
    `keep_event`, an event whose `event` line names one it refuses is dropped the same way
    (not counted): what a reader does not want costs it no memory.
    """

    def __init__(
        self,
        max_event_size: int = MAX_EVENT_SIZE,
        skip_oversize: bool = False,
        keep_event: Callable[[str], bool] | None = None,
    ) -> None:
        self._limit = max_event_size
        self._buffer = bytearray()
        self._partial = 0  # bytes at the buffer's start known to hold no line end
        self._event: str | None = None
        self._data: list[str] = []
        self._held = 0  # bytes of the lines kept for the event being gathered
        self._overflowed = False
        self._skip_oversize = skip_oversize
        self._keep_event = keep_event
        self._discarding = False  # the lines up to the next blank line belong to a skipped event
        self._discarding_line = False  # the bytes up to the next line end too
        self._skip_lf = False  # a discarded line ended in CR: an LF right after it is its end
        self.skipped = 0

    def feed(self, piece: bytes) -> list[SSEEvent]:
        self._refuse_after_overflow()
        if not piece:
            return []  # nothing to read, and the LF a discarded line's CR awaits is still to come
        if self._skip_lf or self._discarding_line:
            piece = self._past_discarded_line(piece)
        self._buffer += piece
        events: list[SSEEvent] = []
        for line in self._take_complete_lines():
            event = self._process_line(line)
            if event is not None:
                events.append(event)
            self._check_bound(max(len(line), self._held), events)
        self._check_bound(self._held + self._partial, events)
        if self._discarding and self._partial:
            self._drop_partial_line()  # a line of a dropped event: nothing of it is held
        return events

    @property
    def at_event_boundary(self) -> bool:
        """Whether nothing is held or pending: the bytes fed so far ended with an event."""
        return not (self._buffer or self._data or self._event is not None or self._discarding
                    or self._discarding_line or self._skip_lf or self._overflowed)

    def end(self) -> list[SSEEvent]:
        """Flush at end of body: a last event without its blank line still counts."""
        self._refuse_after_overflow()
        events: list[SSEEvent] = []
        if self._buffer:
            line = bytes(self._buffer).rstrip(b"\r")
            self._buffer.clear()
            self._partial = 0
            event = self._process_line(line)
            if event is not None:
                events.append(event)
        event = self._process_line(b"")
        if event is not None:
            events.append(event)
        return events

    def _refuse_after_overflow(self) -> None:
        if self._overflowed:
            raise EventTooLarge(self._limit)

    def _check_bound(self, size: int, events: list[SSEEvent]) -> None:
        """Drops everything and raises when `size` (a line, or what is held) passes the bound;
        with `skip_oversize`, drops the event instead."""
        limit = self._limit
        if limit and size > limit and self._skip_oversize:
            self.skipped += not self._discarding  # an event dropped already is not counted again
            self._drop_event()
        elif limit and size > limit:
            self._buffer = bytearray()  # a new one: the old one's memory goes back at once
            self._partial = self._held = 0
            self._event, self._data = None, []
            self._overflowed = True
            raise EventTooLarge(limit, events)

    def _drop_event(self) -> None:
        """The event being gathered goes unread, and its lines up to its blank line too."""
        self._event, self._data, self._held = None, [], 0
        self._discarding = True

    def _drop_partial_line(self) -> None:
        """The line still arriving is dropped, and what follows of it until its end."""
        ended_in_cr = self._buffer.endswith(b"\r")
        self._buffer = bytearray()  # a new one: the old one's memory goes back at once
        self._partial = 0
        self._discarding_line, self._skip_lf = not ended_in_cr, ended_in_cr

    def _past_discarded_line(self, piece: bytes) -> bytes:
        """What of `piece` follows the end of the line being discarded."""
        if self._skip_lf:
            self._skip_lf = False
            return piece[1:] if piece[:1] == b"\n" else piece
        ends = [found for found in (piece.find(b"\n"), piece.find(b"\r")) if found != -1]
        if not ends:
            return b""
        end = min(ends)
        self._discarding_line = False
        if piece[end] == 0x0D:  # CR: CRLF, or a CR alone, maybe before an LF still on its way
            if end + 1 == len(piece):
                self._skip_lf = True
            elif piece[end + 1] == 0x0A:
                end += 1
        return piece[end + 1:]

    def _take_complete_lines(self) -> list[bytes]:
        lines: list[bytes] = []
        buffer = self._buffer
        start = 0
        # What earlier pieces left is one line without its end: no need to search it again.
        search_from = self._partial
        length = len(buffer)
        while start < length:
            lf = buffer.find(b"\n", search_from)
            cr = buffer.find(b"\r", search_from, lf if lf != -1 else length)
            if cr != -1:
                # A CR at the very end may be the first half of a CRLF still on its way.
                if cr == length - 1:
                    break
                lines.append(bytes(buffer[start:cr]))
                start = cr + 2 if buffer[cr + 1] == 0x0A else cr + 1
            elif lf != -1:
                lines.append(bytes(buffer[start:lf]))
                start = lf + 1
            else:
                break
            search_from = start
        del buffer[:start]
        self._partial = len(buffer) - 1 if buffer.endswith(b"\r") else len(buffer)
        return lines

    def _process_line(self, raw: bytes) -> SSEEvent | None:
        if self._discarding:
            self._discarding = bool(raw)  # a skipped event's lines go unread to its blank line
            return None
        if not raw:
            self._held = 0
            if not self._data and self._event is None:
                return None
            event = SSEEvent(self._event, "\n".join(self._data))
            self._event, self._data = None, []
            return event
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._held += len(raw)
        elif name == "event" and self._keep_event is not None and not self._keep_event(value):
            self._drop_event()
        elif name == "event":
            self._event = value
            self._held += len(raw)
        return None


def encode_event(data: str, event: str | None = None) -> bytes:
    """One SSE event, with `data` split over as many `data:` lines as it has lines."""
    head = f"event: {event}\n" if event is not None else ""
    body = "".join(f"data: {line}\n" for line in data.split("\n"))
    return (head + body + "\n").encode()
