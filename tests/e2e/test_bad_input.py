"""Bad input, end to end, with translation on: every case is answered in the client's own
protocol (status, error type, a message naming what is wrong, a body the SDK's error types
accept), nothing reaches the upstream unless the case says so, and the very next valid
request on the same proxy (on the same connection when the proxy kept it open) succeeds.

One real mitmdump per upstream setting, in front of aimock behind the recording relay:
- OpenAI clients (`/v1/chat/completions`) → Anthropic upstream;
- Anthropic clients (`/v1/messages`) → OpenAI upstream;
- Responses clients (`/v1/responses`) → Anthropic upstream;
- Gemini clients (`/v1beta/models/{model}:generateContent`) → Anthropic upstream;
- Anthropic, OpenAI and Responses clients → Gemini upstream (one proxy for the three).
Requests are raw HTTP (http.client, or a socket for the size cases) so that any body is
possible. Each case's body carries a unique marker (`MARK` below) to look for upstream.
"""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass

import anthropic.types
import openai.types
import pydantic
import pytest
from anthropic.types import Message
from openai.types.chat import ChatCompletion
from openai.types.responses import Response

from harness import LOOPBACK

MODEL = "claude-sonnet-4-6"
LIMIT = 1024 * 1024  # the proxies run with max_body_size=1m: the size cases stay quick
OPENAI_HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-bad-input-o2a-0001"}
ANTHROPIC_HEADERS = {
    "content-type": "application/json",
    "x-api-key": "sk-ant-bad-input-a2o-0001",
    "anthropic-version": "2023-06-01",
}
PNG_1PX = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
ANTHROPIC_ERROR = pydantic.TypeAdapter(anthropic.types.ErrorResponse)


@dataclass(frozen=True)
class Case:
    id: str
    body: object  # serialised as JSON; bytes are sent as they are
    status: int
    type: str
    message: str  # the exact message, or its start when `prefix`
    prefix: bool = False
    param: str | None = None  # OpenAI's `param`
    method: str = "POST"
    path: str | None = None  # the direction's own path when None
    reaches_upstream: bool = False


def user(text: str = "MARK") -> list[dict]:
    return [{"role": "user", "content": text}]


# ================================================================ OpenAI clients → Anthropic


def o(**fields) -> dict:
    """A valid Chat Completions request carrying the marker, with `fields` changed (None removes)."""
    body = {"model": MODEL, "messages": user(), **fields}
    return {k: v for k, v in body.items() if v is not None}


def oc(id: str, body: object, message: str, **more) -> Case:
    """An OpenAI case answered with a 400 invalid_request_error whose `param` is the field
    path the message starts with."""
    return Case(id, body, 400, "invalid_request_error", message, param=message.split(": ", 1)[0], **more)


def not_json_object(noun: str, problem: str) -> str:
    return f"the request body must be a JSON object ({noun}), but it {problem}"


def not_an_object(id: str, noun: str, body: bytes, problem: str, prefix: bool = False) -> Case:
    return Case(id, body, 400, "invalid_request_error", not_json_object(noun, problem), prefix=prefix)


def wrong_method(method: str, path: str, body: object = None, query: str = "") -> Case:
    message = f"{method} is not allowed on {path}: use POST"
    return Case(f"method-{method.lower()}{path.replace('/', '-')}{query and '-query'}", body, 405,
                "" if method == "HEAD" else "invalid_request_error", "" if method == "HEAD" else message,
                method=method, path=path + query)


def passed_through(id: str, method: str, path: str, error_type: str, body: object = None) -> Case:
    """Goes to the upstream unchanged; aimock's 404 comes back in the client's error shape."""
    return Case(id, body, 404, error_type, "Not found", method=method, path=path, reaches_upstream=True)


def tool_round(tool_call: dict, answer: dict | None = None) -> list[dict]:
    assistant = {"role": "assistant", "content": None, "tool_calls": [tool_call]}
    return [*user(), assistant, *([answer] if answer else [])]


def with_arguments(arguments: str) -> dict:
    return {**WEATHER_CALL, "function": {"name": "get_weather", "arguments": arguments}}


def user_parts(*parts: dict) -> list[dict]:
    return [{"role": "user", "content": [{"type": "text", "text": "MARK"}, *parts]}]


def image_part(url: str) -> list[dict]:
    return user_parts({"type": "image_url", "image_url": {"url": url}})


