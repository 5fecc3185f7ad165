"""Neutral stream events → OpenAI `chat.completion.chunk` SSE.

Every stream has the same shape, live or made from a finished answer: a role chunk, the
deltas, a finish chunk, a usage chunk (only when the client asked for it and the upstream
reported usage), `data: [DONE]`. Every chunk shares one id, `created` and model (the id and
`created` as `answer.py` chooses them; the model the client asked for), `choices[].index` is
always 0 and, once the client asked for usage, every other chunk carries `usage: null` as
OpenAI's own do.

Choices:
- Thinking is `reasoning_content`; refusal text is `refusal`; signatures, citations and
  blocks OpenAI cannot carry (redacted thinking, opaque blocks) are left out.
- `tool_calls[].index` counts tool calls only. A call's first chunk (id, name, arguments "")
  goes out when its first arguments do, or with all of them when the call opens whole, or at
  its end with "{}" when none came (OpenAI clients parse arguments as JSON, and "" is not
  JSON): a call that arrives whole is one chunk, as OpenAI itself sends it.
- The usage chunk adds up what `MessageStart` and `MessageDelta` reported, the later count
  winning.
- A `StreamError` is a chunk holding an OpenAI error object (the SDK raises it as an
  `APIError`), and no `[DONE]`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import NAME as OPENAI
from ...errors import ProxyError
from ...neutral import (
    ArgumentsDelta,
    Block,
    Event,
    MessageDelta,
    MessageStart,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
    Usage,
)
from ...sse import encode_event
from ..base import Exchange
from ..event_stream import EventEncoder, arguments_text, json_event_bytes, with_extra
from .answer import completion_id
from .errors import render_error
from .finish_reasons import finish_reason_for
from .usage import is_reported, openai_usage


@dataclass(slots=True)
class _OpenBlock:
    text_field: str  # where its TextDeltas go
    tool_index: int | None = None
    # A tool call's first chunk, until its arguments begin or it ends.
    pending_start: dict | None = None


class OpenAIChatStreamEncoder(EventEncoder):
    def __init__(self, exchange: Exchange = Exchange()) -> None:
        self._exchange = exchange
        self._envelope = {
            "id": completion_id("", exchange),
            "object": "chat.completion.chunk",
            "created": exchange.created,
            "model": exchange.model,
        }
        self._open: dict[int, _OpenBlock] = {}
        self._tool_calls = 0
        self._usage: Usage | None = None
        self._finish_sent = False

    def _write(self, pieces: list[bytes]) -> bytes:
        return b"".join(pieces)

    def _stream_error(self, error: ProxyError) -> list[bytes]:
        return [json_event_bytes(render_error(error)[1])]

    def _message_start(self, start: MessageStart) -> list[bytes]:
        self._envelope = with_extra({
            "id": completion_id(start.id, self._exchange),
            "object": "chat.completion.chunk",
            "created": start.created if start.created is not None else self._exchange.created,
            "model": self._exchange.model or start.model,
        }, start, OPENAI)
        self._usage = start.usage
        return [self._chunk({"role": "assistant", "content": ""})]

    def _block_start(self, index: int, block: Block) -> list[bytes]:
        if isinstance(block, ToolCall):
            return self._tool_call_start(index, block)
        if isinstance(block, Text):
            opened = self._open[index] = _OpenBlock("refusal" if block.refusal else "content")
            return self._text(opened.text_field, block.text)
        if isinstance(block, Thinking):
            self._open[index] = _OpenBlock("content")
            return self._text("reasoning_content", block.text)
        return []

    def _tool_call_start(self, index: int, call: ToolCall) -> list[bytes]:
        opened = self._open[index] = _OpenBlock("content", self._tool_calls)
        self._tool_calls += 1
        function = {"name": call.name, "arguments": ""}
        opened.pending_start = {"index": opened.tool_index, "id": call.id, "type": "function", "function": function}
        if call.arguments or call.raw_arguments is not None:
            return self._start_tool_call(opened, arguments_text(call))
        return []

    def _start_tool_call(self, block: _OpenBlock, arguments: str = "") -> list[bytes]:
        """The call's first chunk, with `arguments` in it; nothing once it has gone out."""
        call, block.pending_start = block.pending_start, None
        if call is None:
            return []
        call["function"]["arguments"] = arguments
        return [self._chunk({"tool_calls": [call]})]

    def _delta(self, event: Event) -> list[bytes]:
        block = self._open.get(event.index)  # type: ignore[union-attr]
        if block is None:
            return []
        out = self._start_tool_call(block) if block.pending_start is not None else []
        if isinstance(event, TextDelta):
            return out + self._text(block.text_field, event.text)
        if isinstance(event, ThinkingDelta):
            return out + self._text("reasoning_content", event.text)
        if isinstance(event, ArgumentsDelta) and block.tool_index is not None and event.partial_json:
            return out + [self._arguments(block, event.partial_json)]
        return out

    def _block_stop(self, index: int) -> list[bytes]:
        block = self._open.pop(index, None)
        return [] if block is None else self._start_tool_call(block, "{}")

    def _message_delta(self, delta: MessageDelta) -> list[bytes]:
        self._usage = delta.usage if self._usage is None else self._usage.updated(delta.usage)
        if self._finish_sent:
            return []
        self._finish_sent = True
        return [self._finish(finish_reason_for(delta.stop_reason) or "stop")]

    def _message_stop(self) -> list[bytes]:
        out = [] if self._finish_sent else [self._finish("stop")]
        if self._exchange.include_usage and is_reported(self._usage):
            out.append(json_event_bytes({**self._envelope, "choices": [], "usage": openai_usage(self._usage)}))  # type: ignore[arg-type]
        return out + [encode_event("[DONE]")]

    def _text(self, field: str, text: str) -> list[bytes]:
        return [self._chunk({field: text})] if text else []

    def _arguments(self, block: _OpenBlock, arguments: str) -> bytes:
        return self._chunk({"tool_calls": [{"index": block.tool_index, "function": {"arguments": arguments}}]})

    def _finish(self, finish_reason: str) -> bytes:
        return self._choice_chunk({}, finish_reason)

    def _chunk(self, delta: dict) -> bytes:
        return self._choice_chunk(delta, None)

    def _choice_chunk(self, delta: dict, finish_reason: str | None) -> bytes:
        chunk = {
            **self._envelope,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if self._exchange.include_usage:
            chunk["usage"] = None
        return json_event_bytes(chunk)
