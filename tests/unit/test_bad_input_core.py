"""Gaps the bad-input cases (tests/e2e/test_bad_input.py) found in the core, each closed here:
JSON that Python reads but RFC 8259 does not allow, nesting deeper than Python follows,
non-finite numbers, and images or PDFs whose data an Anthropic client sends malformed."""

from __future__ import annotations

import json

import pytest

from request_pairs import translate_anthropic_request
from anyrouter_core.errors import RequestRejected
from anyrouter_core.protocols import protocol_named
from anyrouter_core.json_body import body_problem, json_kind, load_json
from anyrouter_core.codecs.anthropic.token_estimate import estimate_input_tokens

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


# ---------------------------------------------------------------- strict JSON


@pytest.mark.parametrize(("text", "constant"), [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity")])
def test_non_finite_numbers_are_not_json(text, constant):
    assert json.loads(f'{{"temperature": {text}}}')  # Python's reader would let them through
    with pytest.raises(ValueError, match=f"{constant} is not a JSON value"):
        load_json(f'{{"temperature": {text}}}')


def test_nesting_deeper_than_python_follows_is_a_value_error():
    with pytest.raises(ValueError, match="it is nested too deeply"):
        load_json(b"[" * 100_000 + b"]" * 100_000)


def test_load_json_reads_json():
    assert load_json(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"model": "m"}', None),
        (b"  \n", "is empty"),
        (b"[]", "is an array"),
        (b'"x"', "is a string"),
        (b"1.5", "is a number"),
        (b"false", "is a boolean"),
        (b"null", "is null"),
        (b"{", "is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"),
        (b'{"a": "\xff"}',
         "is not valid JSON ('utf-8' codec can't decode byte 0xff in position 7: invalid start byte)"),
    ],
)
def test_body_problem_names_what_the_body_is(content, problem):
    assert body_problem(content) == problem


def test_json_kind():
    assert [json_kind(v) for v in ({}, [], "", 0, 0.5, True, None)] == [
        "an object", "an array", "a string", "a number", "a number", "a boolean", "null",
    ]


# ---------------------------------------------------------------- deep nesting in the estimate


def deep_list(depth: int, leaf: object = "deep") -> object:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def test_token_estimate_of_content_nested_deeper_than_python_follows_does_not_raise():
    body = {"model": "m", "max_tokens": 5, "stream": True, "messages": [{"role": "user", "content": deep_list(5000)}]}
    assert estimate_input_tokens(body) > 5000  # at least a token per character of the body
    assert protocol_named("anthropic").exchange_of(body, 0).estimated_input_tokens == estimate_input_tokens(body)


def test_token_estimate_of_nested_tool_results_does_not_raise():
    content: object = "result"
    for _ in range(2000):
        content = [{"type": "tool_result", "tool_use_id": "t", "content": content}]
    assert estimate_input_tokens({"messages": [{"role": "user", "content": content}]}) > 2000


# ---------------------------------------------------------------- Anthropic requests toward OpenAI


def rejected(**fields) -> str:
    body = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}], **fields}
    with pytest.raises(RequestRejected) as caught:
        translate_anthropic_request(body)
    assert caught.value.error.status == 400
    assert caught.value.error.param == caught.value.error.message.split(":", 1)[0]
    return caught.value.error.message


def with_image(source: dict) -> list[dict]:
    return [{"role": "user", "content": [{"type": "image", "source": source}]}]


@pytest.mark.parametrize("name", ["temperature", "top_p"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_sampling_numbers_are_refused(name, value):
    assert rejected(**{name: value}) == f"{name}: Input should be a valid number"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"type": "base64", "media_type": "image/png", "data": "not base64!"},
         "messages.0.content.0.source.data: Input should be valid base64 data"),
        ({"type": "base64", "media_type": "image/png", "data": PNG[:-1]},
         "messages.0.content.0.source.data: Input should be valid base64 data"),
        ({"type": "base64", "media_type": "image/png", "data": ""},
         "messages.0.content.0.source.data: String should have at least 1 character"),
        ({"type": "base64", "media_type": "image/tiff", "data": PNG},
         "messages.0.content.0.source.media_type: "
         "Input should be one of 'image/jpeg', 'image/png', 'image/gif', 'image/webp'"),
        ({"type": "url", "url": "file:///etc/passwd"},
         "messages.0.content.0.source.url: Input should be an http or https URL"),
        ({"type": "url", "url": f"data:image/png;base64,{PNG}"},
         "messages.0.content.0.source.url: Input should be an http or https URL"),
    ],
)
def test_malformed_images_are_refused(source, message):
    assert rejected(messages=with_image(source)) == message


def test_malformed_pdf_data_is_refused():
    source = {"type": "base64", "media_type": "application/pdf", "data": "%PDF-1.4 raw"}
    document = {"type": "document", "source": source}
    assert rejected(messages=[{"role": "user", "content": [document]}]) == (
        "messages.0.content.0.source.data: Input should be valid base64 data"
    )


def test_malformed_image_inside_a_tool_result_is_refused():
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "shot", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "@@"}}]}]},
    ]
    assert rejected(messages=messages) == (
        "messages.2.content.0.content.0.source.data: Input should be valid base64 data"
    )


@pytest.mark.parametrize("media_type", ["image/jpeg", "image/png", "image/gif", "image/webp"])
def test_valid_images_still_go_through(media_type):
    image = with_image({"type": "base64", "media_type": media_type, "data": PNG})
    body = {"model": "m", "max_tokens": 10, "messages": image}
    content = translate_anthropic_request(body).body["messages"][0]["content"]
    assert content == [{"type": "image_url", "image_url": {"url": f"data:{media_type};base64,{PNG}"}}]
