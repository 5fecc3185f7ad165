"""Properties of the Gemini codec: a stream the encoder writes decodes to the same events
however its bytes are split."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from anyrouter_core.codecs.base import Exchange
from anyrouter_core.codecs.gemini.stream_decoder import GeminiStreamDecoder
from anyrouter_core.codecs.gemini.stream_encoder import GeminiStreamEncoder
from anyrouter_core.neutral import Text, ToolCall
from anyrouter_core.neutral.answer import Answer, Usage
from anyrouter_core.stream_translation import stream_from_answer

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
blocks = st.one_of(
    st.builds(Text, st.text(min_size=1, max_size=20)),
    st.builds(lambda name, value, sign: ToolCall(id=f"call_{name}", name=name, arguments={"v": value}, signature=sign),
              names, st.text(max_size=10), st.sampled_from([None, "c2ln"])),
)


def unique_ids(parts: list) -> list:
    """Calls with distinct ids, as an answer has (the decoder gives a repeated id a new one)."""
    return [ToolCall(id=f"call_{i}", name=p.name, arguments=p.arguments, signature=p.signature) if isinstance(p, ToolCall) else p
            for i, p in enumerate(parts)]


answers = st.builds(
    lambda parts, stop, n: Answer(id="msg_1", model="gemini-2.5-flash", blocks=unique_ids(parts), stop_reason=stop, usage=Usage(input=n, output=n)),
    st.lists(blocks, min_size=1, max_size=4), st.sampled_from(["end_turn", "max_tokens", "tool_use"]), st.integers(0, 1000),
)


def decode(pieces: list[bytes]) -> list:
    decoder = GeminiStreamDecoder(Exchange(model="gemini-2.5-flash"))
    events = [event for piece in pieces for event in decoder.feed(piece)]
    return events + decoder.end()


@settings(max_examples=60, deadline=None)
@given(answers, st.lists(st.integers(0, 10_000), max_size=8))
def test_an_encoded_stream_decodes_the_same_split_anywhere(answer, cuts):
    raw = stream_from_answer(answer, GeminiStreamEncoder(Exchange(model="gemini-2.5-flash")))
    points = sorted({cut % (len(raw) + 1) for cut in cuts})
    pieces = [raw[start:end] for start, end in zip([0, *points], [*points, len(raw)])]
    whole = decode([raw])
    assert decode(pieces) == whole
