"""Gaps the bad-input cases (tests/e2e/test_bad_input.py) found in the core, each closed here:
JSON that Python reads but RFC 8259 does not allow, nesting deeper than Python follows,
non-finite numbers, and images or PDFs whose data an Anthropic client sends malformed. And
the refusals of those cases that involve Gemini, without processes: what the Gemini request
encoder refuses from Anthropic, Chat Completions and Responses clients, and what a Gemini
client's request toward Anthropic is refused for."""

from __future__ import annotations

import json

import pytest

from request_pairs import translate_anthropic_request
from anyrouter_core.codecs.base import EncodeOptions
from anyrouter_core.errors import RequestRejected
from anyrouter_core.protocols import ANTHROPIC, GEMINI, OPENAI, RESPONSES, protocol_named
from anyrouter_core.translation import translate_request
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


def refused(client: str, upstream: str, body: dict) -> str:
    """The message of the 400 a `client` body is refused with toward `upstream`, whose
    `param` is the field path the message starts with."""
    with pytest.raises(RequestRejected) as caught:
        translate_request(client, upstream, body, EncodeOptions())
    error = caught.value.error
    assert (error.status, error.type) == (400, "invalid_request_error")
    assert error.param == error.message.split(": ", 1)[0]
    return error.message


def messages_body(*messages: dict, **fields) -> dict:
    return {"model": "m", "max_tokens": 10, "messages": list(messages) or [{"role": "user", "content": "hi"}], **fields}


def rejected(**fields) -> str:
    return refused(ANTHROPIC, OPENAI, messages_body(**fields))


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


# ---------------------------------------------------------------- requests toward a Gemini upstream


def chat_body(*messages: dict, **fields) -> dict:
    return {"model": "m", "messages": list(messages) or [{"role": "user", "content": "hi"}], **fields}


def responses_body(*items: dict, **fields) -> dict:
    return {"model": "m", "input": list(items) or "hi", **fields}


def user_blocks(*content: dict) -> dict:
    return {"role": "user", "content": list(content)}


TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}
SEARCH_RESULT = {"type": "search_result", "source": "https://x.test/r", "title": "Result", "content": []}
WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search"}
CHAT_CALL = {"role": "assistant", "content": None,
             "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]}
AUDIO = {"type": "input_audio", "input_audio": {"data": "SUQz", "format": "mp3"}}
FUNCTION_CALL = {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"}
STORED_IMAGE = {"type": "input_image", "file_id": "file-abc"}
NO_GEMINI = "cannot be sent to a Gemini upstream"
SENDABLE = "can be sent to a Gemini upstream"
NOT_FROM_GEMINI = "not available from a Gemini upstream"


@pytest.mark.parametrize(("body", "message"), [
    (messages_body(user_blocks({"type": "image", "source": {"type": "file", "file_id": "file_011"}})),
     "messages.0.content.0: the image is a file uploaded to a provider ('file_011'), which a Gemini upstream cannot read; send the data as base64"),
    (messages_body(user_blocks({"type": "image", "source": {"type": "s3", "key": "a.png"}})),
     f"messages.0.content.0.source.type: image sources of type 's3' {NO_GEMINI}; send the data as base64"),
    (messages_body(user_blocks({"type": "document", "source": {"type": "file", "file_id": "file_011"}})),
     "messages.0.content.0: the document is a file uploaded to a provider ('file_011'), which a Gemini upstream cannot read; send the data as base64"),
    (messages_body(user_blocks({"type": "document", "source": {"type": "s3", "key": "a.pdf"}})),
     f"messages.0.content.0.source.type: document sources of type 's3' {NO_GEMINI}; send the data as base64"),
    (messages_body(user_blocks(SEARCH_RESULT)),
     f"messages.0.content.0.type: 'search_result' content in a user turn {NO_GEMINI}"),
    (messages_body(user_blocks(TOOL_USE)), f"messages.0.content.0.type: 'tool_use' content in a user turn {NO_GEMINI}"),
    (messages_body({"role": "user", "content": "hi"},
                   {"role": "assistant", "content": [{"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
                                                      "input": {}}]}),
     f"messages.1.content.0.type: 'server_tool_use' content in an assistant turn {NO_GEMINI}"),
    (messages_body({"role": "user", "content": "hi"},
                   {"role": "assistant", "content": [{"type": "tool_result", "tool_use_id": "toolu_1"}]}),
     f"messages.1.content.0.type: 'tool_result' content in an assistant turn {NO_GEMINI}"),
    (messages_body({"role": "user", "content": "hi"}, {"role": "assistant", "content": [TOOL_USE]},
                   user_blocks({"type": "tool_result", "tool_use_id": "toolu_1", "content": [SEARCH_RESULT]})),
     f"messages.2.content.0.content.0.type: 'search_result' content in a tool result {NO_GEMINI}"),
    (messages_body(user_blocks({"type": "document", "source": {"type": "content", "content": [SEARCH_RESULT]}})),
     f"messages.0.content.0.source.content.0.type: 'search_result' content in a document {NO_GEMINI}"),
    (messages_body(tools=[{"name": "get_weather"}], tool_choice={"type": "tool", "name": "nope"}),
     f"tool_choice: no client tool named 'nope' {SENDABLE}"),
    (messages_body(tools=[WEB_SEARCH], tool_choice={"type": "tool", "name": "web_search"}),
     f"tool_choice: no client tool named 'web_search' {SENDABLE}"),
    (messages_body(tool_choice={"type": "any"}), f"tool_choice: a tool call is required, but no client tool {SENDABLE}"),
    (messages_body(tools=[WEB_SEARCH], tool_choice={"type": "any"}),
     f"tool_choice: a tool call is required, but no client tool {SENDABLE}"),
], ids=["image-file", "image-unknown-source", "document-file", "document-unknown-source", "user-search_result",
        "user-tool_use", "model-server_tool_use", "model-tool_result", "tool-result-search_result",
        "document-search_result", "tool_choice-unknown", "tool_choice-server-tool", "any-without-tools",
        "any-with-only-a-server-tool"])
def test_anthropic_requests_gemini_cannot_take_are_refused(body, message):
    assert refused(ANTHROPIC, GEMINI, body) == message


@pytest.mark.parametrize(("body", "message"), [
    (chat_body(n=2), "n: only one choice (n=1) can be generated by a Gemini upstream"),
    (chat_body(logprobs=True), f"logprobs: log probabilities are {NOT_FROM_GEMINI}"),
    (chat_body(top_logprobs=3), f"top_logprobs: log probabilities are {NOT_FROM_GEMINI}"),
    (chat_body(audio={"voice": "alloy", "format": "mp3"}), f"audio: audio output is {NOT_FROM_GEMINI}"),
    (chat_body(modalities=["text", "audio"]), f"modalities: audio output is {NOT_FROM_GEMINI}"),
    (chat_body(user_blocks(AUDIO)), f"messages[0].content[0].type: 'input_audio' content in a user turn {NO_GEMINI}"),
    (chat_body({"role": "user", "content": "hi"}, CHAT_CALL, {"role": "tool", "tool_call_id": "call_1", "content": [AUDIO]}),
     f"messages[2].content[0].type: 'input_audio' content in a tool result {NO_GEMINI}"),
    (chat_body(user_blocks({"type": "file", "file": {"file_id": "file-abc"}})),
     "messages[0].content[0].file: the document is a file uploaded to a provider ('file-abc'), which a Gemini upstream cannot read; send the data as base64"),
], ids=["n-2", "logprobs", "top_logprobs", "audio", "modalities-audio", "audio-input", "audio-in-tool-result", "file-id"])
def test_chat_requests_gemini_cannot_take_are_refused(body, message):
    assert refused(OPENAI, GEMINI, body) == message


def input_parts(*parts: dict) -> dict:
    return {"type": "message", "role": "user", "content": list(parts)}


@pytest.mark.parametrize(("body", "message"), [
    (responses_body(top_logprobs=3), f"top_logprobs: log probabilities are {NOT_FROM_GEMINI}"),
    (responses_body(input_parts(STORED_IMAGE)), f"input[0].content[0].type: 'input_image' content in a user turn {NO_GEMINI}"),
    (responses_body(input_parts({"type": "input_file", "file_url": "https://x.test/a.pdf"})),
     f"input[0].content[0].type: 'input_file' content in a user turn {NO_GEMINI}"),
    (responses_body(input_parts({"type": "input_file", "file_id": "file-abc"})),
     "input[0].content[0]: the document is a file uploaded to a provider ('file-abc'), which a Gemini upstream cannot read; send the data as base64"),
    (responses_body(input_parts({"type": "input_text", "text": "hi"}), FUNCTION_CALL,
                    {"type": "function_call_output", "call_id": "call_1", "output": [STORED_IMAGE]}),
     f"input[2].output[0].type: 'input_image' content in a tool result {NO_GEMINI}"),
], ids=["top_logprobs", "image-file-id", "file-url", "file-id", "tool-output-image-file-id"])
def test_responses_requests_gemini_cannot_take_are_refused(body, message):
    assert refused(RESPONSES, GEMINI, body) == message


# ---------------------------------------------------------------- a Gemini client's request toward Anthropic


def gemini_body(*contents: dict, **fields) -> dict:
    """A Gemini client's body as the proxy reads it: the model of its path lifted into it."""
    return {"model": "gemini-2.5-flash", "contents": list(contents) or [{"role": "user", "parts": [{"text": "hi"}]}],
            **fields}


@pytest.mark.parametrize(("body", "message"), [
    (gemini_body({"role": "system", "parts": [{"text": "hi"}]}), "contents[0].role: must be 'user' or 'model', not 'system'"),
    (gemini_body(generationConfig={"candidateCount": 2}),
     "generationConfig.candidateCount: only one choice (generationConfig.candidateCount=1) "
     "can be generated by an Anthropic upstream"),
    (gemini_body(generation_config={"candidate_count": 3}),
     "generation_config.candidate_count: only one choice (generation_config.candidate_count=1) "
     "can be generated by an Anthropic upstream"),
    (gemini_body({"role": "user", "parts": [{"text": "hi"}, {"inlineData": {"mimeType": "application/zip", "data": "UEsDBA=="}}]}),
     "contents[0].parts[1]: documents of type 'application/zip' cannot be sent to an Anthropic upstream, "
     "which reads PDF and plain text"),
    (gemini_body({"role": "user", "parts": [{"text": "hi"}, {"inlineData": {"mimeType": "image/bmp", "data": "Qk0="}}]}),
     "contents[0].parts[1]: images of type 'image/bmp' cannot be sent to an Anthropic upstream, "
     "which reads JPEG, PNG, GIF and WebP"),
    (gemini_body({"role": "user", "parts": [{"text": "hi"}]}, {"role": "model", "parts": [{"functionCall": {"name": "f"}}]},
                 {"role": "user", "parts": [{"text": "never mind"}]}),
     "contents[1].parts[0]: the functionCall 'f' is answered by no functionResponse in the user turn after it"),
], ids=["system-role", "candidate-count", "candidate-count-snake-case", "zip-document", "bmp-image", "unanswered-call"])
def test_gemini_requests_anthropic_cannot_take_are_refused(body, message):
    assert refused(GEMINI, ANTHROPIC, body) == message
