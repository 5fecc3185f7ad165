"""Properties of the OpenAI-client → Anthropic-upstream translators over generated inputs."""

import base64
import json
import string

from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.chat import ChatCompletion

from unit.pairs import AnthropicToOpenAIStream
from unit.pairs import openai_completion_from_anthropic
from anyrouter_core.errors import RequestRejected
from request_pairs import translate_openai_request
from anyrouter_core.sse import encode_event
from unit.checks_openai_to_anthropic import (
    accumulate,
    anthropic_stream,
    assert_valid_anthropic_request,
    read_openai_stream,
)

SETTINGS = settings(deadline=None)

# --- valid OpenAI requests ------------------------------------------------------------------

short_text = st.text(max_size=12)
json_scalars = st.none() | st.booleans() | st.integers(-1000, 1000) | st.floats(allow_nan=False) | short_text
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(short_text, children, max_size=3),
    max_leaves=12,
)
arguments = st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=6), json_values, max_size=3)
call_ids = st.text(string.ascii_letters + string.digits + "_-.:/ ", min_size=1, max_size=16)
tool_names = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=12)

text_part = st.builds(lambda t: {"type": "text", "text": t}, short_text)
image_part = st.one_of(
    st.builds(
        lambda media, data: {
            "type": "image_url",
            "image_url": {"url": f"data:{media};base64,{base64.b64encode(data).decode()}"},
        },
        st.sampled_from(["image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp"]),
        st.binary(min_size=1, max_size=12),
    ),
    st.builds(
        lambda path: {"type": "image_url", "image_url": {"url": f"https://example.com/{path}.png"}},
        st.text(string.ascii_lowercase, max_size=6),
    ),
)
file_part = st.builds(
    lambda data, name: {
        "type": "file",
        "file": {"file_data": f"data:application/pdf;base64,{base64.b64encode(data).decode()}", **name},
    },
    st.binary(min_size=1, max_size=12),
    st.just({}) | st.builds(lambda n: {"filename": n}, short_text),
)
user_content = short_text | st.lists(st.one_of(text_part, image_part, file_part), max_size=4)
system_message = st.builds(
    lambda role, content: {"role": role, "content": content},
    st.sampled_from(["system", "developer"]),
    short_text | st.lists(text_part, max_size=3),
)
user_message = st.builds(lambda content: {"role": "user", "content": content}, user_content)
assistant_content = (
    st.none()
    | short_text
    | st.lists(text_part | st.builds(lambda t: {"type": "refusal", "refusal": t}, short_text), max_size=3)
)
assistant_message = st.builds(lambda content: {"role": "assistant", "content": content}, assistant_content)


@st.composite
def tool_rounds(draw) -> list[dict]:
    """An assistant message with tool calls, then one tool message per call in any order."""
    ids = draw(st.lists(call_ids, min_size=1, max_size=3, unique=True))
    calls = [
        {
            "id": call_id,
            "type": "function",
            "function": {"name": draw(tool_names), "arguments": json.dumps(draw(arguments))},
        }
        for call_id in ids
    ]
    answers = [
        {
            "role": "tool",
            "tool_call_id": call_id,
            "content": draw(short_text | st.lists(text_part | image_part, max_size=2)),
        }
        for call_id in draw(st.permutations(ids))
    ]
    return [{"role": "assistant", "content": draw(assistant_content), "tool_calls": calls}, *answers]


@st.composite
def conversations(draw) -> list[dict]:
    """Mostly the usual shape (user first, user last), sometimes any order at all."""
    middle = draw(
        st.lists(
            st.one_of(
                system_message.map(lambda m: [m]),
                user_message.map(lambda m: [m]),
                assistant_message.map(lambda m: [m]),
                tool_rounds(),
            ),
            max_size=5,
        )
    )
    usual = draw(st.booleans()) or not middle
    first = [[draw(user_message)]] if usual else []
    last = [[draw(user_message)]] if usual and draw(st.booleans()) else []
    return [message for piece in first + middle + last for message in piece]


