"""Anthropic Messages SSE → OpenAI `chat.completion.chunk` SSE, incrementally (sans-IO).

`AnthropicToOpenAIStream.feed()` takes raw body pieces as they arrive and returns the OpenAI
bytes completed by them; nothing is held back except an event still missing its end. The
client must never take a broken stream for a finished one, so an upstream `error` event, an
event that cannot be read, or a body that ends before `message_stop` all end the stream with
an OpenAI error chunk (`{"error": {...}}`) and no `[DONE]`; so does an event bigger than
`max_event_size` (see `sse.SSEDecoder`), after which the rest of the body is dropped unread.
`error` is the error the stream ended with, if any.

`OpenAIChunkWriter` is the one place chunks are shaped; `openai_stream_from_completion` uses it
too, so both produce the same sequence: role chunk, deltas, finish chunk, usage chunk (only
when the client asked for it), `[DONE]`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .anthropic_to_openai_response import (
    completion_id_for,
    error_without_status,
    tool_arguments_json,
    upstream_garbage,
)
from .errors import OPENAI, ProxyError, event_too_large, render_error
from .sse import MAX_EVENT_SIZE, EventTooLarge, SSEDecoder, SSEEvent, encode_event
from .stop_reasons import finish_reason_for
from .usage import openai_usage_from_anthropic


def _chunk_bytes(chunk: dict) -> bytes:
    return encode_event(json.dumps(chunk, ensure_ascii=False, separators=(",", ":")))


def error_chunk(error: ProxyError) -> bytes:
    """An OpenAI error object as a stream chunk; the OpenAI SDK raises it as an APIError."""
    _, body = render_error(OPENAI, error)
    return _chunk_bytes(body)


class OpenAIChunkWriter:
    """Encodes the chunks of one streamed completion, all sharing its id, created and model."""

    def __init__(self, *, completion_id: str, created: int, model: str, include_usage: bool) -> None:
        self.completion_id = completion_id
        self.created = created
        self.model = model
        self.include_usage = include_usage

    def role(self) -> bytes:
        return self.delta({"role": "assistant", "content": ""})

    def delta(self, delta: dict) -> bytes:
        return self._choice_chunk(delta, None)

    def finish(self, finish_reason: str) -> bytes:
        return self._choice_chunk({}, finish_reason)

    def usage(self, usage: dict) -> bytes:
        return _chunk_bytes({**self._envelope(), "choices": [], "usage": usage})

    @staticmethod
    def done() -> bytes:
        return encode_event("[DONE]")

    def _choice_chunk(self, delta: dict, finish_reason: str | None) -> bytes:
        chunk = {
            **self._envelope(),
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        # OpenAI sends `usage: null` on every other chunk once the client asked for usage.
        if self.include_usage:
            chunk["usage"] = None
        return _chunk_bytes(chunk)

    def _envelope(self) -> dict:
        return {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
        }


class _BadEvent(Exception):
    """An upstream event this translator cannot read; it ends the stream with an error."""


@dataclass(slots=True)
class _Block:
    kind: str
    tool_index: int | None = None
    start_input: dict | None = None
    arguments_sent: bool = False


class AnthropicToOpenAIStream:
    def __init__(
        self,
        *,
        client_model: str,
        include_usage: bool,
        created: int,
        completion_id: str | None = None,
        max_event_size: int = MAX_EVENT_SIZE,
    ) -> None:
        self._decoder = SSEDecoder(max_event_size)
        self._client_model = client_model
        self._include_usage = include_usage
        self._created = created
        self._completion_id = completion_id
        self._writer: OpenAIChunkWriter | None = None
        self._blocks: dict[int, _Block] = {}
        self._tool_calls = 0
        self._usage: dict = {}
        self._finish_sent = False
        self._ended = False
        self.error: ProxyError | None = None

    def feed(self, piece: bytes) -> bytes:
        if self._ended:
            return b""
        try:
            return self._translate(self._decoder.feed(piece))
        except EventTooLarge as overflow:
            out = self._translate(overflow.events)
            return out if self._ended else out + self._fail(event_too_large(overflow))

    def end(self) -> bytes:
        if self._ended:
            return b""
        out = self._translate(self._decoder.end())
        if not self._ended:
            out += self._fail(upstream_garbage("the stream ended before message_stop"))
        return out

    def _translate(self, events: list[SSEEvent]) -> bytes:
        out = bytearray()
        for event in events:
            if self._ended:
                break
            try:
                out += self._on_event(event)
            except _BadEvent as problem:
                out += self._fail(upstream_garbage(str(problem)))
        return bytes(out)

    def _fail(self, error: ProxyError) -> bytes:
        self._ended = True
        self.error = error
        return error_chunk(error)

    def _on_event(self, event: SSEEvent) -> bytes:
        if not event.data:
            # The event-stream rules dispatch no event without data (relays send such keep-alives).
            return b""
        try:
            data = json.loads(event.data)
        except ValueError:
            raise _BadEvent(f"a {event.event or 'data'} event is not valid JSON") from None
        if not isinstance(data, dict):
            raise _BadEvent(f"a {event.event or 'data'} event is not a JSON object")
        kind = data.get("type") if isinstance(data.get("type"), str) else event.event
        if kind == "ping":
            return b""
        if kind == "error":
            return self._on_error(event.data)
        if kind == "message_start":
            return self._on_message_start(data)
        if self._writer is None:
            # Anything else before message_start means this is not a Messages stream.
            raise _BadEvent(f"{kind or 'an event'} came before message_start")
        handler = self._HANDLERS.get(kind)  # type: ignore[arg-type]
        # Unknown event types are future additions to the protocol; they carry nothing we use.
        return handler(self, self._writer, data) if handler else b""

    def _on_error(self, raw: str) -> bytes:
        return self._fail(error_without_status(raw.encode()))

    def _on_message_start(self, data: dict) -> bytes:
        if self._writer is not None:
            raise _BadEvent("a second message_start")
        message = _object(data, "message")
        message_id = message.get("id")
        if not isinstance(message_id, str) or not message_id:
            raise _BadEvent("message_start without a message id")
        self._add_usage(message.get("usage"))
        self._writer = OpenAIChunkWriter(
            completion_id=self._completion_id or completion_id_for(message_id),
            created=self._created,
            model=self._client_model,
            include_usage=self._include_usage,
        )
        return self._writer.role()

    def _on_block_start(self, writer: OpenAIChunkWriter, data: dict) -> bytes:
        index = _index(data)
        block = _object(data, "content_block")
        kind = block.get("type")
        if kind == "text":
            self._blocks[index] = _Block("text")
            return _text_delta(writer, "content", _string(block, "text", ""))
        if kind == "thinking":
            self._blocks[index] = _Block("thinking")
            return _text_delta(writer, "reasoning_content", _string(block, "thinking", ""))
        if kind == "tool_use":
            return self._start_tool_call(writer, index, block)
        self._blocks[index] = _Block("other")
        return b""

    def _start_tool_call(self, writer: OpenAIChunkWriter, index: int, block: dict) -> bytes:
        start_input = block.get("input", {})
        if not isinstance(start_input, dict):
            raise _BadEvent("a tool_use block whose input is not an object")
        tool_index = self._tool_calls
        self._tool_calls += 1
        self._blocks[index] = _Block("tool_use", tool_index, start_input)
        call = {
            "index": tool_index,
            "id": _string(block, "id"),
            "type": "function",
            "function": {"name": _string(block, "name"), "arguments": ""},
        }
        return writer.delta({"tool_calls": [call]})

    def _on_block_delta(self, writer: OpenAIChunkWriter, data: dict) -> bytes:
        index = _index(data)
        delta = _object(data, "delta")
        kind = delta.get("type")
        if kind == "text_delta":
            return _text_delta(writer, "content", _string(delta, "text"))
        if kind == "thinking_delta":
            return _text_delta(writer, "reasoning_content", _string(delta, "thinking"))
        if kind == "input_json_delta":
            partial = _string(delta, "partial_json")
            block = self._blocks.get(index)
            # Server tool blocks stream their input too; only client tool calls reach OpenAI.
            if block is None or block.kind != "tool_use" or not partial:
                return b""
            block.arguments_sent = True
            return _arguments_delta(writer, block, partial)
        return b""

    def _on_block_stop(self, writer: OpenAIChunkWriter, data: dict) -> bytes:
        block = self._blocks.pop(_index(data), None)
        if block is None or block.kind != "tool_use" or block.arguments_sent:
            return b""
        # No input streamed: send what content_block_start held ({} at least), since OpenAI
        # clients parse arguments as JSON and "" is not JSON.
        return _arguments_delta(writer, block, tool_arguments_json(block.start_input or {}))

    def _on_message_delta(self, writer: OpenAIChunkWriter, data: dict) -> bytes:
        delta = data.get("delta") or {}
        if not isinstance(delta, dict):
            raise _BadEvent("message_delta.delta is not an object")
        self._add_usage(data.get("usage"))
        stop_reason = delta.get("stop_reason")
        if stop_reason is None or self._finish_sent:
            return b""
        if not isinstance(stop_reason, str):
            raise _BadEvent("message_delta.delta.stop_reason is not a string")
        self._finish_sent = True
        return writer.finish(finish_reason_for(stop_reason) or "stop")

    def _on_message_stop(self, writer: OpenAIChunkWriter, data: dict) -> bytes:
        out = b"" if self._finish_sent else writer.finish("stop")
        if self._include_usage:
            out += writer.usage(openai_usage_from_anthropic(self._usage))
        self._ended = True
        return out + writer.done()

    def _add_usage(self, usage: object) -> None:
        """message_start holds the input counts, message_delta the final ones: later wins."""
        if usage is None:
            return
        if not isinstance(usage, dict):
            raise _BadEvent("usage is not an object")
        self._usage.update({key: value for key, value in usage.items() if value is not None})

    _HANDLERS = {
        "content_block_start": _on_block_start,
        "content_block_delta": _on_block_delta,
        "content_block_stop": _on_block_stop,
        "message_delta": _on_message_delta,
        "message_stop": _on_message_stop,
    }


def _text_delta(writer: OpenAIChunkWriter, field: str, text: str) -> bytes:
    return writer.delta({field: text}) if text else b""


def _arguments_delta(writer: OpenAIChunkWriter, block: _Block, arguments: str) -> bytes:
    return writer.delta({"tool_calls": [{"index": block.tool_index, "function": {"arguments": arguments}}]})


def _object(data: dict, key: str) -> dict:
    value = data.get(key)
    if not isinstance(value, dict):
        raise _BadEvent(f"{data.get('type')}.{key} is not an object")
    return value


def _string(data: dict, key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise _BadEvent(f"{data.get('type')}.{key} is not a string")
    return value


def _index(data: dict) -> int:
    index = data.get("index")
    if not isinstance(index, int) or isinstance(index, bool):
        raise _BadEvent(f"{data.get('type')} without an integer index")
    return index
