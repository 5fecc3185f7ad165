"""The SSE body a streaming OpenAI client expects, built from a finished `chat.completion`.

Used when the proxy asked the upstream for a whole answer but the client asked for a stream.
The chunks follow the same rules as the live stream translator, by using the same writer:
role chunk, reasoning, content, one chunk per tool call (complete, with its arguments),
finish chunk, usage chunk when asked for and known, `[DONE]`.

The completion may come straight from an OpenAI-compatible upstream, so a body that is not a
completion raises `RequestRejected` with a 502, like the other translators of upstream answers.
"""

from __future__ import annotations

from .anthropic_stream_to_openai import OpenAIChunkWriter
from .errors import ProxyError, RequestRejected


def openai_stream_from_completion(completion: dict, *, include_usage: bool) -> bytes:
    message, finish_reason = _first_choice(completion)
    writer = OpenAIChunkWriter(
        completion_id=completion.get("id"),
        created=completion.get("created"),
        model=completion.get("model"),
        include_usage=include_usage,
    )
    out = [writer.role()]
    for field in ("reasoning_content", "content", "refusal"):
        if message.get(field):
            out.append(writer.delta({field: message[field]}))
    for index, call in enumerate(message.get("tool_calls") or []):
        out.append(writer.delta({"tool_calls": [{"index": index, **call}]}))
    out.append(writer.finish(finish_reason or "stop"))
    usage = completion.get("usage")
    if include_usage and usage is not None:
        out.append(writer.usage(usage))
    out.append(writer.done())
    return b"".join(out)


def _first_choice(completion: object) -> tuple[dict, str | None]:
    """(message, finish_reason) of choice 0, the only one a translated answer has."""
    choices = completion.get("choices") if isinstance(completion, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices else None
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict) or not _are_objects(message.get("tool_calls") or []):
        raise RequestRejected(
            ProxyError(502, "the upstream answered with something that is not a chat completion", "api_error")
        )
    return message, choice.get("finish_reason")  # type: ignore[union-attr]


def _are_objects(items: object) -> bool:
    return isinstance(items, list) and all(isinstance(item, dict) for item in items)