@st.composite
def tools_and_choice(draw) -> dict:
    names = draw(st.lists(tool_names, max_size=3, unique=True))
    params: dict = {}
    if names:
        params["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": draw(short_text),
                    "parameters": {"type": "object", "properties": {}},
                },
            }
            for name in names
        ]
        choices = ["auto", "none", "required", *({"type": "function", "function": {"name": n}} for n in names)]
        if draw(st.booleans()):
            params["tool_choice"] = draw(st.sampled_from(choices))
    if draw(st.booleans()):
        params["parallel_tool_calls"] = draw(st.booleans())
    return params


def optional(strategy):
    return st.none() | strategy


@st.composite
def openai_requests(draw) -> dict:
    body = {"model": draw(st.sampled_from(["claude-sonnet-4-5", "gpt-4o"])), "messages": draw(conversations())}
    body.update(draw(tools_and_choice()))
    candidates = {
        "max_tokens": optional(st.integers(1, 100000)),
        "max_completion_tokens": optional(st.integers(1, 100000)),
        "stop": optional(short_text | st.lists(short_text, max_size=4)),
        "temperature": optional(st.floats(-1, 3)),
        "top_p": optional(st.floats(0, 1)),
        "user": optional(short_text),
        "reasoning_effort": st.sampled_from(["none", "minimal", "low", "medium", "high", "xhigh"]),
        "response_format": optional(
            st.sampled_from(
                [
                    {"type": "text"},
                    {"type": "json_object"},
                    {"type": "json_schema", "json_schema": {"name": "r", "schema": {"type": "object"}}},
                ]
            )
        ),
        "stream": optional(st.booleans()),
        "stream_options": optional(st.just({"include_usage": True})),
        "n": optional(st.just(1)),
        "seed": optional(st.integers()),
        "frequency_penalty": optional(st.floats(-2, 2)),
        "store": optional(st.booleans()),
    }
    for key, strategy in candidates.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    return body


def assert_sound_anthropic_request(body: dict) -> None:
    assert_valid_anthropic_request(body)
    turns = body["messages"]
    assert [turn["role"] for turn in turns] == ["user", "assistant"] * (len(turns) // 2) + ["user"] * (len(turns) % 2)
    open_calls: set[str] = set()
    for turn in turns:
        blocks = turn["content"]
        assert blocks, "empty turn"
        results = [b["tool_use_id"] for b in blocks if b["type"] == "tool_result"]
        if turn["role"] == "user":
            assert blocks[: len(results)] == [
                b for b in blocks if b["type"] == "tool_result"
            ], "tool results must come first"
            assert set(results) == open_calls, "every tool_use is answered by the next user turn, and only those"
            assert len(results) == len(set(results))
        else:
            assert not results
        open_calls = {b["id"] for b in blocks if b["type"] == "tool_use"}
    assert not open_calls
    for text in _texts(body):
        assert text.strip(), "empty text block"
    for tool in body.get("tools", []):
        assert tool["input_schema"]["type"] == "object"
    assert all(s.strip() for s in body.get("stop_sequences", []))
    assert 0 <= body.get("temperature", 0) <= 1
    assert "stream_options" not in body
    thinking = body.get("thinking")
    if thinking:
        if thinking["type"] == "adaptive":  # a Gemini client's dynamic budget (-1)
            assert thinking == {"type": "adaptive"}
        else:
            assert 1024 <= thinking["budget_tokens"] < body["max_tokens"]
        assert "temperature" not in body
        assert body.get("top_p", 1) >= 0.95
        assert body.get("tool_choice", {"type": "auto"})["type"] in ("auto", "none")


def _texts(body: dict):
    for block in body.get("system", []):
        yield block["text"]
    for turn in body["messages"]:
        for block in turn["content"]:
            if block["type"] == "text":
                yield block["text"]
            if block["type"] == "tool_result":
                yield from (inner["text"] for inner in block.get("content", []) if inner["type"] == "text")


@SETTINGS
@given(openai_requests())
def test_valid_openai_requests_translate_to_sound_anthropic_requests(body):
    result = translate_openai_request(body, default_max_tokens=8192)
    assert_sound_anthropic_request(result.body)
    assert result.body["model"] == body["model"]


# --- anything else ----------------------------------------------------------------------------


def translate_or_reject(body: object) -> None:
    """Only RequestRejected may come out; whatever is accepted must be a sound request."""
    try:
        result = translate_openai_request(body, default_max_tokens=8192)  # type: ignore[arg-type]
    except RequestRejected as rejected:
        assert rejected.error.status == 400
        assert rejected.error.message
        return
    assert_sound_anthropic_request(result.body)


any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(["role", "content", "type", "text", "model", "messages"]) | st.text(max_size=6),
        children,
        max_size=4,
    ),
    max_leaves=15,
)


