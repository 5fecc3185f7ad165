"""Properties of the Anthropic-client side: requests toward OpenAI, streams back to Anthropic."""

import json
from collections.abc import Iterator

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.chat import completion_create_params

from anthropic_stream_checks import check_anthropic_stream
from request_pairs import translate_anthropic_request
from anyrouter_core.errors import RequestRejected
from unit.pairs import OpenAIToAnthropicStream

_OPENAI_FIELDS = set(completion_create_params.CompletionCreateParamsBase.__annotations__) | {"stream"}
_OPENAI_REQUEST = {
    False: pydantic.TypeAdapter(completion_create_params.CompletionCreateParamsNonStreaming),
    True: pydantic.TypeAdapter(completion_create_params.CompletionCreateParamsStreaming),
}

texts = st.text(max_size=20)
names = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,15}", fullmatch=True)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)
cache_control = st.sampled_from([{}, {"cache_control": {"type": "ephemeral"}}])


# ---------------------------------------------------------------- valid Anthropic requests


@st.composite
def text_blocks(draw):
    return {"type": "text", "text": draw(texts), **draw(cache_control)}


@st.composite
def image_blocks(draw):
    source = draw(st.sampled_from([
        {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
        {"type": "url", "url": "https://example.com/a.jpg"},
    ]))
    return {"type": "image", "source": source, **draw(cache_control)}


@st.composite
def document_blocks(draw):
    source = draw(st.sampled_from([
        {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"},
        {"type": "text", "media_type": "text/plain", "data": "plain words"},
        {"type": "content", "content": [{"type": "text", "text": "inner"}]},
        {"type": "content", "content": "inner string"},
    ]))
    extra = draw(st.fixed_dictionaries({}, optional={"title": texts, "context": texts}))
    return {"type": "document", "source": source, **extra}


user_blocks = st.one_of(text_blocks(), image_blocks(), document_blocks())
result_blocks = st.one_of(text_blocks(), image_blocks(), document_blocks())


@st.composite
def conversations(draw):
    """Alternating turns; every tool_result answers a tool_use of the assistant turn before it."""
    messages = [{"role": "user", "content": draw(texts | st.lists(user_blocks, min_size=1, max_size=3))}]
    counter = 0
    for _ in range(draw(st.integers(0, 4))):
        assistant = draw(st.lists(st.sampled_from(["text", "thinking", "redacted", "tool"]), max_size=4))
        content = []
        tool_ids = []
        for kind in assistant:
            if kind == "text":
                content.append({"type": "text", "text": draw(texts)})
            elif kind == "thinking":
                content.append({"type": "thinking", "thinking": draw(texts), "signature": "c2ln"})
            elif kind == "redacted":
                content.append({"type": "redacted_thinking", "data": "ZW5j"})
            else:
                counter += 1
                tool_ids.append(f"toolu_{counter}")
                tool_input = draw(st.dictionaries(names, json_values, max_size=3))
                content.append({"type": "tool_use", "id": tool_ids[-1], "name": draw(names), "input": tool_input})
        if not tool_ids and draw(st.booleans()):
            content = draw(texts)
        messages.append({"role": "assistant", "content": content})
        if draw(st.booleans()):
            messages.append({"role": "system", "content": draw(texts)})
        answered = draw(st.permutations(tool_ids))
        user = [
            {
                "type": "tool_result",
                "tool_use_id": tool_id,
                "content": draw(texts | st.lists(result_blocks, max_size=3)),
                **draw(st.fixed_dictionaries({}, optional={"is_error": st.booleans()})),
            }
            for tool_id in answered
        ]
        user += draw(st.lists(user_blocks, max_size=2))
        messages.append({"role": "user", "content": user or draw(texts)})
    return messages


@st.composite
def tool_lists(draw):
    custom = draw(st.lists(names, max_size=4, unique=True))
    tools = [
        {"name": name, **draw(st.fixed_dictionaries({}, optional={
            "description": texts,
            "input_schema": st.just({"type": "object", "properties": {"x": {"type": "string"}}}),
            "type": st.just("custom"),
            "cache_control": st.just({"type": "ephemeral"}),
        }))}
        for name in custom
    ]
    servers = draw(st.lists(st.sampled_from([
        {"type": "web_search_20250305", "name": "web_search"},
        {"type": "bash_20250124", "name": "bash"},
        {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
    ]), max_size=2))
    choices = [{"type": "auto"}, {"type": "none"}]
    if custom:
        choices += [{"type": "any"}, {"type": "tool", "name": draw(st.sampled_from(custom))}]
    choice = draw(st.none() | st.sampled_from(choices))
    if choice is not None and draw(st.booleans()):
        choice = {**choice, "disable_parallel_tool_use": draw(st.booleans())}
    return tools + servers, choice


@st.composite
def anthropic_requests(draw):
    tools, tool_choice = draw(tool_lists())
    body = {
        "model": draw(names),
        "max_tokens": draw(st.integers(1, 200_000)),
        "messages": draw(conversations()),
    }
    optional = draw(st.fixed_dictionaries({}, optional={
        "system": texts | st.lists(text_blocks(), max_size=3),
        "temperature": st.floats(0, 1),
        "top_p": st.floats(0, 1),
        "top_k": st.integers(1, 100),
        "stop_sequences": st.lists(st.text(min_size=1, max_size=5), max_size=4),
        "stream": st.booleans(),
        "thinking": st.sampled_from([
            {"type": "enabled", "budget_tokens": 1024}, {"type": "enabled", "budget_tokens": 20000},
            {"type": "adaptive"}, {"type": "disabled"},
        ]),
        "output_config": st.sampled_from([
            {"effort": "low"}, {"effort": "max"}, {"format": {"type": "json_schema", "schema": {"type": "object"}}},
        ]),
        "metadata": st.fixed_dictionaries({"user_id": st.text(max_size=300)}),
        "context_management": st.just({"edits": []}),
        "service_tier": st.just("auto"),
        "cache_control": st.just({"type": "ephemeral"}),
    }))
    body.update(optional)
    if tools:
        body["tools"] = tools
    if tool_choice is not None:
        body["tool_choice"] = tool_choice
    return body


def _materialized(value):
    """The OpenAI param types validate iterables lazily; walking them validates everything."""
    if isinstance(value, dict):
        return {key: _materialized(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, Iterator)):
        return [_materialized(item) for item in value]
    return value


def _assert_valid_openai_request(body: dict) -> None:
    assert set(body) <= _OPENAI_FIELDS, set(body) - _OPENAI_FIELDS
    _materialized(_OPENAI_REQUEST[bool(body.get("stream"))].validate_python(body))
    messages = body["messages"]
    for position, message in enumerate(messages):
        if message["role"] != "tool":
            continue
        owner = position - 1
        while messages[owner]["role"] == "tool":
            owner -= 1
        assert messages[owner]["role"] == "assistant", "tool messages must directly follow an assistant message"
        assert message["tool_call_id"] in {call["id"] for call in messages[owner].get("tool_calls", [])}
    if "tool_choice" in body or "parallel_tool_calls" in body:
        assert body.get("tools")


@settings(deadline=None)
@given(anthropic_requests())
def test_valid_requests_translate_to_valid_openai_requests(body):
    snapshot = json.dumps(body, sort_keys=True)
    translated = translate_anthropic_request(body)
    assert json.dumps(body, sort_keys=True) == snapshot, "the input must not be modified"
    out = translated.body
    _assert_valid_openai_request(out)
    assert out["model"] == body["model"]
    assert out["max_tokens"] == body["max_tokens"]
    tool_results = [block for message in body["messages"] if isinstance(message["content"], list)
                    for block in message["content"] if block.get("type") == "tool_result"]
    assert len([m for m in out["messages"] if m["role"] == "tool"]) == len(tool_results)
    tool_uses = [block for message in body["messages"] if isinstance(message["content"], list)
                 for block in message["content"] if block.get("type") == "tool_use"]
    calls = [call for message in out["messages"] for call in message.get("tool_calls", [])]
    assert [json.loads(call["function"]["arguments"]) for call in calls] == [use["input"] for use in tool_uses]
    assert bool(out.get("stream")) == bool(body.get("stream"))


# ---------------------------------------------------------------- arbitrary and broken bodies


@st.composite
def mutated_requests(draw):
    """A valid request with one value somewhere replaced by arbitrary JSON."""
    body = json.loads(json.dumps(draw(anthropic_requests())))
    container = body
    while True:
        keys = list(container) if isinstance(container, dict) else list(range(len(container)))
        if not keys:
            return body
        key = draw(st.sampled_from(keys))
        child = container[key]
        if isinstance(child, (dict, list)) and child and draw(st.booleans()):
            container = child
            continue
        container[key] = draw(json_values)
        return body


@settings(deadline=None)
@given(json_values | mutated_requests())
def test_any_json_body_is_translated_or_rejected_as_invalid_request(body):
    try:
        translated = translate_anthropic_request(body)
    except RequestRejected as rejection:
        assert rejection.error.status == 400
        assert rejection.error.type == "invalid_request_error"
        assert rejection.error.message
        return
    _assert_valid_openai_request(translated.body)


# ---------------------------------------------------------------- OpenAI streams


@st.composite
def openai_streams(draw):
    """(SSE body, expected thinking, expected text, expected tool calls, usage or None)."""
    unindexed = draw(st.booleans())
    segments = draw(st.lists(st.sampled_from(["thinking", "text", "tool"]), max_size=6))
    chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}]
    thinking, text, tools = "", "", []

    def delta(content):
        chunks.append({"choices": [{"index": 0, "delta": content, "finish_reason": None}]})

    for kind in segments:
        if kind in ("thinking", "text"):
            pieces = draw(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=3))
            key = "content" if kind == "text" else draw(st.sampled_from(["reasoning_content", "reasoning"]))
            for piece in pieces:
                delta({key: piece})
            if kind == "text":
                text += "".join(pieces)
            else:
                thinking += "".join(pieces)
            continue
        tool_input = draw(st.dictionaries(names, json_values, max_size=3))
        arguments = json.dumps(tool_input) if tool_input or draw(st.booleans()) else ""
        cuts = sorted(draw(st.lists(st.integers(0, len(arguments)), max_size=3)))
        pieces = [arguments[a:b] for a, b in zip([0, *cuts], [*cuts, len(arguments)])]
        call_id, name = f"call_{len(tools)}", draw(names)
        index = {} if unindexed else {"index": len(tools)}
        if not unindexed and draw(st.booleans()):
            # id and name arrive after the first arguments.
            delta({"tool_calls": [{**index, "function": {"arguments": pieces[0]}}]})
            delta({"tool_calls": [{**index, "function": {"name": name}}]})
            delta({"tool_calls": [{**index, "id": call_id, "type": "function"}]})
        else:
            delta({"tool_calls": [{**index, "id": call_id, "type": "function", "function": {"name": name, "arguments": pieces[0]}}]})
        for piece in pieces[1:]:
            delta({"tool_calls": [{**index, "function": {"arguments": piece}}]})
        tools.append((call_id, name, tool_input))
    finish = "tool_calls" if tools else draw(st.sampled_from(["stop", "length"]))
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    usage = draw(st.none() | st.fixed_dictionaries({"prompt_tokens": st.integers(0, 10**6), "completion_tokens": st.integers(0, 10**5)}))
    if usage is not None:
        chunks.append({"choices": [], "usage": usage})
    body = b"".join(b"data: " + json.dumps(chunk, ensure_ascii=draw(st.booleans())).encode() + b"\n\n" for chunk in chunks)
    if draw(st.booleans()):
        body += b"data: [DONE]\n\n"
    return body, thinking, text, tools, usage


