"""The facts of a Gemini client's request that answering it needs, read leniently (see
`codecs/exchange.py`) from the body the proxy works on: the model and stream form its path
gave (`paths.lift`), and the stop sequences in `generationConfig` (either spelling). No
estimate of the input tokens: a Gemini stream says them only with its usage, at the end."""

from __future__ import annotations

from dataclasses import replace

from ..base import Exchange
from ..exchange import exchange_from_body, stop_list
from .paths import ARRAY_STREAM_FIELD


def gemini_exchange(body: dict, created: int) -> Exchange:
    # Gemini's stop sequences are not a top-level field: `stop_field` finds none, they are read below.
    exchange = exchange_from_body(body, created=created, stop_field="stopSequences")
    config = _either(body, "generationConfig", "generation_config")
    stops = _either(config, "stopSequences", "stop_sequences") if isinstance(config, dict) else None
    return replace(exchange, stop_sequences=stop_list(stops), array_stream=body.get(ARRAY_STREAM_FIELD) is True)


def _either(container: dict, camel: str, snake: str) -> object:
    return container.get(camel, container.get(snake))