@SETTINGS
@given(any_json)
def test_arbitrary_json_bodies_only_ever_raise_request_rejected(body):
    translate_or_reject(body)


request_ish = st.fixed_dictionaries(
    {
        "model": st.just("m"),
        "messages": st.lists(
            st.dictionaries(
                st.sampled_from(["role", "content", "tool_calls", "tool_call_id", "name"]),
                any_json | st.sampled_from(["user", "assistant", "system", "tool", "developer"]),
            ),
            max_size=4,
        ),
    },
    optional={
        key: any_json
        for key in [
            "tools",
            "tool_choice",
            "stop",
            "temperature",
            "max_tokens",
            "reasoning_effort",
            "response_format",
            "n",
            "parallel_tool_calls",
        ]
    },
)


@SETTINGS
@given(request_ish)
def test_request_shaped_garbage_only_ever_raises_request_rejected(body):
    translate_or_reject(body)


def _paths(value: object, path: tuple = ()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _replaced(value: object, path: tuple, new: object) -> object:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    return [_replaced(item, rest, new) if index == head else item for index, item in enumerate(value)]


@SETTINGS
@given(openai_requests(), st.data())
def test_valid_requests_with_one_part_replaced_by_any_json_only_raise_request_rejected(body, data):
    path = data.draw(st.sampled_from(list(_paths(body))))
    translate_or_reject(_replaced(body, path, data.draw(any_json)))


# --- Anthropic streams ------------------------------------------------------------------------


@st.composite
def split(draw, text: str) -> list[str]:
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=4)))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:])]


@st.composite
def anthropic_messages(draw) -> tuple[list[dict], dict]:
    """(a valid Anthropic event sequence, what an OpenAI client should end up with)."""
    usage = {
        "input_tokens": draw(st.integers(0, 10**6)),
        "cache_read_input_tokens": draw(st.integers(0, 1000)),
        "output_tokens": 1,
    }
    events: list[dict] = [
        {
            "type": "message_start",
            "message": {
                "id": "msg_" + draw(st.text(string.ascii_letters, min_size=1, max_size=8)),
                "type": "message",
                "role": "assistant",
                "content": [],
                "usage": usage,
            },
        }
    ]
    expected = {"content": "", "reasoning": "", "tool_calls": []}
    kinds = draw(st.lists(st.sampled_from(["thinking", "text", "tool_use", "server_tool_use"]), max_size=6))
    for index, kind in enumerate(kinds):
        if kind in ("thinking", "text"):
            pieces = draw(st.lists(st.text(max_size=10), max_size=4))
            events.append({"type": "content_block_start", "index": index, "content_block": {"type": kind, kind: ""}})
            events += [
                {"type": "content_block_delta", "index": index, "delta": {"type": f"{kind}_delta", kind: p}}
                for p in pieces
            ]
            expected["content" if kind == "text" else "reasoning"] += "".join(pieces)
        else:
            call_id = "toolu_" + draw(st.text(string.ascii_letters, min_size=1, max_size=6))
            name = draw(tool_names)
            streamed = draw(st.booleans())
            raw = json.dumps(draw(arguments))
            pieces = draw(split(raw)) if streamed else []
            events.append(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": kind, "id": call_id, "name": name, "input": {}},
                }
            )
            events += [
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": p},
                }
                for p in pieces
            ]
            if kind == "tool_use":
                expected["tool_calls"].append((call_id, name, raw if streamed else "{}"))
        if draw(st.booleans()):
            events.append({"type": "ping"})
        events.append({"type": "content_block_stop", "index": index})
    stop_reason = draw(st.sampled_from(["end_turn", "max_tokens", "stop_sequence", "tool_use", "refusal"]))
    output_tokens = draw(st.integers(0, 10**5))
    events.append(
        {"type": "message_delta", "delta": {"stop_reason": stop_reason}, "usage": {"output_tokens": output_tokens}}
    )
    events.append({"type": "message_stop"})
    expected["finish_reason"] = {
        "end_turn": "stop",
        "stop_sequence": "stop",
        "max_tokens": "length",
        "tool_use": "tool_calls",
        "refusal": "content_filter",
    }[stop_reason]
    expected["prompt_tokens"] = usage["input_tokens"] + usage["cache_read_input_tokens"]
    expected["completion_tokens"] = output_tokens
    return events, expected


