"""The SSE body a streaming OpenAI client expects, built from a finished `chat.completion`.

Used when the proxy asked the upstream for a whole answer but the client asked for a stream.
The chunks follow the same rules as the live stream translator, by using the same writer:
role chunk, reasoning, content, one chunk per tool call (complete, with its arguments),
finish chunk, usage chunk when asked for and known, `[DONE]`.
"""

from __future__ import annotations

from .anthropic_stream_to_openai import OpenAIChunkWriter


def openai_stream_from_completion(completion: dict, *, include_usage: bool) -> bytes:
    writer = OpenAIChunkWriter(
        completion_id=completion["id"],
        created=completion["created"],
        model=completion["model"],
        include_usage=include_usage,
    )
    choice = completion["choices"][0]
    message = choice.get("message") or {}
    out = [writer.role()]
    for field in ("reasoning_content", "content", "refusal"):
        if message.get(field):
            out.append(writer.delta({field: message[field]}))
    for index, call in enumerate(message.get("tool_calls") or []):
        out.append(writer.delta({"tool_calls": [{"index": index, **call}]}))
    out.append(writer.finish(choice.get("finish_reason") or "stop"))
    usage = completion.get("usage")
    if include_usage and usage is not None:
        out.append(writer.usage(usage))
    out.append(writer.done())
    return b"".join(out)
