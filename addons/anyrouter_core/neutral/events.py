"""The events of a streamed answer, in neutral form.

A stream decoder turns its protocol's bytes into these, always in the well-formed order
below, whatever order its protocol allows; a stream encoder turns them into its protocol's
bytes:

    MessageStart
    (BlockStart  (TextDelta | ThinkingDelta | SignatureDelta | ArgumentsDelta | CitationDelta)*  BlockStop)*
    MessageDelta  MessageStop

Blocks are numbered from 0 in order; exactly one is open at a time, and it is closed before
the next one opens. A `StreamError` may come at any point and ends the stream: nothing follows
it. A stream that ends without `MessageStop` or `StreamError` was cut off, and the decoder
reports that as a `StreamError` at its `end()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ProxyError
from .answer import Usage
from .blocks import Block


@dataclass(slots=True)
class MessageStart:
    """`created`: when the upstream says it made the answer (Unix seconds), None when its
    protocol does not say. `protocol` and `extra` as in `Answer`: the message's fields without
    a neutral form (`system_fingerprint` …), sent back only to that protocol."""

    id: str
    model: str
    usage: Usage | None = None
    created: int | None = None
    protocol: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(slots=True)
class BlockStart:
    """`block` is the block as far as it is known when it opens: empty text or thinking, a
    tool call with its id and name (arguments follow as deltas), or a block that never
    streams (redacted thinking, an opaque block) whole."""

    index: int
    block: Block


@dataclass(slots=True)
class TextDelta:
    index: int
    text: str


@dataclass(slots=True)
class ThinkingDelta:
    index: int
    text: str


@dataclass(slots=True)
class SignatureDelta:
    index: int
    signature: str


@dataclass(slots=True)
class ArgumentsDelta:
    """A piece of a tool call's arguments as JSON text; the pieces of one call join to a
    JSON object."""

    index: int
    partial_json: str


@dataclass(slots=True)
class CitationDelta:
    index: int
    citation: dict


@dataclass(slots=True)
class BlockStop:
    index: int


@dataclass(slots=True)
class MessageDelta:
    """The end of the answer: why it stopped, and the usage as finally reported."""

    stop_reason: str | None
    stop_sequence: str | None = None
    usage: Usage | None = None


@dataclass(slots=True)
class MessageStop:
    pass


@dataclass(slots=True)
class StreamError:
    error: ProxyError


Event = (
    MessageStart | BlockStart | TextDelta | ThinkingDelta | SignatureDelta | ArgumentsDelta
    | CitationDelta | BlockStop | MessageDelta | MessageStop | StreamError
)