@SETTINGS
@given(anthropic_messages(), st.booleans(), st.data())
def test_anthropic_streams_split_anywhere_accumulate_to_the_same_answer(message, include_usage, data):
    events, expected = message
    body = anthropic_stream(events)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=12)))
    bounds = [0, *cuts, len(body)]
    stream = AnthropicToOpenAIStream(client_model="gpt-4o", include_usage=include_usage, created=1)
    out = b"".join(stream.feed(body[a:b]) for a, b in zip(bounds, bounds[1:])) + stream.end()

    whole = AnthropicToOpenAIStream(client_model="gpt-4o", include_usage=include_usage, created=1)
    assert out == whole.feed(body) + whole.end()

    chunks, ending = read_openai_stream(out)
    assert ending == "[DONE]"
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(choice["index"] == 0 for chunk in chunks for choice in chunk["choices"])
    final = accumulate(chunks)
    reply = final.choices[0].message
    assert reply.content == expected["content"]
    assert (reply.model_extra or {}).get("reasoning_content", "") == expected["reasoning"]
    assert [(c.id, c.function.name, c.function.arguments) for c in reply.tool_calls or []] == expected["tool_calls"]
    assert final.choices[0].finish_reason == expected["finish_reason"]
    if include_usage:
        assert chunks[-1]["choices"] == []
        assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (
            expected["prompt_tokens"],
            expected["completion_tokens"],
        )
    else:
        assert final.usage is None


def _translate_stream(body: bytes) -> bytes:
    stream = AnthropicToOpenAIStream(client_model="gpt-4o", include_usage=True, created=1)
    return stream.feed(body) + stream.end()


@SETTINGS
@given(anthropic_messages(), st.data())
def test_anthropic_streams_with_one_part_replaced_end_in_done_or_an_error_chunk(message, data):
    events, _ = message
    position = data.draw(st.integers(0, len(events) - 1))
    path = data.draw(st.sampled_from(list(_paths(events[position]))))
    events = [*events[:position], _replaced(events[position], path, data.draw(any_json)), *events[position + 1 :]]
    body = b"".join(
        encode_event(
            json.dumps(event),
            event=event.get("type") if isinstance(event, dict) and isinstance(event.get("type"), str) else None,
        )
        for event in events
    )
    _, ending = read_openai_stream(_translate_stream(body))
    assert ending in ("[DONE]", "error")


@SETTINGS
@given(st.binary(max_size=200))
def test_arbitrary_bytes_end_in_an_error_chunk(body):
    _, ending = read_openai_stream(_translate_stream(body))
    assert ending == "error"


@SETTINGS
@given(any_json)
def test_arbitrary_json_as_an_anthropic_message_only_raises_request_rejected(body):
    try:
        completion = openai_completion_from_anthropic(body, client_model="gpt-4o", created=1)  # type: ignore[arg-type]
    except RequestRejected as rejected:
        assert rejected.error.status in (402, 413, 502, 529)
        return
    ChatCompletion.model_validate(completion)