@settings(deadline=None)
@given(openai_streams(), st.data())
def test_streams_split_anywhere_accumulate_to_their_content(stream, data):
    body, thinking, text, tools, usage = stream
    offsets = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=8)))
    translator = OpenAIToAnthropicStream(client_model="claude-x", message_id="msg_p", estimated_input_tokens=9)
    out = b"".join(translator.feed(body[a:b]) for a, b in zip([0, *offsets], [*offsets, len(body)])) + translator.end()
    checked = check_anthropic_stream(out)
    assert checked.error is None
    message = checked.message
    assert "".join(b.thinking for b in message.content if b.type == "thinking") == thinking
    assert "".join(b.text for b in message.content if b.type == "text") == text
    assert [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"] == tools
    if tools:
        assert message.stop_reason == "tool_use"
    if usage is not None:
        assert (message.usage.input_tokens, message.usage.output_tokens) == (usage["prompt_tokens"], usage["completion_tokens"])
    else:
        assert message.usage.input_tokens == 9


@settings(deadline=None)
@given(st.binary(max_size=200) | st.lists(json_values, max_size=4).map(
    lambda values: b"".join(b"data: " + json.dumps(v).encode() + b"\n\n" for v in values)))
def test_any_upstream_bytes_give_a_well_formed_anthropic_stream(body):
    translator = OpenAIToAnthropicStream(client_model="claude-x")
    out = translator.feed(body) + translator.end()
    checked = check_anthropic_stream(out) if out else None
    assert checked is None or checked.error is not None or checked.message is not None
    assert translator.feed(b"data: {}\n\n") == b"" and translator.end() == b""


@pytest.mark.parametrize("stream", [False, True])
def test_openai_request_check_catches_a_misplaced_tool_message(stream):
    body = {"model": "m", "stream": stream, "messages": [{"role": "user", "content": "q"}, {"role": "tool", "tool_call_id": "x", "content": ""}]}
    with pytest.raises(AssertionError):
        _assert_valid_openai_request(body)