WEATHER_CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
SUNNY = {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
PNG_AS_FILE = {"type": "file", "file": {"file_data": f"data:image/png;base64,{PNG_1PX}"}}
CHAT = "a Chat Completions request"
TOO_DEEP = b'{"model": "MARK", "messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
NO_ANTHROPIC = "not available from an Anthropic upstream"

OPENAI_CASES = [
    # -- the body is not a JSON object
    not_an_object("not-json", CHAT, b'{"model": "m", "messages": [MARK', "is not valid JSON (", prefix=True),
    not_an_object("empty-body", CHAT, b"", "is empty"),
    not_an_object("json-array", CHAT, b'["MARK"]', "is an array"),
    not_an_object("json-string", CHAT, b'"MARK"', "is a string"),
    not_an_object("json-number", CHAT, b"42", "is a number"),
    not_an_object("json-null", CHAT, b"null", "is null"),
    not_an_object("json-nan", CHAT, b'{"model": "m", "messages": [{"role": "user", "content": "MARK"}], "top_p": NaN}',
                  "is not valid JSON (NaN is not a JSON value)"),
    not_an_object("invalid-utf8", CHAT, b'{"model": "m", "messages": [{"role": "user", "content": "MARK \xff"}]}',
                  "is not valid JSON ('utf-8' codec can't decode byte 0xff", prefix=True),
    not_an_object("nested-too-deep", CHAT, TOO_DEEP, "is not valid JSON (it is nested too deeply)"),
    # -- top-level fields: missing or of the wrong type
    oc("model-missing", o(model=None), "model: must be a non-empty string"),
    oc("model-number", o(model=5), "model: must be a non-empty string"),
    oc("messages-missing", {"model": MODEL, "user": "MARK"}, "messages: must be a non-empty list"),
    oc("messages-string", o(messages="MARK"), "messages: must be a non-empty list"),
    oc("messages-empty", o(messages=[], user="MARK"), "messages: must be a non-empty list"),
    oc("max_tokens-string", o(max_tokens="100"), "max_tokens: must be a positive integer"),
    oc("max_tokens-zero", o(max_tokens=0), "max_tokens: must be a positive integer"),
    oc("max_completion_tokens-float", o(max_completion_tokens=1.5),
       "max_completion_tokens: must be a positive integer"),
    oc("stream-string", o(stream="yes"), "stream: must be a boolean"),
    oc("stream_options-string", o(stream=True, stream_options="usage"), "stream_options: must be an object"),
    oc("temperature-string", o(temperature="hot"), "temperature: must be a number"),
    oc("top_p-string", o(top_p="most"), "top_p: must be a number"),
    oc("stop-number", o(stop=7), "stop: must be a string or a list of strings"),
    oc("stop-list-of-numbers", o(stop=["END", 7]), "stop: must be a string or a list of strings"),
    oc("tools-string", o(tools="get_weather"), "tools: must be a list"),
    oc("tools-item-number", o(tools=[5]), "tools[0]: must be an object"),
    oc("tools-function-missing", o(tools=[{"type": "function"}]), "tools[0].function: must be an object"),
    oc("tool_choice-number", o(tool_choice=1), "tool_choice: must be 'auto', 'none', 'required' or a named function"),
    oc("tool_choice-required-without-tools", o(tool_choice="required"), "tool_choice: 'required' needs tools"),
    oc("tool_choice-unknown-function",
       o(tools=[WEATHER_TOOL], tool_choice={"type": "function", "function": {"name": "nope"}}),
       "tool_choice.function.name: no tool named 'nope' in tools"),
    oc("parallel_tool_calls-string", o(parallel_tool_calls="no"), "parallel_tool_calls: must be a boolean"),
    oc("user-number", o(user=42), "user: must be a string"),
    oc("reasoning_effort-unknown", o(reasoning_effort="extreme"),
       "reasoning_effort: must be one of none, minimal, low, medium, high, xhigh"),
    oc("response_format-string", o(response_format="json"), "response_format: must be an object"),
    # -- parameters an Anthropic upstream cannot carry
    oc("n-2", o(n=2), "n: only one choice (n=1) can be generated by an Anthropic upstream"),
    oc("n-string", o(n="2"), "n: must be a positive integer"),
    oc("logprobs", o(logprobs=True), f"logprobs: log probabilities are {NO_ANTHROPIC}"),
    oc("top_logprobs", o(top_logprobs=3), f"top_logprobs: log probabilities are {NO_ANTHROPIC}"),
    oc("audio-output", o(audio={"voice": "alloy", "format": "mp3"}), f"audio: audio output is {NO_ANTHROPIC}"),
    oc("modalities-audio", o(modalities=["text", "audio"]), f"modalities: audio output is {NO_ANTHROPIC}"),
    oc("audio-input", o(messages=user_parts({"type": "input_audio", "input_audio": {"data": "SUQz", "format": "mp3"}})),
       "messages[0].content[1]: audio input cannot be sent to an Anthropic upstream"),
    oc("legacy-functions", o(functions=[{"name": "f"}]),
       "functions: legacy function calling is not supported; use tools and tool_choice"),
    # -- messages
    oc("role-unknown", o(messages=[{"role": "robot", "content": "MARK"}]), "messages[0].role: unknown role 'robot'"),
    oc("role-missing", o(messages=[{"content": "MARK"}]), "messages[0].role: unknown role None"),
    oc("message-string", o(messages=["MARK"]), "messages[0]: must be an object"),
    oc("content-missing", o(messages=[{"role": "user", "name": "MARK"}]), "messages[0].content: is required"),
    oc("content-number", o(messages=[{"role": "user", "content": 5, "name": "MARK"}]),
       "messages[0].content: must be a string or a list of content parts"),
    oc("system-content-image",
       o(messages=[{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]},
                   *user()]),
       "messages[0].content[0].type: content part type 'image_url' is not allowed here (only text)"),
    # -- tool calls
    oc("tool_call_id-unmatched", o(messages=tool_round(WEATHER_CALL, {**SUNNY, "tool_call_id": "call_nope"})),
       "messages[2].tool_call_id: no tool call with id 'call_nope' awaits a result"),
    oc("tool-message-without-call", o(messages=[*user(), SUNNY]),
       "messages[1]: a tool message must follow the assistant message whose tool_calls it answers"),
    oc("tool-call-unanswered", o(messages=[*tool_round(WEATHER_CALL), {"role": "user", "content": "and?"}]),
       "messages[1].tool_calls[0].id: tool call 'call_1' is not answered by a tool message"),
    oc("tool-arguments-invalid-json", o(messages=tool_round(with_arguments('{"city": '), SUNNY)),
       "messages[1].tool_calls[0].function.arguments: not valid JSON"),
    oc("tool-arguments-not-object", o(messages=tool_round(with_arguments("[1, 2]"), SUNNY)),
       "messages[1].tool_calls[0].function.arguments: must be a JSON object"),
    # -- images and files
    oc("image-bad-base64", o(messages=image_part("data:image/png;base64,@@not-base64@@")),
       "messages[0].content[1].image_url.url: not a valid data URL: the data is not valid base64"),
    oc("image-data-url-not-base64", o(messages=image_part("data:image/png,rawbytes")),
       "messages[0].content[1].image_url.url: not a valid data URL: only base64 data URLs are supported"),
    oc("image-data-url-malformed", o(messages=image_part("data:image/png;base64")),
       "messages[0].content[1].image_url.url: not a valid data URL"),
    oc("image-unsupported-type", o(messages=image_part(f"data:image/bmp;base64,{PNG_1PX}")),
       "messages[0].content[1].image_url.url: image type 'image/bmp' is not supported (jpeg, png, gif or webp)"),
    oc("image-bad-scheme", o(messages=image_part("ftp://example.test/cat.png")),
       "messages[0].content[1].image_url.url: must be a data URL or an http(s) URL"),
    oc("file-not-pdf", o(messages=user_parts(PNG_AS_FILE)),
       "messages[0].content[1].file.file_data: only PDF files are supported, not 'image/png'"),
    # -- methods and paths
    wrong_method("GET", "/v1/chat/completions"),
    wrong_method("PUT", "/v1/chat/completions", o()),
    wrong_method("DELETE", "/v1/chat/completions"),
    wrong_method("PATCH", "/v1/chat/completions", o()),
    wrong_method("HEAD", "/v1/chat/completions"),
    wrong_method("GET", "/chat/completions"),
    passed_through("unknown-path", "POST", "/v1/bad-o2a-unknown-path", "not_found", o()),
    # The upstream's own path (Anthropic's /v1/messages) is the upstream's business.
    passed_through("upstream-own-path-get", "GET", "/v1/messages?bad-o2a-own-path", "not_found"),
]

# ================================================================ Anthropic clients → OpenAI


def a(**fields) -> dict:
    """A valid Messages request carrying the marker, with `fields` changed (None removes)."""
    body = {"model": MODEL, "max_tokens": 50, "messages": user(), **fields}
    return {k: v for k, v in body.items() if v is not None}


def ac(id: str, body: object, message: str, **more) -> Case:
    """An Anthropic case answered with a 400 invalid_request_error."""
    return Case(id, body, 400, "invalid_request_error", message, **more)


def blocks(*content: dict) -> list[dict]:
    return [{"role": "user", "content": [{"type": "text", "text": "MARK"}, *content]}]


def image_block(source: dict) -> list[dict]:
    return blocks({"type": "image", "source": source})


def tool_answer(tool_use: dict, result: dict) -> list[dict]:
    return [*user(), {"role": "assistant", "content": [tool_use]}, {"role": "user", "content": [result]}]


TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}
SUNNY_RESULT = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}
MESSAGES = "a Messages request"
NO_OPENAI = "cannot be sent to an OpenAI-compatible upstream"
NO_MATCH = "matches no tool_use in the previous assistant message"

