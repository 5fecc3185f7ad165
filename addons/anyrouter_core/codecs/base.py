"""What every codec provides, and the facts of one exchange that answering it needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..neutral import Answer, Event, Request
from .array_stream import ARRAY_CONTENT_TYPE


@dataclass(frozen=True, slots=True)
class Exchange:
    """What encoding the client's answer (and decoding the upstream's) needs to remember of
    the client's request: the model name the client asked for (it gets that name back),
    whether it streams, whether an OpenAI client asked for a usage chunk, the stop sequences
    (to tell which one stopped the output), an estimate of the input tokens for protocols
    that must report them before the upstream has, when the request arrived, the answer
    id to use (None: each encoder makes one in its protocol's form), and which of the
    client's tools are custom ones (free-form input) or grouped in a namespace (name →
    namespace), so that their calls go back to the client as the calls of such tools.
    `array_stream`: a Gemini client's stream is one JSON array, not SSE (no `alt=sse`)."""

    model: str = ""
    stream: bool = False
    include_usage: bool = False
    stop_sequences: tuple[str, ...] = ()
    estimated_input_tokens: int = 0
    created: int = 0
    answer_id: str | None = None
    custom_tools: frozenset[str] = frozenset()
    tool_namespaces: tuple[tuple[str, str], ...] = ()
    array_stream: bool = False

    @property
    def stream_content_type(self) -> str:
        """The content type of the client's stream: an event stream, or the JSON array a Gemini
        client reads without `alt=sse` (Gemini itself sends that as application/json)."""
        return ARRAY_CONTENT_TYPE if self.array_stream else "text/event-stream"


@dataclass(frozen=True, slots=True)
class EncodeOptions:
    """Proxy options a request encoder may need."""

    default_max_tokens: int = 8192


@dataclass(slots=True)
class EncodedRequest:
    body: dict
    # Client parameters with no equivalent upstream that were left out, named for the log line.
    dropped: list[str] = field(default_factory=list)


class StreamDecoder(Protocol):
    """Bytes of the upstream's stream in (split anywhere), neutral events out (sans-IO)."""

    def feed(self, piece: bytes) -> list[Event]: ...

    def end(self) -> list[Event]: ...


class StreamEncoder(Protocol):
    """Neutral events in, bytes of the client's stream out."""

    def encode(self, events: list[Event]) -> bytes: ...


class RequestCodec(Protocol):
    def decode_request(self, body: dict) -> Request: ...

    def encode_request(self, request: Request, options: EncodeOptions) -> EncodedRequest: ...


class AnswerCodec(Protocol):
    def decode_answer(self, body: object, exchange: Exchange) -> Answer: ...

    def encode_answer(self, answer: Answer, exchange: Exchange) -> dict: ...

    def stream_decoder(self, exchange: Exchange) -> StreamDecoder: ...

    def stream_encoder(self, exchange: Exchange) -> StreamEncoder: ...
