"""Any bytes, and any sequence of either protocol's events, decoded with either codec's stream
decoder and encoded with the other's (or its own) encoder: nothing is raised, and the client's
stream ends the way its protocol ends a stream (`[DONE]` or an error chunk; `message_stop` or
an `error` event). Any JSON as an answer, decoded with either codec and encoded with the
other: only the documented rejection (`RequestRejected`, 502 or the status an error object
stands for)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from anyrouter_core.codecs.anthropic import answer as anthropic_answer
from anyrouter_core.codecs.anthropic.stream_decoder import AnthropicStreamDecoder
from anyrouter_core.codecs.anthropic.stream_encoder import AnthropicStreamEncoder
from anyrouter_core.codecs.base import Exchange
from anyrouter_core.codecs.openai_chat import answer as openai_answer
from anyrouter_core.codecs.openai_chat.stream_decoder import OpenAIChatStreamDecoder
from anyrouter_core.codecs.openai_chat.stream_encoder import OpenAIChatStreamEncoder
from anyrouter_core.errors import RequestRejected
from anyrouter_core.sse import SSEDecoder
from anyrouter_core.stream_translation import StreamTranslator, stream_from_answer
from unit.test_fuzz_translators import completion_ish, json_values, streams

EXCHANGE = Exchange(model="m", include_usage=True, stop_sequences=("END",), estimated_input_tokens=5, created=1)
DECODERS = (AnthropicStreamDecoder, OpenAIChatStreamDecoder)
ENCODERS = (AnthropicStreamEncoder, OpenAIChatStreamEncoder)
CODECS = (anthropic_answer, openai_answer)


def ending(encoder: type, output: bytes) -> str:
    decoder = SSEDecoder()
    events = decoder.feed(output) + decoder.end()
    assert events, "a stream always ends with its protocol's end or an error"
    last = events[-1]
    if encoder is OpenAIChatStreamEncoder:
        return "end" if last.data == "[DONE]" else ("error" if "error" in json.loads(last.data) else "cut")
    return {"message_stop": "end", "error": "error"}.get(last.event or "", "cut")


@given(streams | st.binary(max_size=300), st.sampled_from(DECODERS), st.sampled_from(ENCODERS), st.data())
def test_any_stream_through_any_pair_of_codecs_ends_cleanly(body, decoder, encoder, data):
    translator = StreamTranslator(decoder(EXCHANGE), encoder(EXCHANGE))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=4)))
    bounds = [0, *cuts, len(body)]
    output = b"".join(translator.feed(body[a:b]) for a, b in zip(bounds, bounds[1:])) + translator.end()
    assert ending(encoder, output) in ("end", "error")
    assert translator.feed(b"data: {}\n\n") == b"" and translator.end() == b""


@given(json_values | completion_ish, st.sampled_from(CODECS), st.sampled_from(CODECS), st.sampled_from(ENCODERS))
def test_any_answer_through_any_pair_of_codecs_is_encoded_or_rejected(body, decoding, encoding, encoder):
    try:
        answer = decoding.decode_answer(body, EXCHANGE)
    except RequestRejected as rejected:
        assert rejected.error.status in (402, 413, 502, 529)
        return
    assert isinstance(encoding.encode_answer(answer, EXCHANGE), dict)
    assert ending(encoder, stream_from_answer(answer, encoder(EXCHANGE))) == "end"