ANTHROPIC_CASES = [
    # -- the body is not a JSON object
    not_an_object("not-json", MESSAGES, b'{"model": "m", "messages": [MARK', "is not valid JSON (", prefix=True),
    not_an_object("empty-body", MESSAGES, b"", "is empty"),
    not_an_object("json-array", MESSAGES, b'["MARK"]', "is an array"),
    not_an_object("json-string", MESSAGES, b'"MARK"', "is a string"),
    not_an_object("json-number", MESSAGES, b"42", "is a number"),
    not_an_object("json-null", MESSAGES, b"null", "is null"),
    not_an_object("json-infinity", MESSAGES,
                  b'{"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "MARK"}], '
                  b'"top_p": Infinity}',
                  "is not valid JSON (Infinity is not a JSON value)"),
    not_an_object("invalid-utf8", MESSAGES,
                  b'{"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "MARK \xff"}]}',
                  "is not valid JSON ('utf-8' codec can't decode byte 0xff", prefix=True),
    not_an_object("nested-too-deep", MESSAGES, TOO_DEEP, "is not valid JSON (it is nested too deeply)"),
    # Deep, but not too deep for JSON: the translator refuses the content; nothing crashes.
    ac("nested-deep-content", a(messages=[{"role": "user", "content": json.loads("[" * 900 + '"MARK"' + "]" * 900)}]),
       "messages.0.content.0: Input should be an object"),
    # -- top-level fields: missing or of the wrong type
    ac("model-missing", a(model=None), "model: Field required"),
    ac("model-number", a(model=5), "model: Input should be a non-empty string"),
    ac("max_tokens-missing", a(max_tokens=None), "max_tokens: Field required"),
    ac("max_tokens-string", a(max_tokens="50"), "max_tokens: Input should be an integer greater than or equal to 1"),
    ac("max_tokens-zero", a(max_tokens=0), "max_tokens: Input should be an integer greater than or equal to 1"),
    ac("messages-missing", {"model": MODEL, "max_tokens": 5, "system": "MARK"}, "messages: Field required"),
    ac("messages-string", a(messages="MARK"), "messages: Input should be a non-empty list"),
    ac("messages-empty", a(messages=[], system="MARK"), "messages: Input should be a non-empty list"),
    ac("stream-string", a(stream="yes"), "stream: Input should be a valid boolean"),
    ac("temperature-string", a(temperature="hot"), "temperature: Input should be a valid number"),
    ac("top_p-string", a(top_p="most"), "top_p: Input should be a valid number"),
    ac("stop_sequences-string", a(stop_sequences="END"), "stop_sequences: Input should be a list of strings"),
    ac("tools-string", a(tools="get_weather"), "tools: Input should be a list"),
    ac("tools-item-number", a(tools=[5]), "tools.0: Input should be an object"),
    ac("tool-name-missing", a(tools=[{"input_schema": {"type": "object"}}]), "tools.0.name: Field required"),
    ac("tool-input_schema-string", a(tools=[{"name": "f", "input_schema": "object"}]),
       "tools.0.input_schema: Input should be an object"),
    ac("tool_choice-string", a(tool_choice="auto"), "tool_choice: Input should be an object"),
    ac("tool_choice-unknown-type", a(tool_choice={"type": "sometimes"}),
       "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'"),
    ac("tool_choice-unknown-tool", a(tools=[{"name": "get_weather"}], tool_choice={"type": "tool", "name": "nope"}),
       "tool_choice.name: no client tool named 'nope' can be sent upstream"),
    ac("system-number", a(system=5), "system: Input should be a string or a list of text blocks"),
    ac("system-image-block", a(system=[{"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}}]),
       "system.0.type: only text blocks are allowed here"),
    ac("metadata-string", a(metadata="MARK"), "metadata: Input should be an object"),
    ac("metadata-user_id-number", a(metadata={"user_id": 5}), "metadata.user_id: Input should be a valid string"),
    ac("thinking-string", a(thinking="on"), "thinking: Input should be an object"),
    ac("thinking-without-budget", a(thinking={"type": "enabled"}),
       "thinking.budget_tokens: Input should be a positive integer"),
    ac("output_config-string", a(output_config="high"), "output_config: Input should be an object"),
    # -- messages
    ac("role-unknown", a(messages=[{"role": "robot", "content": "MARK"}]),
       "messages.0.role: Input should be 'user', 'assistant' or 'system'"),
    ac("message-string", a(messages=["MARK"]), "messages.0: Input should be an object"),
    ac("content-missing", a(messages=[{"role": "user", "name": "MARK"}]), "messages.0.content: Field required"),
    ac("content-number", a(messages=[{"role": "user", "content": 5}], system="MARK"),
       "messages.0.content: Input should be a string or a list of content blocks"),
    ac("block-string", a(messages=[{"role": "user", "content": ["MARK"]}]),
       "messages.0.content.0: Input should be an object"),
    ac("block-unsupported", a(messages=[{"role": "user", "content": [{"type": "video", "text": "MARK"}]}]),
       f"messages.0.content.0.type: 'video' blocks in user messages {NO_OPENAI}"),
    # -- tool use
    ac("tool_result-unmatched", a(messages=tool_answer(TOOL_USE, {**SUNNY_RESULT, "tool_use_id": "toolu_nope"})),
       f"messages.2.content.0.tool_use_id: 'toolu_nope' {NO_MATCH}"),
    ac("tool_result-without-tool_use", a(messages=[{"role": "user", "content": [{**SUNNY_RESULT, "content": "MARK"}]}]),
       f"messages.0.content.0.tool_use_id: 'toolu_1' {NO_MATCH}"),
    ac("tool_use-input-not-object", a(messages=tool_answer({**TOOL_USE, "input": '{"city": "Oslo"'}, SUNNY_RESULT)),
       "messages.1.content.0.input: Input should be an object"),
    ac("tool_use-duplicate-id", a(messages=[*user(), {"role": "assistant", "content": [TOOL_USE, TOOL_USE]}]),
       "messages.1.content.1.id: tool_use ids must be unique, 'toolu_1' repeats"),
    # -- images and documents
    ac("image-bad-base64", a(messages=image_block({"type": "base64", "media_type": "image/png", "data": "@@no@@"})),
       "messages.0.content.1.source.data: Input should be valid base64 data"),
    ac("image-empty-data", a(messages=image_block({"type": "base64", "media_type": "image/png", "data": ""})),
       "messages.0.content.1.source.data: String should have at least 1 character"),
    ac("image-unsupported-media-type",
       a(messages=image_block({"type": "base64", "media_type": "image/bmp", "data": PNG_1PX})),
       "messages.0.content.1.source.media_type: "
       "Input should be one of 'image/jpeg', 'image/png', 'image/gif', 'image/webp'"),
    ac("image-url-bad-scheme", a(messages=image_block({"type": "url", "url": "ftp://example.test/cat.png"})),
       "messages.0.content.1.source.url: Input should be an http or https URL"),
    ac("image-file-source", a(messages=image_block({"type": "file", "file_id": "file_011"})),
       f"messages.0.content.1.source.type: image sources of type 'file' {NO_OPENAI}; send the data as base64"),
    ac("pdf-bad-base64",
       a(messages=blocks({"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                                         "data": "%PDF-1.4"}})),
       "messages.0.content.1.source.data: Input should be valid base64 data"),
    ac("document-url-source",
       a(messages=blocks({"type": "document", "source": {"type": "url", "url": "https://x.test/a.pdf"}})),
       f"messages.0.content.1.source.type: document sources of type 'url' {NO_OPENAI}; send the data as base64"),
    # -- methods and paths
    wrong_method("GET", "/v1/messages"),
    wrong_method("PUT", "/v1/messages", a()),
    wrong_method("DELETE", "/v1/messages"),
    wrong_method("PATCH", "/v1/messages", a()),
    wrong_method("HEAD", "/v1/messages"),
    wrong_method("GET", "/v1/messages", query="?beta=true"),
    wrong_method("GET", "/v1/messages/count_tokens"),
    # Unknown paths go to the upstream unchanged; its OpenAI-shaped 404 reaches the client in Anthropic's shape.
    passed_through("unknown-path", "POST", "/v1/bad-a2o-unknown-path", "not_found_error", a()),
    passed_through("unknown-path-batches", "GET", "/v1/messages/batches?bad-a2o-batches", "not_found_error"),
    # The upstream's own path (OpenAI lists stored completions at GET /v1/chat/completions) is passed through.
    passed_through("upstream-own-path-get", "GET", "/v1/chat/completions?bad-a2o-own-path", "not_found_error"),
]


# ================================================================ Responses clients → Anthropic


def r(**fields) -> dict:
    """A valid Responses request carrying the marker, with `fields` changed (None removes)."""
    body = {"model": MODEL, "input": "MARK", **fields}
    return {k: v for k, v in body.items() if v is not None}


def message_item(text: str = "MARK") -> dict:
    return {"type": "message", "role": "user", "content": text}


RESPONSES = "a Responses request"
STATELESS = "is not supported: the proxy stores nothing; send the whole conversation in input (with store: false)"
BUILT_IN = "is not available through this proxy; declare a function or custom tool that your client runs itself"

RESPONSES_CASES = [
    not_an_object("not-json", RESPONSES, b"MARK {", "is not valid JSON (", prefix=True),
    not_an_object("array", RESPONSES, b'["MARK"]', "is an array"),
    oc("model-missing", r(model=None), "model: must be a non-empty string"),
    oc("model-number", r(model=5), "model: must be a non-empty string"),
    oc("input-missing", {"model": MODEL, "metadata": {"m": "MARK"}}, "input: must be a string or a non-empty list of items"),
    oc("input-number", {"model": MODEL, "input": 5, "metadata": {"m": "MARK"}},
       "input: must be a string or a non-empty list of items"),
    oc("item-unknown", r(input=[message_item(), {"type": "teleport"}]),
       "input[1].type: unknown or unsupported input item type 'teleport' (message, function_call, "
       "function_call_output, custom_tool_call, custom_tool_call_output or reasoning)"),
    oc("role-unknown", r(input=[{"type": "message", "role": "robot", "content": "MARK"}]),
       "input[0].role: unknown role 'robot' (user, assistant, system or developer)"),
    oc("part-unknown", r(input=[{"type": "message", "role": "user", "content": [
        {"type": "input_text", "text": "MARK"}, {"type": "input_video", "url": "x"}]}]),
       "input[0].content[1].type: content part type 'input_video' is not allowed here "
       "(input_text, input_image or input_file)"),
    oc("previous-response-id", r(previous_response_id="resp_1"), f"previous_response_id: {STATELESS}"),
    oc("conversation", r(conversation="conv_1"), f"conversation: {STATELESS}"),
    oc("background", r(background=True), "background: background responses are not supported: the proxy "
       "stores nothing; send the request without background and wait for its answer (or stream it)"),
    oc("web-search", r(tools=[{"type": "web_search"}]), f"tools[0].type: the built-in tool 'web_search' {BUILT_IN}"
       ' (Codex CLI: set web_search = "disabled" in ~/.codex/config.toml)'),
    oc("file-search", r(tools=[{"type": "file_search", "vector_store_ids": ["vs_1"]}]),
       f"tools[0].type: the built-in tool 'file_search' {BUILT_IN}"),
    oc("orphan-output", r(input=[message_item(), {"type": "function_call_output", "call_id": "call_9", "output": "x"}]),
       "input[1].call_id: 'call_9' answers no call that comes before it"),
    oc("bad-arguments", r(input=[message_item(), {"type": "function_call", "call_id": "c1", "name": "f",
                                                  "arguments": "{nope"},
                                 {"type": "function_call_output", "call_id": "c1", "output": "x"}]),
       "input[1].arguments: not valid JSON"),
    oc("compaction", r(input=[{"type": "compaction", "encrypted_content": "abc"}, message_item()]),
       "input[0].type: compaction items hold OpenAI's encrypted summary of earlier turns, which this upstream "
       "cannot read; compact the conversation locally (Codex does so for custom providers) and send the "
       "summary as a message"),
    oc("max-output-tokens", r(max_output_tokens=-1), "max_output_tokens: must be a positive integer"),
    oc("temperature", r(temperature="hot"), "temperature: must be a number"),
    oc("stream", r(stream="yes"), "stream: must be a boolean"),
    oc("text-format", r(text={"format": {"type": "xml"}}), "text.format.type: must be 'text', 'json_object' or 'json_schema'"),
    wrong_method("GET", "/v1/responses"),
    Case("stored-response", None, 404, "not_found_error",
         "GET /v1/responses/resp-bad-r2a-stored: anyrouter stores no answers (`store` is ignored)", prefix=True,
         method="GET", path="/v1/responses/resp-bad-r2a-stored?bad-r2a-stored"),
]


# ================================================================ the proxies and the checks


@dataclass(frozen=True)
class Direction:
    name: str  # o2a, a2o, r2a; a2g, o2g, r2g (client to upstream)
    client: str  # the client's protocol
    path: str
    upstream_path: str
    headers: dict
    model: str = MODEL  # the model of the valid request sent after each case


O2A = Direction("o2a", "openai", "/v1/chat/completions", "/v1/messages", OPENAI_HEADERS)
A2O = Direction("a2o", "anthropic", "/v1/messages", "/v1/chat/completions", ANTHROPIC_HEADERS)
R2A = Direction("r2a", "responses", "/v1/responses", "/v1/messages", {**OPENAI_HEADERS, "authorization": "Bearer sk-bad-input-r2a-0001"})


@pytest.fixture(scope="module")
def o2a_proxy(start_proxy, relay):
    return start_proxy(relay.url, upstream_protocol="anthropic", max_body_size="1m")


@pytest.fixture(scope="module")
def a2o_proxy(start_proxy, relay):
    return start_proxy(relay.url, upstream_protocol="openai", max_body_size="1m")


def marker_for(direction: Direction, case_id: str) -> str:
    return f"bad {direction.name} {case_id}"


def raw_body(body: object, marker: str) -> bytes:
    if body is None:
        return b""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw.replace(b"MARK", marker.encode())


def check_error(direction: Direction, response: http.client.HTTPResponse, content: bytes, case: Case) -> dict:
    """The body is the client protocol's error shape with the case's status, type and message."""
    assert response.status == case.status, content[:500]
    assert response.getheader("content-type") == "application/json", content[:500]
    body = json.loads(content)
    if direction.client in ("openai", "responses"):
        assert set(body) == {"error"}, body
        error = openai.types.ErrorObject.model_validate(body["error"])
        kind, message = error.type, error.message
        assert error.param == case.param, body
    else:
        check_anthropic_error_shape(body)
        kind, message = body["error"]["type"], body["error"]["message"]
    assert kind == case.type, body
    if case.prefix:
        assert message.startswith(case.message), message
    else:
        assert message == case.message, message
    return body


def check_anthropic_error_shape(body: dict) -> None:
    if body["error"]["type"] == "request_too_large":
        # What the API sends for a 413 (and Claude Code acts on); the SDK's ErrorResponse
        # union (anthropic 2.12) has no member for it, so the shape is checked by hand.
        assert set(body) == {"type", "error"} and body["type"] == "error", body
        assert set(body["error"]) == {"type", "message"} and isinstance(body["error"]["message"], str), body
    else:
        ANTHROPIC_ERROR.validate_python(body)
        assert set(body) == {"type", "error"} and set(body["error"]) == {"type", "message"}, body


def send_valid(conn: http.client.HTTPConnection, direction: Direction, relay, case_id: str) -> None:
    """A valid request right after the bad one succeeds, translated, with the upstream's answer."""
    marker = f"bad {direction.name} next {case_id}"
    if direction.client == "openai":
        body = {"model": direction.model, "messages": user(marker)}
    elif direction.client == "responses":
        body = {"model": direction.model, "input": marker}
    else:
        body = {"model": direction.model, "max_tokens": 50, "messages": user(marker)}
    conn.request("POST", direction.path, body=json.dumps(body), headers=direction.headers)
    response = conn.getresponse()
    content = response.read()
    assert response.status == 200, content[:500]
    answer = json.loads(content)
    if direction.client == "openai":
        completion = ChatCompletion.model_validate(answer)
        assert completion.choices[0].message.content == "Still serving OpenAI clients after bad input."
    elif direction.client == "responses":
        assert Response.model_validate(answer).output_text == "Still serving Responses clients after bad input."
    else:
        message = Message.model_validate(answer)
        assert message.content[0].text == "Still serving Anthropic clients after bad input."
    assert relay.only(marker).path == direction.upstream_path


def send_valid_on_a_new_connection(proxy, direction: Direction, relay, case_id: str) -> None:
    conn = http.client.HTTPConnection(LOOPBACK, proxy.port, timeout=30)
    try:
        send_valid(conn, direction, relay, case_id)
    finally:
        conn.close()


def upstream_requests_for(relay, marker: str) -> list:
    """Requests that reached the upstream with the marker in their body or their path."""
    return [r for r in list(relay.requests) if marker.encode() in r.raw_body or marker.replace(" ", "-") in r.path]


def run_case(proxy, relay, direction: Direction, case: Case) -> None:
    path = case.path or direction.path
    if case.body is None and "?bad-" in path:
        marker = path.split("?", 1)[1].replace("-", " ")  # a request without a body: marked in its query
    else:
        marker = marker_for(direction, case.id)
    before = len(relay.requests)
    conn = http.client.HTTPConnection(LOOPBACK, proxy.port, timeout=30)
    try:
        content_body = raw_body(case.body, marker)
        conn.request(case.method, path, body=content_body if case.body is not None else None, headers=direction.headers)
        response = conn.getresponse()
        content = response.read()
        if case.method == "HEAD":
            assert response.status == 405
            assert response.getheader("allow") == "POST"
            assert content == b""
        else:
            check_error(direction, response, content, case)
            if case.status == 405:
                assert response.getheader("allow") == "POST"
        if case.reaches_upstream:
            reached = upstream_requests_for(relay, marker)
            assert len(reached) == 1, [(r.method, r.path) for r in relay.requests[before:]]
            assert (reached[0].method, reached[0].path) == (case.method, path)
        else:
            assert len(relay.requests) == before, [(r.method, r.path) for r in relay.requests[before:]]
            assert relay.find(marker) == []
        # The proxy kept the connection open (these answers do not close it): the next request
        # goes over the same one.
        assert not response.will_close
        sock = conn.sock
        send_valid(conn, direction, relay, case.id)
        assert conn.sock is sock
    finally:
        conn.close()


@pytest.mark.parametrize("case", OPENAI_CASES, ids=lambda c: c.id)
def test_openai_client_bad_input(o2a_proxy, relay, case):
    run_case(o2a_proxy, relay, O2A, case)


@pytest.mark.parametrize("case", ANTHROPIC_CASES, ids=lambda c: c.id)
def test_anthropic_client_bad_input(a2o_proxy, relay, case):
    run_case(a2o_proxy, relay, A2O, case)


@pytest.mark.parametrize("case", RESPONSES_CASES, ids=lambda c: c.id)
def test_responses_client_bad_input(o2a_proxy, relay, case):
    run_case(o2a_proxy, relay, R2A, case)


# ================================================================ bodies too big


def proxy_for(direction: Direction, o2a_proxy, a2o_proxy):
    return o2a_proxy if direction is O2A else a2o_proxy


def request_head(direction: Direction, port: int, extra: dict[str, str]) -> bytes:
    headers = {"host": f"{LOOPBACK}:{port}", **direction.headers, **extra}
    lines = [f"POST {direction.path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_answer(sock: socket.socket) -> tuple[http.client.HTTPResponse, bytes]:
    response = http.client.HTTPResponse(sock, method="POST")
    response.begin()
    return response, response.read()


def expected_413(direction: Direction, message: str) -> Case:
    kind = "invalid_request_error" if direction.client == "openai" else "request_too_large"
    return Case("too-large", None, 413, kind, message)


def check_413(direction: Direction, response, content: bytes, message: str) -> None:
    check_error(direction, response, content, expected_413(direction, message))
    assert response.getheader("connection") == "close"


DIRECTIONS = pytest.mark.parametrize("direction", [O2A, A2O], ids=["openai-client", "anthropic-client"])


@DIRECTIONS
@pytest.mark.parametrize("expect_continue", [False, True], ids=["plain", "expect-100-continue"])
def test_content_length_too_big_is_answered_before_the_body_is_sent(
    o2a_proxy, a2o_proxy, relay, direction, expect_continue
):
    """The 413 comes while the client has sent nothing but the headers."""
    proxy = proxy_for(direction, o2a_proxy, a2o_proxy)
    before = len(relay.requests)
    extra = {"content-length": str(2 * LIMIT)} | ({"expect": "100-continue"} if expect_continue else {})
    with socket.create_connection((LOOPBACK, proxy.port), timeout=30) as sock:
        sock.sendall(request_head(direction, proxy.port, extra))
        response, content = read_answer(sock)
    check_413(
        direction, response, content,
        "request body too large: content-length is 2097152 bytes (2 MiB), more than the 1048576 bytes (1 MiB) "
        "allowed (max_body_size)",
    )
    assert len(relay.requests) == before
    send_valid_on_a_new_connection(proxy, direction, relay, f"content-length-{expect_continue}")


@DIRECTIONS
def test_content_length_too_big_with_the_whole_body_sent(o2a_proxy, a2o_proxy, relay, direction):
    """A client that sends everything before reading (as SDKs do) still gets the 413, not a reset."""
    proxy = proxy_for(direction, o2a_proxy, a2o_proxy)
    marker = marker_for(direction, "whole-body-too-big")
    body = json.dumps({"model": MODEL, "max_tokens": 5, "messages": user(marker + " " + "x" * (3 * LIMIT))}).encode()
    conn = http.client.HTTPConnection(LOOPBACK, proxy.port, timeout=30)
    before = len(relay.requests)
    conn.request("POST", direction.path, body=body, headers=direction.headers)
    response = conn.getresponse()
    content = response.read()
    conn.close()
    check_413(
        direction, response, content,
        f"request body too large: content-length is {len(body)} bytes, more than the 1048576 bytes (1 MiB) "
        "allowed (max_body_size)",
    )
    assert len(relay.requests) == before and relay.find(marker) == []
    send_valid_on_a_new_connection(proxy, direction, relay, "whole-body")


@DIRECTIONS
def test_chunked_body_growing_past_the_limit(o2a_proxy, a2o_proxy, relay, direction):
    """No content-length: the 413 comes once the body has grown past the limit, before its end."""
    proxy = proxy_for(direction, o2a_proxy, a2o_proxy)
    marker = marker_for(direction, "chunked-too-big")
    piece = (marker + " ").encode().ljust(64 * 1024, b"x")
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    before = len(relay.requests)
    with socket.create_connection((LOOPBACK, proxy.port), timeout=30) as sock:
        sock.sendall(request_head(direction, proxy.port, {"transfer-encoding": "chunked"}))
        sock.sendall(chunk * (LIMIT // len(piece) + 1))  # one piece past the limit, and no last chunk
        response, content = read_answer(sock)
    check_413(
        direction, response, content,
        "request body too large: it is bigger than the 1048576 bytes (1 MiB) allowed (max_body_size)",
    )
    assert len(relay.requests) == before and relay.find(marker) == []
    send_valid_on_a_new_connection(proxy, direction, relay, "chunked")


@DIRECTIONS
def test_body_just_under_the_limit_is_served(o2a_proxy, a2o_proxy, relay, direction):
    proxy = proxy_for(direction, o2a_proxy, a2o_proxy)
    marker = f"bad {direction.name} next just-under"
    body = {"model": MODEL, "max_tokens": 50, "messages": [
        {"role": "user", "content": "x" * (LIMIT - 2000)}, {"role": "assistant", "content": "ok"}, *user(marker)]}
    if direction.client == "openai":
        del body["max_tokens"]
    raw = json.dumps(body).encode()
    assert LIMIT - 2000 < len(raw) <= LIMIT
    conn = http.client.HTTPConnection(LOOPBACK, proxy.port, timeout=30)
    conn.request("POST", direction.path, body=raw, headers=direction.headers)
    response = conn.getresponse()
    content = response.read()
    conn.close()
    assert response.status == 200, content[:500]
    assert relay.only(marker).path == direction.upstream_path


# ================================================================ and no crash on the way


def check_no_traceback(proxy) -> None:
    """Every case was handled, none by an exception caught in mitmproxy."""
    log = proxy.log_text()
    assert "Traceback" not in log, log[log.find("Traceback") - 2000:][:6000]
    assert "addon error" not in log.lower()


def test_no_case_left_a_traceback_in_the_proxy_log(o2a_proxy, a2o_proxy):
    """Runs after the cases above."""
    for proxy in (o2a_proxy, a2o_proxy):
        check_no_traceback(proxy)


# ================================================================ Gemini clients → Anthropic
#
# A Gemini client (`/v1beta/models/{model}:generateContent`) in front of the Anthropic
# upstream, on a proxy of its own that saves its flows: every case is answered in Gemini's
# error shape `{"error":{"code","message","status"}}`, the next valid request on the same
# connection succeeds, and neither key (`x-goog-api-key`, `?key=`) is in the flows or the log.

GEMINI_KEY = "AIza-bad-input-g2a-header-0001"
GEMINI_QUERY_KEY = "AIza-bad-input-g2a-query-0002"
GEMINI_MODEL = "gemini-2.5-flash"
GEMINI_PATH = f"/v1beta/models/{GEMINI_MODEL}:generateContent"
GEMINI_HEADERS = {"content-type": "application/json", "x-goog-api-key": GEMINI_KEY}
G2A = Direction("g2a", "gemini", GEMINI_PATH, "/v1/messages", GEMINI_HEADERS)
GEMINI_OBJECT = "a Gemini generateContent request"


def g(**fields) -> dict:
    """A valid Gemini request carrying the marker, with `fields` changed (None removes)."""
    body = {"contents": [{"role": "user", "parts": [{"text": "MARK"}]}], **fields}
    return {k: v for k, v in body.items() if v is not None}


def gc(id: str, body: object, message: str, status: int = 400, **more) -> Case:
    return Case(id, body, status, {400: "INVALID_ARGUMENT", 404: "NOT_FOUND"}[status], message, **more)


def marked_user(*parts: dict) -> dict:
    return {"role": "user", "parts": [{"text": "MARK"}, *parts]}


GEMINI_CASES = [
    gc("not-json", b"{MARK", "the request body must be a JSON object", prefix=True),
    gc("array", b'["MARK"]', "the request body must be a JSON object", prefix=True),
    gc("contents-missing", {"systemInstruction": {"parts": [{"text": "MARK"}]}},
       "contents: must be a non-empty list of contents"),
    gc("contents-not-a-list", {"contents": "MARK"}, "contents: must be a non-empty list of contents"),
    gc("unknown-part", g(contents=[marked_user({"videoMetadata": {"fps": 1}})]),
       "contents[0].parts[1]: a part must hold one of text, inlineData, fileData, functionCall or functionResponse"),
    gc("system-role", g(contents=[{"role": "system", "parts": [{"text": "MARK"}]}]),
       "contents[0].role: must be 'user' or 'model', not 'system'"),
    gc("call-without-name", g(contents=[marked_user(), {"role": "model", "parts": [{"functionCall": {"args": {}}}]}]),
       "contents[1].parts[0].functionCall.name: must be a non-empty string"),
    gc("candidate-count", g(generationConfig={"candidateCount": 2}), "generationConfig.candidateCount: only one choice (generationConfig.candidateCount=1) "
       "can be generated by an Anthropic upstream"),
    gc("cached-content", g(cachedContent="cachedContents/MARK"),
       "cachedContent: a Gemini context cache cannot be used through another upstream; send the contents instead"),
    gc("google-search", g(tools=[{"googleSearch": {}}]),
       "tools[0].googleSearch: Gemini's built-in tools have no equivalent behind this upstream; "
       "declare functions the client runs itself (functionDeclarations)"),
    # Not a Gemini route: the request passes to the upstream unchanged, like any path the
    # proxy does not translate, and aimock's 404 comes back in the client's (Gemini's) shape.
    gc("unknown-action", g(), "Not found", status=404, path=f"/v1beta/models/{GEMINI_MODEL}:foo",
       reaches_upstream=True),
]


@pytest.fixture(scope="module")
def g2a_flows(tmp_path_factory):
    return tmp_path_factory.mktemp("g2a") / "flows.mitm"


@pytest.fixture(scope="module")
def g2a_proxy(start_proxy, relay, g2a_flows):
    return start_proxy(relay.url, upstream_protocol="anthropic", max_body_size="1m", save_stream_file=str(g2a_flows))


def check_gemini_error(response: http.client.HTTPResponse, content: bytes, case: Case) -> dict:
    assert response.status == case.status, content[:500]
    assert response.getheader("content-type") == "application/json", content[:500]
    body = json.loads(content)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "status"}, body
    assert (body["error"]["code"], body["error"]["status"]) == (case.status, case.type), body
    message = body["error"]["message"]
    if case.prefix:
        assert message.startswith(case.message), message
    else:
        assert message == case.message, message
    return body


def send_valid_gemini(conn: http.client.HTTPConnection, relay, case_id: str, query: str = "") -> None:
    marker = f"bad g2a next {case_id}"
    body = {"contents": [{"role": "user", "parts": [{"text": marker}]}]}
    conn.request("POST", GEMINI_PATH + query, body=json.dumps(body), headers=GEMINI_HEADERS)
    response = conn.getresponse()
    content = response.read()
    assert response.status == 200, content[:500]
    answer = json.loads(content)
    assert answer["candidates"][0]["content"]["parts"] == [{"text": "Still serving Gemini clients after bad input."}]
    assert answer["candidates"][0]["finishReason"] == "STOP"
    sent = relay.only(marker)
    assert sent.path == "/v1/messages"
    assert json.loads(sent.raw_body)["model"] == GEMINI_MODEL


@pytest.mark.parametrize("case", GEMINI_CASES, ids=lambda c: c.id)
def test_gemini_client_bad_input(g2a_proxy, relay, case):
    marker = marker_for(G2A, case.id)
    before = len(relay.requests)
    conn = http.client.HTTPConnection(LOOPBACK, g2a_proxy.port, timeout=30)
    try:
        conn.request(case.method, case.path or GEMINI_PATH, body=raw_body(case.body, marker), headers=GEMINI_HEADERS)
        response = conn.getresponse()
        content = response.read()
        check_gemini_error(response, content, case)
        if case.reaches_upstream:
            reached = upstream_requests_for(relay, marker)
            assert [(r.method, r.path) for r in reached] == [(case.method, case.path)]
            assert json.loads(reached[0].raw_body) == json.loads(raw_body(case.body, marker))
        else:
            assert len(relay.requests) == before, [(r.method, r.path) for r in relay.requests[before:]]
            assert relay.find(marker) == []
        assert not response.will_close
        sock = conn.sock
        send_valid_gemini(conn, relay, case.id)
        assert conn.sock is sock
    finally:
        conn.close()


def test_gemini_keys_stay_out_of_the_flows_and_the_log(g2a_proxy, relay, g2a_flows):
    """Both carriers of Gemini's key: the header and `?key=` (with no header), then the saved
    flows and the log searched for either key."""
    conn = http.client.HTTPConnection(LOOPBACK, g2a_proxy.port, timeout=30)
    try:
        send_valid_gemini(conn, relay, "header-key")
    finally:
        conn.close()
    marker = "bad g2a next query-key"
    body = {"contents": [{"role": "user", "parts": [{"text": marker}]}]}
    conn = http.client.HTTPConnection(LOOPBACK, g2a_proxy.port, timeout=30)
    try:
        conn.request("POST", f"{GEMINI_PATH}?key={GEMINI_QUERY_KEY}", body=json.dumps(body),
                     headers={"content-type": "application/json"})
        response = conn.getresponse()
        content = response.read()
        assert response.status == 200, content[:500]
    finally:
        conn.close()
    sent = relay.only(marker)
    assert GEMINI_QUERY_KEY not in sent.path
    assert marker.encode() in g2a_flows.read_bytes()  # the flows are saved as they end
    for carrier in (GEMINI_KEY, GEMINI_QUERY_KEY):
        assert carrier.encode() not in g2a_flows.read_bytes()
        assert carrier not in g2a_proxy.log_text()


def test_no_gemini_case_left_a_traceback_in_the_proxy_log(g2a_proxy):
    check_no_traceback(g2a_proxy)


# ================================================================ Anthropic, OpenAI and Responses clients → Gemini
#
# One proxy with `upstream_protocol=gemini` serves the three other client protocols, each
# at its own path; the valid request after each case is answered by aimock's Gemini
# endpoint (`/v1beta/models/{model}:generateContent`). The cases are what the Gemini request
# encoder refuses: media it cannot address (files uploaded to another provider's store),
# content kinds that have no Gemini part, a tool_choice no sendable declaration can meet,
# and what one Gemini answer cannot be (several choices, log probabilities, audio). Where
# the client's own decoder refuses first (a tool result answering no call, `required` with
# no tools, built-in tools), the case shows that the Gemini route refuses it the same way.

A2G = Direction("a2g", "anthropic", "/v1/messages", GEMINI_PATH,
                {**ANTHROPIC_HEADERS, "x-api-key": "sk-ant-bad-input-a2g-0001"}, GEMINI_MODEL)
O2G = Direction("o2g", "openai", "/v1/chat/completions", GEMINI_PATH,
                {**OPENAI_HEADERS, "authorization": "Bearer sk-bad-input-o2g-0001"}, GEMINI_MODEL)
R2G = Direction("r2g", "responses", "/v1/responses", GEMINI_PATH,
                {**OPENAI_HEADERS, "authorization": "Bearer sk-bad-input-r2g-0001"}, GEMINI_MODEL)
NO_GEMINI = "cannot be sent to a Gemini upstream"
NOT_FROM_GEMINI = "not available from a Gemini upstream"
SENDABLE = "can be sent to a Gemini upstream"
SEARCH_RESULT = {"type": "search_result", "source": "https://x.test/r", "title": "Result", "content": []}
WEATHER_SCHEMA_TOOL = {"name": "get_weather", "input_schema": {"type": "object"}}
WEB_SEARCH_SERVER_TOOL = {"type": "web_search_20250305", "name": "web_search"}


def assistant_turn(*content: dict) -> list[dict]:
    """The marked user turn, an assistant turn of `content`, and a user turn going on."""
    return [*user(), {"role": "assistant", "content": list(content)}, {"role": "user", "content": "go on"}]


TO_GEMINI_ANTHROPIC_CASES = [
    # -- media Gemini cannot fetch: an id in Anthropic's Files API
    ac("image-file-source", a(messages=image_block({"type": "file", "file_id": "file_011"})),
       "messages.0.content.1: the image is a file uploaded to a provider ('file_011'), which a Gemini upstream cannot read; send the data as base64"),
    ac("document-file-source",
       a(messages=blocks({"type": "document", "source": {"type": "file", "file_id": "file_011"}})),
       "messages.0.content.1: the document is a file uploaded to a provider ('file_011'), which a Gemini upstream cannot read; send the data as base64"),
    # -- content with no Gemini part, wherever it stands
    ac("user-search_result", a(messages=blocks(SEARCH_RESULT)),
       f"messages.0.content.1.type: 'search_result' content in a user turn {NO_GEMINI}"),
    ac("user-tool_use", a(messages=blocks(TOOL_USE)),
       f"messages.0.content.1.type: 'tool_use' content in a user turn {NO_GEMINI}"),
    ac("assistant-server_tool_use",
       a(messages=assistant_turn({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
                                  "input": {"query": "weather"}})),
       f"messages.1.content.0.type: 'server_tool_use' content in an assistant turn {NO_GEMINI}"),
    ac("assistant-tool_result", a(messages=assistant_turn(SUNNY_RESULT)),
       f"messages.1.content.0.type: 'tool_result' content in an assistant turn {NO_GEMINI}"),
    ac("tool_result-search_result", a(messages=tool_answer(TOOL_USE, {**SUNNY_RESULT, "content": [SEARCH_RESULT]})),
       f"messages.2.content.0.content.0.type: 'search_result' content in a tool result {NO_GEMINI}"),
    ac("document-content-search_result",
       a(messages=blocks({"type": "document", "source": {"type": "content", "content": [SEARCH_RESULT]}})),
       f"messages.0.content.1.source.content.0.type: 'search_result' content in a document {NO_GEMINI}"),
    # -- tools: a choice no declaration sent to Gemini can meet (server tools are not sent)
    ac("tool_choice-unknown-tool", a(tools=[WEATHER_SCHEMA_TOOL], tool_choice={"type": "tool", "name": "nope"}),
       f"tool_choice: no client tool named 'nope' {SENDABLE}"),
    ac("tool_choice-server-tool", a(tools=[WEB_SEARCH_SERVER_TOOL], tool_choice={"type": "tool", "name": "web_search"}),
       f"tool_choice: no client tool named 'web_search' {SENDABLE}"),
    ac("tool_choice-any-without-tools", a(tool_choice={"type": "any"}),
       f"tool_choice: a tool call is required, but no client tool {SENDABLE}"),
    ac("tool_choice-any-with-only-a-server-tool", a(tools=[WEB_SEARCH_SERVER_TOOL], tool_choice={"type": "any"}),
       f"tool_choice: a tool call is required, but no client tool {SENDABLE}"),
    # -- refused by the Anthropic decoder before the Gemini encoder would need the call's name
    ac("tool_result-without-tool_use", a(messages=[{"role": "user", "content": [{**SUNNY_RESULT, "content": "MARK"}]}]),
       f"messages.0.content.0.tool_use_id: 'toolu_1' {NO_MATCH}"),
]

AUDIO_PART = {"type": "input_audio", "input_audio": {"data": "SUQz", "format": "mp3"}}

TO_GEMINI_OPENAI_CASES = [
    # -- what one Gemini answer cannot be
    oc("n-2", o(n=2), "n: only one choice (n=1) can be generated by a Gemini upstream"),
    oc("logprobs", o(logprobs=True), f"logprobs: log probabilities are {NOT_FROM_GEMINI}"),
    oc("top_logprobs", o(top_logprobs=3), f"top_logprobs: log probabilities are {NOT_FROM_GEMINI}"),
    oc("audio-output", o(audio={"voice": "alloy", "format": "mp3"}), f"audio: audio output is {NOT_FROM_GEMINI}"),
    oc("modalities-audio", o(modalities=["text", "audio"]), f"modalities: audio output is {NOT_FROM_GEMINI}"),
    # -- content with no Gemini part
    oc("audio-input", o(messages=user_parts(AUDIO_PART)),
       f"messages[0].content[1].type: 'input_audio' content in a user turn {NO_GEMINI}"),
    oc("audio-in-tool-result", o(messages=tool_round(WEATHER_CALL, {**SUNNY, "content": [AUDIO_PART]})),
       f"messages[2].content[0].type: 'input_audio' content in a tool result {NO_GEMINI}"),
    oc("file-id", o(messages=user_parts({"type": "file", "file": {"file_id": "file-abc"}})),
       "messages[0].content[1].file: the document is a file uploaded to a provider ('file-abc'), which a Gemini upstream cannot read; send the data as base64"),
    # -- refused by the Chat Completions decoder, toward Gemini as toward any upstream
    oc("tool_call_id-unmatched", o(messages=tool_round(WEATHER_CALL, {**SUNNY, "tool_call_id": "call_nope"})),
       "messages[2].tool_call_id: no tool call with id 'call_nope' awaits a result"),
    oc("tool_choice-required-without-tools", o(tool_choice="required"), "tool_choice: 'required' needs tools"),
    oc("tool_choice-unknown-function",
       o(tools=[WEATHER_TOOL], tool_choice={"type": "function", "function": {"name": "nope"}}),
       "tool_choice.function.name: no tool named 'nope' in tools"),
]


def with_call_output(*output: dict) -> list[dict]:
    call = {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"}
    return [message_item(), call, {"type": "function_call_output", "call_id": "call_1", "output": list(output)}]


def user_input(*parts: dict) -> list[dict]:
    return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "MARK"}, *parts]}]


STORED_IMAGE = {"type": "input_image", "file_id": "file-abc"}

TO_GEMINI_RESPONSES_CASES = [
    oc("top_logprobs", r(top_logprobs=3), f"top_logprobs: log probabilities are {NOT_FROM_GEMINI}"),
    # -- files in OpenAI's store, or fetched by OpenAI
    oc("image-file-id", r(input=user_input(STORED_IMAGE)),
       f"input[0].content[1].type: 'input_image' content in a user turn {NO_GEMINI}"),
    oc("file-url", r(input=user_input({"type": "input_file", "file_url": "https://x.test/a.pdf"})),
       f"input[0].content[1].type: 'input_file' content in a user turn {NO_GEMINI}"),
    oc("file-id", r(input=user_input({"type": "input_file", "file_id": "file-abc"})),
       "input[0].content[1]: the document is a file uploaded to a provider ('file-abc'), which a Gemini upstream cannot read; send the data as base64"),
    oc("tool-output-image-file-id", r(input=with_call_output(STORED_IMAGE)),
       f"input[2].output[0].type: 'input_image' content in a tool result {NO_GEMINI}"),
    # -- refused by the Responses decoder, toward Gemini as toward any upstream
    oc("orphan-output", r(input=[message_item(), {"type": "function_call_output", "call_id": "call_9", "output": "x"}]),
       "input[1].call_id: 'call_9' answers no call that comes before it"),
    oc("tool_choice-required-without-tools", r(tool_choice="required"), "tool_choice: 'required' needs tools"),
    oc("web-search", r(tools=[{"type": "web_search"}]), f"tools[0].type: the built-in tool 'web_search' {BUILT_IN}"
       ' (Codex CLI: set web_search = "disabled" in ~/.codex/config.toml)'),
]


@pytest.fixture(scope="module")
def to_gemini_proxy(start_proxy, relay):
    return start_proxy(relay.url, upstream_protocol="gemini", max_body_size="1m")


@pytest.mark.parametrize("case", TO_GEMINI_ANTHROPIC_CASES, ids=lambda c: c.id)
def test_anthropic_client_bad_input_before_gemini(to_gemini_proxy, relay, case):
    run_case(to_gemini_proxy, relay, A2G, case)


@pytest.mark.parametrize("case", TO_GEMINI_OPENAI_CASES, ids=lambda c: c.id)
def test_openai_client_bad_input_before_gemini(to_gemini_proxy, relay, case):
    run_case(to_gemini_proxy, relay, O2G, case)


@pytest.mark.parametrize("case", TO_GEMINI_RESPONSES_CASES, ids=lambda c: c.id)
def test_responses_client_bad_input_before_gemini(to_gemini_proxy, relay, case):
    run_case(to_gemini_proxy, relay, R2G, case)


def test_no_case_before_gemini_left_a_traceback_in_the_proxy_log(to_gemini_proxy):
    check_no_traceback(to_gemini_proxy)
