"""The facts of a client's request that answering it needs, read leniently from its body.

Read for every request on an LLM route, translated or not (a same-protocol request under
`force_non_stream` is never decoded), so the readers never raise: a field of the wrong type
counts as absent.
"""

from __future__ import annotations

from .base import Exchange


def stop_list(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def _model(body: dict) -> str:
    model = body.get("model")
    return model if isinstance(model, str) else ""


def exchange_from_body(body: dict, *, created: int, stop_field: str, include_usage: bool = False,
                       estimated_input_tokens: int = 0) -> Exchange:
    return Exchange(
        model=_model(body),
        stream=body.get("stream") is True,
        include_usage=include_usage,
        stop_sequences=stop_list(body.get(stop_field)),
        estimated_input_tokens=estimated_input_tokens,
        created=created,
    )
