"""Properties of the Gemini codec: a stream the encoder writes decodes to the same events
however its bytes are split, and to the answer's text, calls (ids, names, arguments) and stop."""

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


@settings(max_examples=60, deadline=None)
@given(answers)
def test_an_encoded_stream_decodes_to_the_answers_text_calls_and_stop(answer):
    import json

    from anyrouter_core.neutral.events import ArgumentsDelta, BlockStart, MessageDelta, TextDelta

    events = decode([stream_from_answer(answer, GeminiStreamEncoder(Exchange(model="gemini-2.5-flash")))])
    text = "".join(event.text for event in events if isinstance(event, TextDelta))
    assert text == "".join(block.text for block in answer.blocks if isinstance(block, Text))
    starts = {event.index: event.block for event in events if isinstance(event, BlockStart) and isinstance(event.block, ToolCall)}
    pieces: dict[int, str] = {}
    for event in events:
        if isinstance(event, ArgumentsDelta):
            pieces[event.index] = pieces.get(event.index, "") + event.partial_json
    calls = [(starts[i].id, starts[i].name, json.loads(pieces.get(i) or "{}")) for i in sorted(starts)]
    wanted = [block for block in answer.blocks if isinstance(block, ToolCall)]
    assert calls == [(block.id, block.name, block.arguments) for block in wanted]
    stops = [event.stop_reason for event in events if isinstance(event, MessageDelta)]
    expected = "max_tokens" if answer.stop_reason == "max_tokens" else ("tool_use" if wanted else "end_turn")
    assert stops[-1] == expected
