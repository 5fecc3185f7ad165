"""Incremental Server-Sent-Events decoding and encoding (sans-IO).

`SSEDecoder.feed()` takes raw body pieces exactly as they arrive from the network, which never
line up with event boundaries, and returns the events completed by that piece.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str | None
    data: str


class SSEDecoder:
    """Turns a byte stream into `SSEEvent`s, following the WHATWG event-stream rules.

    An event is complete at its blank line. Comment lines and fields other than `event` and
    `data` are ignored. Lines may end in CRLF, LF or CR.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, piece: bytes) -> list[SSEEvent]:
        self._buffer += piece
        events: list[SSEEvent] = []
        for line in self._take_complete_lines():
            event = self._process_line(line)
            if event is not None:
                events.append(event)
        return events

    def end(self) -> list[SSEEvent]:
        """Flush at end of body: a last event without its blank line still counts."""
        events: list[SSEEvent] = []
        if self._buffer:
            line = bytes(self._buffer).rstrip(b"\r")
            self._buffer.clear()
            event = self._process_line(line)
            if event is not None:
                events.append(event)
        event = self._process_line(b"")
        if event is not None:
            events.append(event)
        return events

    def _take_complete_lines(self) -> list[bytes]:
        lines: list[bytes] = []
        buffer = self._buffer
        start = 0
        length = len(buffer)
        while start < length:
            lf = buffer.find(b"\n", start)
            cr = buffer.find(b"\r", start, lf if lf != -1 else length)
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
        del buffer[:start]
        return lines

    def _process_line(self, raw: bytes) -> SSEEvent | None:
        if not raw:
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
        elif name == "event":
            self._event = value
        return None


def encode_event(data: str, event: str | None = None) -> bytes:
    """One SSE event, with `data` split over as many `data:` lines as it has lines."""
    head = f"event: {event}\n" if event is not None else ""
    body = "".join(f"data: {line}\n" for line in data.split("\n"))
    return (head + body + "\n").encode()
