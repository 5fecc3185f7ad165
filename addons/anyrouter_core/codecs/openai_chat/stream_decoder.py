"""OpenAI chat-completion SSE → neutral stream events, incrementally (sans-IO).

OpenAI's stream allows what the neutral order does not (tool calls interleaved by `index`,
ids and names arriving late, usage after the finish), so this decoder holds back exactly
what that order forces, and nothing else:
- a tool call opens only once both its id and its name are known, so the deltas of that one
  call wait. When the stream moves on without an id (a later call is ready to open, or the
  choice finishes) an id `toolu_…` is made up; a call that never got a name is an error.
- `MessageDelta` carries the final usage, which OpenAI sends after `finish_reason`, so it
  waits for the first usage seen at or after the finish, or for `[DONE]` / the end.

Blocks are numbered from 0 in order, exactly one is open at a time, and it is closed before
the next opens; inside one upstream chunk the order is thinking → text → tool calls. Thinking
comes from `reasoning_content` or `reasoning` and is unsigned; `refusal` text is a text block
marked `refusal`, and the answer then stops with `refusal`. A stream that called tools stops
with `tool_use` even when the upstream said "stop"; the stop sequence that ended the output
is found among `exchange.stop_sequences` (see `finish_reasons.py`).

Errors end the stream with a `StreamError`: an upstream error chunk (its `code`, when an HTTP
status, is the status), data that is not a JSON object, tool-call arguments arriving for a
call whose block was already closed (interleaved calls cannot be told apart afterwards), a
nameless tool call, and any end of stream before a `finish_reason` — a truncated upstream
never looks like success. Only choice 0 is read; a `finish_reason` of "" is no finish.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import NAME as OPENAI
from ...errors import ProxyError, RequestRejected, parse_upstream_error
from ...neutral import (
    ArgumentsDelta,
    BlockStart,
    BlockStop,
    MessageDelta,
    MessageStart,
    MessageStop,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
)
from ...sse import MAX_EVENT_SIZE, SSEEvent
from ..base import Exchange
from ..event_stream import SSEStreamDecoder, compact_json, extra_fields, rejected
from .answer import created_of, new_tool_use_id, reasoning_text, string_or
from .finish_reasons import matched_stop_sequence, neutral_stop
from .usage import usage_from_openai

_THINKING, _TEXT, _REFUSAL, _TOOL = "thinking", "text", "refusal", "tool_call"
# The fields of a chunk's envelope the neutral events carry elsewhere; the others (such as
# `system_fingerprint`) travel with the MessageStart, taken from the first chunk.
CHUNK_FIELDS = frozenset({"id", "object", "created", "model", "choices", "usage"})


@dataclass(slots=True)
class _ToolCall:
    order: int
    id: str = ""
    name: str = ""
    waiting_arguments: list[str] = field(default_factory=list)
    block_index: int | None = None
    closed: bool = False


class OpenAIChatStreamDecoder(SSEStreamDecoder):
    def __init__(self, exchange: Exchange = Exchange(), max_event_size: int = MAX_EVENT_SIZE) -> None:
        super().__init__(max_event_size)
        self._stop_sequences = tuple(s for s in exchange.stop_sequences if isinstance(s, str) and s)
        self._tail_length = max((len(s) for s in self._stop_sequences), default=0)
        self._started = False
        self._blocks = 0
        self._open_kind: str | None = None
        self._open_call: _ToolCall | None = None
        self._calls: dict[int, _ToolCall] = {}
        self._unindexed_base = 0
        self._text_tail = ""
        self._refused = False
        self._finish_reason: str | None = None
        self._matched_stop: str | None = None
        self._usage: dict | None = None

    # ------------------------------------------------------------ events and chunks

    def _on_event(self, event: SSEEvent) -> None:
        data = event.data.strip()
        if not data:
            return
        if data == "[DONE]":
            self._on_upstream_end()
            return
        try:
            chunk = json.loads(data)
        except ValueError:
            raise rejected(502, f"upstream stream sent data that is not JSON: {data[:200]}") from None
        if not isinstance(chunk, dict):
            raise rejected(502, "upstream stream sent data that is not a JSON object")
        if "error" in chunk:
            raise RequestRejected(_upstream_error(chunk))
        self._on_chunk(chunk)

    def _on_upstream_end(self) -> None:
        if self._finish_reason is None:
            raise rejected(502, "upstream stream ended before a finish_reason: the answer is incomplete")
        self._finish_message()

    def _on_chunk(self, chunk: dict) -> None:
        if not self._started:
            self._start_message(chunk)
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else ():
            if isinstance(choice, dict) and choice.get("index") in (0, None):
                self._on_choice(choice)
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self._usage = usage
            if self._finish_reason is not None:
                self._finish_message()

    def _on_choice(self, choice: dict) -> None:
        delta = choice.get("delta")
        if isinstance(delta, dict):
            self._on_delta(delta)
        finish_reason = choice.get("finish_reason")
        if isinstance(finish_reason, str) and finish_reason and self._finish_reason is None:
            self._finish_reason = finish_reason
            self._matched_stop = matched_stop_sequence(choice, self._text_tail, self._stop_sequences)
            self._open_waiting_calls()
            self._close_open_block()

    def _on_delta(self, delta: dict) -> None:
        thinking = reasoning_text(delta)
        if thinking:
            self._append(_THINKING, thinking)
        for kind in (_TEXT, _REFUSAL):
            text = delta.get("content" if kind == _TEXT else "refusal")
            if isinstance(text, str) and text:
                self._refused = self._refused or kind == _REFUSAL
                self._append(kind, text)
                self._remember_tail(text)
        tool_calls = delta.get("tool_calls")
        for position, call_delta in enumerate(tool_calls if isinstance(tool_calls, list) else ()):
            if isinstance(call_delta, dict):
                self._on_tool_call_delta(call_delta, position)

    # ------------------------------------------------------------ text and thinking

    def _append(self, kind: str, text: str) -> None:
        if self._open_kind != kind:
            self._open_block(kind, Thinking("") if kind == _THINKING else Text("", refusal=kind == _REFUSAL))
        index = self._blocks - 1
        self._emit(ThinkingDelta(index, text) if kind == _THINKING else TextDelta(index, text))

    def _remember_tail(self, text: str) -> None:
        if self._tail_length:
            self._text_tail = (self._text_tail + text)[-self._tail_length :]

    # ------------------------------------------------------------ tool calls

    def _on_tool_call_delta(self, call_delta: dict, position: int) -> None:
        call = self._call_for(call_delta, position)
        call_id = call_delta.get("id")
        if isinstance(call_id, str) and call_id and not call.id:
            call.id = call_id
        function = call_delta.get("function")
        function = function if isinstance(function, dict) else {}
        name = function.get("name")
        if isinstance(name, str) and name and not call.name:
            call.name = name
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, str):
            arguments = compact_json(arguments)
        if arguments:
            if call.closed:
                raise rejected(502, "upstream interleaved the arguments of several tool calls")
            call.waiting_arguments.append(arguments)
        if call is self._open_call:
            self._send_waiting_arguments(call)
        elif call.block_index is None and call.id and call.name:
            self._open_waiting_calls(before=call.order)
            self._open_tool_block(call)

    def _call_for(self, call_delta: dict, position: int) -> _ToolCall:
        index = call_delta.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            # Without an index, the position in the chunk decides, and a new id at a position
            # already taken by another call starts a new call after all known ones.
            call_id = call_delta.get("id")
            known = self._calls.get(self._unindexed_base + position)
            if isinstance(call_id, str) and call_id and known is not None and known.id not in ("", call_id):
                self._unindexed_base = max(self._calls) + 1 - position
            index = self._unindexed_base + position
        if index not in self._calls:
            self._calls[index] = _ToolCall(order=len(self._calls))
        return self._calls[index]

    def _open_waiting_calls(self, before: int | None = None) -> None:
        """Opens, in order, the calls still waiting for an id or a name: the stream has moved on."""
        for call in sorted(self._calls.values(), key=lambda c: c.order):
            if before is not None and call.order >= before:
                break
            if call.block_index is None:
                if not call.name:
                    raise rejected(502, "upstream sent a tool call without a function name")
                call.id = call.id or new_tool_use_id()
                self._open_tool_block(call)

    def _open_tool_block(self, call: _ToolCall) -> None:
        self._open_block(_TOOL, ToolCall(call.id, call.name))
        call.block_index = self._blocks - 1
        self._open_call = call
        self._send_waiting_arguments(call)

    def _send_waiting_arguments(self, call: _ToolCall) -> None:
        for arguments in call.waiting_arguments:
            self._emit(ArgumentsDelta(call.block_index, arguments))  # type: ignore[arg-type]
        call.waiting_arguments.clear()

    # ------------------------------------------------------------ blocks and message

    def _open_block(self, kind: str, block: Thinking | Text | ToolCall) -> None:
        self._close_open_block()
        self._emit(BlockStart(self._blocks, block))
        self._blocks += 1
        self._open_kind = kind

    def _close_open_block(self) -> None:
        if self._open_kind is None:
            return
        if self._open_call is not None:
            self._open_call.closed = True
            self._open_call = None
        self._emit(BlockStop(self._blocks - 1))
        self._open_kind = None

    def _start_message(self, chunk: dict) -> None:
        self._started = True
        self._emit(MessageStart(
            string_or(chunk, "id", ""),
            string_or(chunk, "model", ""),
            created=created_of(chunk),
            protocol=OPENAI,
            extra=extra_fields(chunk, CHUNK_FIELDS),
        ))

    def _finish_message(self) -> None:
        self._open_waiting_calls()
        self._close_open_block()
        used_tools = any(call.block_index is not None for call in self._calls.values())
        stop_reason, stop_sequence = neutral_stop(
            self._finish_reason, self._matched_stop, used_tools=used_tools, refused=self._refused
        )
        usage = usage_from_openai(self._usage) if self._usage is not None else None
        self._emit(MessageDelta(stop_reason, stop_sequence, usage))
        self._emit(MessageStop())


def _upstream_error(chunk: dict) -> ProxyError:
    error = chunk.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    status = code if isinstance(code, int) and 400 <= code <= 599 else 502
    return parse_upstream_error(status, "application/json", json.dumps(chunk).encode())
