"""Gemini `streamGenerateContent?alt=sse` → neutral stream events, incrementally (sans-IO).

Each `data:` event is one GenerateContentResponse chunk. Its parts are read as a whole
answer's are (`answer.py`), and become events at once: text and thought text are deltas of
an open text or thinking block (a block closes when the kind of part changes, and a signed
thought part closes its thinking block with the signature); a function call, which Gemini
sends whole, is a block of its own: `BlockStart` with its id and name, its `args` as one
`ArgumentsDelta`, `BlockStop`. A signature on a part that is not thinking is a thinking
block with no text and the carried signature (`SignatureDelta`) just before the part's
block, and a call's is also in its `BlockStart`. Images and Gemini's own parts are blocks
sent whole. Calls without ids (parallel calls often come one per chunk without any) each
get a distinct one.

The stream has no end event: the body's end ends it. `MessageStart` comes with the first
chunk (its usage: the input counts of that chunk's `usageMetadata`, if any); at the end,
`MessageDelta` carries the stop reason (`finish_reasons.py`, from the last `finishReason`,
or a prompt blocked before any candidate) and the usage of the last `usageMetadata` (each
is a running total), then `MessageStop`.

Fails closed: a body that ends before any `finishReason` (or blocked prompt), a chunk that
is not a JSON object, an `error` chunk (its `code` the status, its `status` kept), and parts
that are not readable (`answer.py`) end the stream with a `StreamError`. A JSON-array stream
(what Gemini sends without `alt=sse`, which the proxy always asks for) is refused in so many
words rather than read: nothing the proxy sends upstream gets one.
"""

from __future__ import annotations

import json

from . import NAME as GEMINI
from ...neutral import (
    ArgumentsDelta,
    Block,
    BlockStart,
    BlockStop,
    MessageDelta,
    MessageStart,
    MessageStop,
    SignatureDelta,
    StreamError,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
)
from ...errors import RequestRejected
from ...sse import MAX_EVENT_SIZE, SSEEvent
from ..base import Exchange
from ..event_stream import SSEStreamDecoder, arguments_text, extra_fields
from .answer import (
    RESPONSE_FIELDS,
    CallIds,
    block_reason,
    candidate_parts,
    finish_reason,
    first_candidate,
    part_blocks,
    upstream_error,
    upstream_garbage,
)
from .finish_reasons import neutral_stop
from .usage import USAGE_FIELD, input_usage, usage_from_gemini

_TEXT, _THINKING = "text", "thinking"


class GeminiStreamDecoder(SSEStreamDecoder):
    def __init__(self, exchange: Exchange = Exchange(), max_event_size: int = MAX_EVENT_SIZE) -> None:
        super().__init__(max_event_size)
        self._first_bytes = True
        self._started = False
        self._blocks = 0
        self._open: str | None = None
        self._ids = CallIds()
        self._used_tools = False
        self._finish_reason: str | None = None
        self._blocked = False
        self._usage: dict | None = None

    def feed(self, piece: bytes) -> list:
        if self._first_bytes and piece.strip():
            self._first_bytes = False
            if piece.lstrip().startswith(b"["):
                self._emit(StreamError(upstream_garbage(
                    "the stream is a JSON array, not the server-sent events asked for (alt=sse)").error))
                out, self._out = self._out, []
                return out
        return super().feed(piece)

    def _on_event(self, event: SSEEvent) -> None:
        data = event.data.strip()
        if not data:
            return
        try:
            chunk = json.loads(data)
        except ValueError:
            raise upstream_garbage(f"a chunk is not JSON: {data[:200]}") from None
        if not isinstance(chunk, dict):
            raise upstream_garbage("a chunk is not a JSON object")
        if isinstance(chunk.get("error"), dict):
            raise RequestRejected(upstream_error(chunk))
        self._on_chunk(chunk)

    def _on_upstream_end(self) -> None:
        if self._finish_reason is None and not self._blocked:
            raise upstream_garbage("the stream ended before a finishReason: the answer is incomplete")
        self._close_block()
        usage = usage_from_gemini(self._usage) if self._usage is not None else None
        self._emit(MessageDelta(neutral_stop(self._finish_reason, blocked=self._blocked, used_tools=self._used_tools),
                                usage=usage))
        self._emit(MessageStop())

    def _on_chunk(self, chunk: dict) -> None:
        usage = chunk.get(USAGE_FIELD)
        if isinstance(usage, dict):
            self._usage = usage
        if not self._started:
            self._start(chunk)
        self._blocked = self._blocked or block_reason(chunk) is not None
        candidate = first_candidate(chunk)
        if candidate is None:
            return
        for where, part in candidate_parts(candidate):
            for block in part_blocks(part, where, self._ids):
                self._on_block(block)
        self._finish_reason = finish_reason(candidate) or self._finish_reason

    def _start(self, chunk: dict) -> None:
        self._started = True
        usage = input_usage(usage_from_gemini(self._usage)) if self._usage is not None else None
        response_id, model = chunk.get("responseId"), chunk.get("modelVersion")
        self._emit(MessageStart(
            response_id if isinstance(response_id, str) else "",
            model if isinstance(model, str) else "",
            usage,
            protocol=GEMINI,
            extra=extra_fields(chunk, RESPONSE_FIELDS),
        ))

    # ------------------------------------------------------------ blocks

    def _on_block(self, block: Block) -> None:
        if isinstance(block, Text):
            self._append(_TEXT, block.text)
        elif isinstance(block, Thinking) and block.text:
            self._append(_THINKING, block.text)
            if block.signature:
                self._emit(SignatureDelta(self._blocks - 1, block.signature))
                self._close_block()
        elif isinstance(block, Thinking):
            index = self._open_block(None, Thinking(""))
            self._emit(SignatureDelta(index, block.signature or ""))
            self._close_block()
        elif isinstance(block, ToolCall):
            self._used_tools = True
            index = self._open_block(None, ToolCall(block.id, block.name, signature=block.signature))
            self._emit(ArgumentsDelta(index, arguments_text(block)))
            self._close_block()
        else:
            self._open_block(None, block)
            self._close_block()

    def _append(self, kind: str, text: str) -> None:
        if self._open != kind:
            self._open_block(kind, Text("") if kind == _TEXT else Thinking(""))
        index = self._blocks - 1
        self._emit(TextDelta(index, text) if kind == _TEXT else ThinkingDelta(index, text))

    def _open_block(self, kind: str | None, block: Block) -> int:
        """Closes the open block and opens `block`; `kind` says what deltas may join it
        (None: none, it closes right after)."""
        self._close_block()
        index = self._blocks
        self._emit(BlockStart(index, block))
        self._blocks += 1
        self._open = kind or "whole"
        return index

    def _close_block(self) -> None:
        if self._open is not None:
            self._emit(BlockStop(self._blocks - 1))
            self._open = None
