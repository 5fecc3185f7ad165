"""Model names: the name a client asks for, the name the upstream gets, and back (sans-IO).

`parse_model_map("claude-opus-4-6=gpt-4o, small=qwen2.5-7b")` reads the option. The upstream
receives the mapped name; the client is answered with its own. Translated flows already
answer with the client's model name; for flows passed through in the same protocol the
response body (`rename_model_in_body`) and each streamed event (`ModelRenameStream`: the
event that names the model, `codecs/<protocol>/model_name.py`) are rewritten here.
"""

from __future__ import annotations

import json

from .errors import ProxyError, event_too_large
from .protocols import protocol_named
from .sse import MAX_EVENT_SIZE, EventTooLarge, SSEDecoder, SSEEvent, encode_event


def parse_model_map(text: str) -> dict[str, str]:
    """`client=upstream` pairs, comma-separated, blanks around names ignored.

    Raises ValueError naming the entry that lacks a side or maps one name twice.
    """
    mapping: dict[str, str] = {}
    for position, entry in enumerate(text.split(","), start=1):
        entry = entry.strip()
        if not entry:
            continue
        client, sep, upstream = entry.partition("=")
        client, upstream = client.strip(), upstream.strip()
        if not sep or not client or not upstream:
            raise ValueError(
                f"entry {position} ({entry!r}) must be client-name=upstream-name, with both names"
            )
        if client in mapping and mapping[client] != upstream:
            raise ValueError(
                f"{client!r} is mapped twice: to {mapping[client]!r} and to {upstream!r}"
            )
        mapping[client] = upstream
    return mapping


def rename_model_in_body(protocol: str, body: dict, client_model: str) -> bool:
    """Sets the model an answer names at its top level (every protocol's answer does); True if
    it named one."""
    field = protocol_named(protocol).answer_model_field
    if field not in body:
        return False
    body[field] = client_model
    return True


def rename_model_in_event(protocol: str, event: dict, client_model: str) -> bool:
    """Sets the model name a streamed event carries, if it carries one; True if it did."""
    return protocol_named(protocol).codec.rename_model_in_event(event, client_model)


class ModelRenameStream:
    """An event stream with the client's model name in place of the upstream's.

    Feed body pieces as they arrive; each event leaves as soon as its blank line has arrived.
    Events are re-encoded (`data:` lines, and `event:` when present); comment lines and `id:`
    / `retry:` fields, which no LLM API client reads, are not kept. Data that is not JSON
    (`[DONE]`) passes unchanged.

    An event bigger than `max_event_size` (see `sse.SSEDecoder`) ends the stream with an error
    event in the protocol's shape, kept in `error`; the rest of the body is dropped unread.
    """

    def __init__(self, protocol: str, client_model: str, max_event_size: int = MAX_EVENT_SIZE) -> None:
        self.protocol = protocol_named(protocol)
        self.client_model = client_model
        self.error: ProxyError | None = None
        self._decoder = SSEDecoder(max_event_size)
        self._marker = self.protocol.codec.model_event_marker

    def feed(self, piece: bytes) -> bytes:
        if self.error is not None:
            return b""
        try:
            return self._encode_all(self._decoder.feed(piece))
        except EventTooLarge as overflow:
            self.error = event_too_large(overflow)
            return self._encode_all(overflow.events) + self.protocol.codec.error_event(self.error)

    def end(self) -> bytes:
        if self.error is not None:
            return b""
        return self._encode_all(self._decoder.end())

    def _encode_all(self, events: list[SSEEvent]) -> bytes:
        return b"".join(self._encode(event) for event in events)

    def _encode(self, event: SSEEvent) -> bytes:
        data = event.data
        if self._marker in data:
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and self.protocol.codec.rename_model_in_event(parsed, self.client_model):
                data = json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))
        return encode_event(data, event.event)
