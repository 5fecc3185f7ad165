"""Neutral stream events → a Gemini client's stream: `data:` events (`alt=sse`), or one JSON
array written as it goes when the client asked without `alt=sse` (`exchange.array_stream`):
`[` before the first chunk, `,\\r\\n` between chunks, `]` after the last.

Every chunk is a GenerateContentResponse of one candidate (`answer.response_object`) with
`modelVersion` (the model the client asked for) and `responseId`. Gemini has no start event
and no block events, so a chunk goes out for each piece of content:
- each text or thinking delta at once, as one part (`thought: true` for thinking);
- a tool call when its block stops (its arguments complete), as one `functionCall` part,
  as Gemini itself sends calls whole;
- an image or a Gemini client's own part when its block starts (they come whole).
Thought signatures go where `answer.PartWriter` puts them in a whole answer: a thinking
block's own signature, known at its end, as a thought part with no text after its text
(with the text when the block came whole); a carried Gemini signature of thinking without
text on the next part. The last chunk carries `finishReason` and `usageMetadata` (every
count, as a whole answer's), and a signature no part took.

A `StreamError` ends the stream with an element `{"error": {…}}` in Gemini's shape
(`errors.py`): a `data:` event, or the array's last element before its `]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import NAME as GEMINI
from ...errors import ProxyError
from ...neutral import (
    ArgumentsDelta,
    Block,
    Event,
    MessageDelta,
    MessageStart,
    SignatureDelta,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
    Usage,
)
from ..array_stream import ArrayFraming
from ..base import Exchange
from ..event_stream import EventEncoder, compact_json_bytes, crlf_json_event
from ..openai_chat.answer import tool_call
from .answer import PartWriter, response_id_for, response_object, signature_part, thought_signature
from .errors import render_error
from .finish_reasons import finish_reason_for
from .usage import gemini_usage


@dataclass(slots=True)
class _OpenBlock:
    block: Block
    pieces: list[str] = field(default_factory=list)  # a call's arguments; text sent, for thinking
    signature: str | None = None


class GeminiStreamEncoder(EventEncoder):
    def __init__(self, exchange: Exchange = Exchange()) -> None:
        self._exchange = exchange
        self._model = exchange.model
        self._response_id = response_id_for("", exchange)
        self._extra: dict = {}
        self._writer = PartWriter()
        self._open: dict[int, _OpenBlock] = {}
        self._usage: Usage | None = None
        self._stop_reason: str | None = None
        self._framing = ArrayFraming()

    # ------------------------------------------------------------ framing

    def _write(self, pieces: list[bytes]) -> bytes:
        return b"".join(pieces)

    def _element(self, payload: dict, last: bool = False) -> bytes:
        if not self._exchange.array_stream:
            return crlf_json_event(payload)
        return self._framing.element(compact_json_bytes(payload)) + (b"]" if last else b"")

    def _chunk(self, parts: list[dict], finish: str | None = None, usage: dict | None = None, last: bool = False) -> list[bytes]:
        if not parts and finish is None:
            return []
        response = response_object(parts, finish, usage, self._model, self._response_id)
        if self._extra:
            response, self._extra = {**response, **self._extra}, {}
        return [self._element(response, last)]

    # ------------------------------------------------------------ message

    def _message_start(self, start: MessageStart) -> list[bytes]:
        self._model = self._exchange.model or start.model
        self._response_id = response_id_for(start.id, self._exchange)
        if start.protocol == GEMINI:
            self._extra = dict(start.extra)
        self._usage = start.usage
        return []

    def _message_delta(self, delta: MessageDelta) -> list[bytes]:
        self._usage = delta.usage if self._usage is None else self._usage.updated(delta.usage)
        self._stop_reason = delta.stop_reason
        return []

    def _message_stop(self) -> list[bytes]:
        parts = self._writer.rest() or [{"text": ""}]
        usage = gemini_usage(self._usage or Usage())
        return self._chunk(parts, finish_reason_for(self._stop_reason), usage, last=True)

    def _stream_error(self, error: ProxyError) -> list[bytes]:
        return [self._element(render_error(error)[1], last=True)]

    # ------------------------------------------------------------ blocks

    def _block_start(self, index: int, block: Block) -> list[bytes]:
        opened = self._open[index] = _OpenBlock(block)
        if isinstance(block, Thinking) and block.text and block.signature:
            opened.signature, opened.pieces = None, [block.text]
            return self._chunk(self._writer.parts(block))  # whole, signature and all
        if isinstance(block, (Text, Thinking)):
            opened.signature = block.signature if isinstance(block, Thinking) else None
            return self._text(opened, block.text)
        if isinstance(block, ToolCall):
            return []
        del self._open[index]
        return self._chunk(self._writer.parts(block))

    def _delta(self, event: Event) -> list[bytes]:
        opened = self._open.get(event.index)  # type: ignore[union-attr]
        if opened is None:
            return []
        if isinstance(event, (TextDelta, ThinkingDelta)):
            return self._text(opened, event.text)
        if isinstance(event, SignatureDelta):
            opened.signature = event.signature or None
        elif isinstance(event, ArgumentsDelta):
            opened.pieces.append(event.partial_json)
        return []

    def _text(self, opened: _OpenBlock, text: str) -> list[bytes]:
        if not text:
            return []
        thinking = isinstance(opened.block, Thinking)
        if thinking:
            opened.pieces.append(text)
        part = {"text": text, "thought": True} if thinking else {"text": text}
        return self._chunk(self._writer.signed(part))

    def _block_stop(self, index: int) -> list[bytes]:
        opened = self._open.pop(index, None)
        if opened is None:
            return []
        block = opened.block
        if isinstance(block, ToolCall):
            return self._chunk(self._writer.parts(_whole_call(block, opened.pieces)))
        if not isinstance(block, Thinking) or not opened.signature:
            return []
        if not opened.pieces:
            return self._chunk(self._writer.parts(Thinking("", opened.signature)))
        signed = {**signature_part(thought_signature(opened.signature)), "thought": True}
        return self._chunk(self._writer.signed(signed))


def _whole_call(start: ToolCall, pieces: list[str]) -> ToolCall:
    """The call as its block began, with the arguments its deltas brought."""
    if not pieces:
        return start
    whole = tool_call(start.id, start.name, "".join(pieces))
    whole.signature, whole.custom, whole.namespace = start.signature, start.custom, start.namespace
    return whole
