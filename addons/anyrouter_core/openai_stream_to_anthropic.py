"""OpenAI chat-completion SSE stream → Anthropic Messages SSE stream, incrementally (sans-IO).

`feed()` takes body pieces as they arrive and returns the Anthropic events they complete;
`end()` flushes at end of body. Nothing is held back except what the Anthropic event order
forces:
- a tool call's `content_block_start` needs both its id and its name, so the deltas of that
  one call wait until both are known. When the stream moves on without an id (a later
  call is ready to start, or the choice finishes) an id `toolu_…` is made up; a call that
  never got a name is an error.
- `message_delta` carries the final usage, which OpenAI sends after `finish_reason`, so it
  waits for the first usage seen at or after the finish, or for `[DONE]` / the end.

Blocks are numbered from 0 in order, exactly one is open at a time, and it is closed before
the next opens; inside one upstream chunk the order is thinking → text → tool calls.
A thinking block gets no `signature_delta`: its start already carries `signature: ""`,
which is all the SDK's `ThinkingBlock` needs, and there is nothing real to sign with.
A tool call whose arguments were empty gets `partial_json: "{}"` so that every client
accumulator ends with `input == {}`; leading whitespace in arguments is not sent.

Errors end the stream with `event: error` (Anthropic shape): an upstream error chunk, data
that is not a JSON object, tool-call arguments arriving for a call whose block was already
closed (interleaved calls cannot be told apart afterwards), a nameless tool call, and any
end of stream before a `finish_reason` — a truncated upstream never looks like success —,
and an event bigger than `max_event_size` (see `sse.SSEDecoder`). After that, and after
`message_stop`, `feed()` and `end()` return b"" (the rest of the body is dropped unread);
`error` is the error the stream ended with, if any.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .anthropic_stream_from_message import anthropic_event_bytes
from .errors import ANTHROPIC, ProxyError, RequestRejected, event_too_large, parse_upstream_error, render_error
from .openai_to_anthropic_response import (
    anthropic_stop,
    matched_stop_sequence,
    new_message_id,
    new_tool_use_id,
    reasoning_text,
    upstream_garbage,
)
from .sse import MAX_EVENT_SIZE, EventTooLarge, SSEDecoder, SSEEvent
from .usage import anthropic_usage_from_openai

_THINKING = "thinking"
_TEXT = "text"
_TOOL = "tool_use"
_EMPTY_BLOCKS = {
    _THINKING: {"type": "thinking", "thinking": "", "signature": ""},
    _TEXT: {"type": "text", "text": ""},
}


@dataclass(slots=True)
class _ToolCall:
    order: int
    id: str = ""
    name: str = ""
    waiting_arguments: list[str] = field(default_factory=list)
    block_index: int | None = None
    closed: bool = False
    sent_json: bool = False


class OpenAIToAnthropicStream:
    """One upstream response: feed it the OpenAI SSE body, send the client what comes out."""

    def __init__(
        self,
        *,
        client_model: str,
        stop_sequences: list[str] | None = None,
        message_id: str | None = None,
        estimated_input_tokens: int = 0,
        max_event_size: int = MAX_EVENT_SIZE,
    ) -> None:
        self._decoder = SSEDecoder(max_event_size)
        self._client_model = client_model
        self._stop_sequences = [s for s in stop_sequences or () if isinstance(s, str) and s]
        self._tail_length = max((len(s) for s in self._stop_sequences), default=0)
        self._message_id = message_id or new_message_id()
        self._estimated_input_tokens = estimated_input_tokens
        self._out: list[bytes] = []
        self._started = False
        self._done = False
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
        self.error: ProxyError | None = None

    def feed(self, piece: bytes) -> bytes:
        if self._done:
            return b""
        try:
            return self._run(self._decoder.feed(piece), at_end=False)
        except EventTooLarge as overflow:
            out = self._run(overflow.events, at_end=False)
            if not self._done:
                self._fail(event_too_large(overflow))
            return out + self._take_out()

    def end(self) -> bytes:
        if self._done:
            return b""
        return self._run(self._decoder.end(), at_end=True)

    # ------------------------------------------------------------ event loop

    def _run(self, events: list[SSEEvent], *, at_end: bool) -> bytes:
        try:
            for event in events:
                self._on_event(event)
                if self._done:
                    break
            if at_end and not self._done:
                self._on_upstream_end()
        except RequestRejected as failure:
            self._fail(failure.error)
        return self._take_out()

    def _take_out(self) -> bytes:
        out, self._out = b"".join(self._out), []
        return out

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
            raise upstream_garbage(f"upstream stream sent data that is not JSON: {data[:200]}") from None
        if not isinstance(chunk, dict):
            raise upstream_garbage("upstream stream sent data that is not a JSON object")
        if "error" in chunk:
            raise RequestRejected(_upstream_error(chunk))
        self._on_chunk(chunk)

    def _on_chunk(self, chunk: dict) -> None:
        if not self._started:
            self._start_message()
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
        # Some servers send "" instead of null on every chunk; only a real reason ends the choice.
        if isinstance(finish_reason, str) and finish_reason and self._finish_reason is None:
            self._finish_reason = finish_reason
            self._matched_stop = matched_stop_sequence(choice, self._text_tail, self._stop_sequences)
            self._open_waiting_calls()
            self._close_open_block()

    def _on_delta(self, delta: dict) -> None:
        thinking = reasoning_text(delta)
        if thinking:
            self._append(_THINKING, thinking)
        for key in ("content", "refusal"):
            text = delta.get(key)
            if isinstance(text, str) and text:
                self._refused = self._refused or key == "refusal"
                self._append(_TEXT, text)
                self._remember_tail(text)
        tool_calls = delta.get("tool_calls")
        for position, call_delta in enumerate(tool_calls if isinstance(tool_calls, list) else ()):
            if isinstance(call_delta, dict):
                self._on_tool_call_delta(call_delta, position)

    def _on_upstream_end(self) -> None:
        if self._finish_reason is None:
            raise upstream_garbage("upstream stream ended before a finish_reason: the answer is incomplete")
        self._finish_message()

    # ------------------------------------------------------------ text and thinking

    def _append(self, kind: str, text: str) -> None:
        if self._open_kind != kind:
            self._open_block(kind, _EMPTY_BLOCKS[kind])
        if kind == _THINKING:
            delta = {"type": "thinking_delta", "thinking": text}
        else:
            delta = {"type": "text_delta", "text": text}
        self._emit({"type": "content_block_delta", "index": self._blocks - 1, "delta": delta})

    def _remember_tail(self, text: str) -> None:
        if self._tail_length:
            self._text_tail = (self._text_tail + text)[-self._tail_length:]

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
            arguments = json.dumps(arguments, ensure_ascii=False)
        if arguments:
            if call.closed:
                raise upstream_garbage("upstream interleaved the arguments of several tool calls")
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
                    raise upstream_garbage("upstream sent a tool call without a function name")
                call.id = call.id or new_tool_use_id()
                self._open_tool_block(call)

    def _open_tool_block(self, call: _ToolCall) -> None:
        self._open_block(_TOOL, {"type": "tool_use", "id": call.id, "name": call.name, "input": {}})
        call.block_index = self._blocks - 1
        self._open_call = call
        self._send_waiting_arguments(call)

    def _send_waiting_arguments(self, call: _ToolCall) -> None:
        for arguments in call.waiting_arguments:
            if not call.sent_json:
                # Leading whitespace is meaningless, and the SDK's partial parser rejects it.
                arguments = arguments.lstrip()
            if arguments:
                call.sent_json = True
                self._emit_json_delta(call, arguments)
        call.waiting_arguments.clear()

    def _emit_json_delta(self, call: _ToolCall, partial_json: str) -> None:
        delta = {"type": "input_json_delta", "partial_json": partial_json}
        self._emit({"type": "content_block_delta", "index": call.block_index, "delta": delta})

    # ------------------------------------------------------------ blocks and message

    def _open_block(self, kind: str, content_block: dict) -> None:
        self._close_open_block()
        self._emit({"type": "content_block_start", "index": self._blocks, "content_block": content_block})
        self._blocks += 1
        self._open_kind = kind

    def _close_open_block(self) -> None:
        if self._open_kind is None:
            return
        call = self._open_call
        if call is not None:
            if not call.sent_json:
                self._emit_json_delta(call, "{}")
            call.closed = True
            self._open_call = None
        self._emit({"type": "content_block_stop", "index": self._blocks - 1})
        self._open_kind = None

    def _start_message(self) -> None:
        self._started = True
        usage = {
            "input_tokens": self._estimated_input_tokens,
            "output_tokens": 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        message = {
            "id": self._message_id,
            "type": "message",
            "role": "assistant",
            "model": self._client_model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        self._emit({"type": "message_start", "message": message})

    def _finish_message(self) -> None:
        self._open_waiting_calls()
        self._close_open_block()
        used_tools = any(call.block_index is not None for call in self._calls.values())
        stop_reason, stop_sequence = anthropic_stop(
            self._finish_reason, self._matched_stop, used_tools=used_tools, refused=self._refused
        )
        usage = anthropic_usage_from_openai(self._usage)
        if self._usage is None:
            usage["input_tokens"] = self._estimated_input_tokens
        self._emit({
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
            "usage": usage,
        })
        self._emit({"type": "message_stop"})
        self._done = True

    def _fail(self, error: ProxyError) -> None:
        _, body = render_error(ANTHROPIC, error)
        self._emit(body)
        self._done = True
        self.error = error

    def _emit(self, payload: dict) -> None:
        self._out.append(anthropic_event_bytes(payload))


def _upstream_error(chunk: dict) -> ProxyError:
    error = chunk.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    status = code if isinstance(code, int) and 400 <= code <= 599 else 502
    return parse_upstream_error(status, "application/json", json.dumps(chunk).encode())
