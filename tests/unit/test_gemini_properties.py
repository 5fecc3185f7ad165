"""Properties of the Gemini codec: a stream the encoder writes decodes to the same events
however its bytes are split, and to the answer's text, calls (ids, names, arguments) and stop;
a neutral request through a Gemini body keeps its system text, text, calls (ids, names,
arguments, signature) and results."""

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


def view(request) -> tuple:
    """What a round trip must keep: the system text, each turn's text, calls and results."""
    from anyrouter_core.neutral import ToolResult

    def block(item):
        if isinstance(item, Text):
            return ("text", item.text)
        if isinstance(item, ToolCall):
            return ("call", item.id, item.name, item.arguments)
        if isinstance(item, ToolResult):
            return ("result", item.call_id, [part.text for part in item.content if isinstance(part, Text)])
        return ("other", type(item).__name__)

    system = "".join(part.text for part in request.system)
    return system, [(turn.role, [block(item) for item in turn.blocks]) for turn in request.turns]


conversations = st.builds(
    lambda system, ask, said, args, signature, output: (system, ask, said, args, signature, output),
    st.text(min_size=1, max_size=15), st.text(min_size=1, max_size=15), st.text(min_size=1, max_size=15),
    st.lists(st.tuples(names, st.text(max_size=8)), min_size=1, max_size=3), st.sampled_from(["c2ln", "QUJD"]),
    st.text(min_size=1, max_size=15),
)


@settings(max_examples=60, deadline=None)
@given(conversations)
def test_a_neutral_request_through_gemini_keeps_text_calls_results_and_system(conversation):
    from anyrouter_core.codecs.base import EncodeOptions
    from anyrouter_core.codecs.gemini.request_decode import decode_request
    from anyrouter_core.codecs.gemini.request_encode import encode_request
    from anyrouter_core.neutral import Request, ToolResult, Turn

    system, ask, said, calls, signature, output = conversation
    made = [ToolCall(id=f"call_{i}", name=name, arguments={"v": value}, signature=signature if i == 0 else None)
            for i, (name, value) in enumerate(calls)]
    request = Request(
        model="gemini-2.5-flash", system=[Text(system)],
        turns=[
            Turn("user", [Text(ask)]),
            Turn("assistant", [Text(said), *made]),
            Turn("user", [ToolResult(call.id, [Text(output)]) for call in made]),
        ],
    )
    body = encode_request(request, EncodeOptions()).body
    back = decode_request({**body, "model": "gemini-2.5-flash"})
    assert view(back)[0] == system
    roles = [role for role, _ in view(back)[1]]
    assert roles == ["user", "assistant", "user"]
    (_, first), (_, second), (_, third) = view(back)[1]
    assert first == [("text", ask)]
    assert second[0] == ("text", said)
    got_calls = [item for item in second if item[0] == "call"]
    assert [(name, args) for _, _, name, args in got_calls] == [(call.name, call.arguments) for call in made]
    ids = [call_id for _, call_id, _, _ in got_calls]
    assert ids == [call.id for call in made]
    assert [item for item in third if item[0] == "result"] == [("result", call_id, [output]) for call_id in ids]
    signed = [block for turn in back.turns for block in turn.blocks if isinstance(block, ToolCall)]
    assert signed[0].signature == signature
