"""Faults on either side of the Gemini codec, through a real mitmdump: each becomes an error in
the client's own protocol, or a stream that ends with an error event, and the next request is
answered.

The upstreams are `CannedAnswers` and `BreaksOffMidStream` (tests/fake_upstreams.py), written
here because no peer sends these on demand: aimock's error injection answers a status with its
own body, never Gemini's `{"error":{"code","message","status"}}` nor a gateway's HTML, and it
never sends a malformed chunk, a JSON array for an SSE request, a stream without a
`finishReason`, an oversized event or a connection cut mid-stream. The Gemini client is the
google-genai SDK (3.6.1), which raises what it reads as its own `ClientError`/`ServerError`.
"""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from fake_upstreams import BreaksOffMidStream, CannedAnswers
from test_streaming_is_unbuffered import ANTHROPIC_FIRST

genai = pytest.importorskip("google.genai")
from google.genai import errors as sdk_errors  # noqa: E402
from google.genai import types  # noqa: E402

MODEL = "gemini-2.5-flash"
GENERATE = f"/v1beta/models/{MODEL}:generateContent"
STREAM = f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
ANTHROPIC_KEY = "sk-ant-gemini-fault-0001"
GEMINI_KEY = "AIza-gemini-fault-0002"
EVENT_LIMIT = 64 * 1024


def json_body(value: object) -> bytes:
    return json.dumps(value).encode()


def google_error(code: int, status: str, message: str) -> tuple[int, str, bytes]:
    return code, "application/json", json_body({"error": {"code": code, "message": message, "status": status}})


def anthropic_error(status: int, kind: str, message: str) -> tuple[int, str, bytes]:
    return status, "application/json", json_body({"type": "error", "error": {"type": kind, "message": message}})


def gemini_chunk(parts: list[dict], finish: str | None = None) -> dict:
    candidate = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": MODEL, "responseId": "resp-fault",
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5}}


def sse(*chunks: dict) -> bytes:
    return b"".join(b"data: " + json_body(chunk) + b"\r\n\r\n" for chunk in chunks)


GOOD_GEMINI = (200, "application/json", json_body(gemini_chunk([{"text": "fine again"}], "STOP")))
GOOD_MESSAGE = (200, "application/json", json_body({
    "id": "msg_good", "type": "message", "role": "assistant", "model": "m",
    "content": [{"type": "text", "text": "fine again"}], "stop_reason": "end_turn", "stop_sequence": None,
    "usage": {"input_tokens": 3, "output_tokens": 2},
}))
HTML_503 = (503, "text/html", b"<html><head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>")
HTML_MESSAGE = "upstream answered HTTP 503 with an HTML page: 503 Service Temporarily Unavailable"
EARLY = gemini_chunk([{"text": "early-words"}])
MISSING_SIGNATURE = ("Function call is missing a thought_signature in functionCall parts. This is required for tools "
                     "to work correctly, and missing thought_signature may lead to degraded model performance.")


def hi() -> list[dict]:
    return [{"role": "user", "content": "hi"}]


# ---------------------------------------------------------------- Anthropic client → Gemini upstream

@pytest.fixture(scope="module")
def gemini_upstream():
    with CannedAnswers([], GOOD_GEMINI) as upstream:
        yield upstream


@pytest.fixture
def to_gemini(start_proxy, gemini_upstream):
    """An Anthropic client of a proxy whose upstream is Gemini; the next answer is the test's."""
    proxy = start_proxy(gemini_upstream.url, upstream_protocol="gemini", key_retries="0",
                        max_event_size=str(EVENT_LIMIT))
    client = anthropic.Anthropic(base_url=proxy.url, api_key=ANTHROPIC_KEY, max_retries=0)

    def answer_next(*answers: tuple[int, str, bytes]) -> anthropic.Anthropic:
        gemini_upstream.answers[:] = answers
        gemini_upstream.received.clear()
        return client

    return answer_next


def check_the_next_message_is_answered(client: anthropic.Anthropic, upstream: CannedAnswers) -> None:
    assert client.messages.create(model=MODEL, max_tokens=5, messages=hi()).content[0].text == "fine again"
    assert upstream.received[-1][0] == GENERATE


GEMINI_ERRORS = {
    "rate-limited-429": (google_error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
                         429, "rate_limit_error", "Resource has been exhausted (e.g. check quota)."),
    "unavailable-503": (google_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
                        529, "overloaded_error", "The model is overloaded. Please try again later."),
    "missing-thought-signature": (google_error(400, "INVALID_ARGUMENT", MISSING_SIGNATURE),
                                  400, "invalid_request_error", MISSING_SIGNATURE),
    "html-503-page": (HTML_503, 529, "overloaded_error", HTML_MESSAGE),
    "json-that-is-no-answer": ((200, "application/json", b'{"unexpected": true}'), 502, "api_error", None),
}


@pytest.mark.parametrize("fault", GEMINI_ERRORS, ids=list(GEMINI_ERRORS))
def test_gemini_error_reaches_an_anthropic_client_as_an_anthropic_error(to_gemini, gemini_upstream, fault):
    answer, status, kind, message = GEMINI_ERRORS[fault]
    client = to_gemini(answer)
    with pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(model=MODEL, max_tokens=5, messages=hi())
    error = caught.value
    assert error.status_code == status
    assert error.response.headers["content-type"] == "application/json"
    anthropic.types.ErrorResponse.model_validate(error.body)
    assert error.body["error"]["type"] == kind
    if message is not None:
        assert error.body["error"]["message"] == message
    [(path, headers, _)] = gemini_upstream.received
    assert path == GENERATE and headers["x-goog-api-key"] == ANTHROPIC_KEY
    check_the_next_message_is_answered(client, gemini_upstream)


INVALID_GEMINI = "the upstream answered with an invalid Gemini response: "
INCOMPLETE = INVALID_GEMINI + "the stream ended before a finishReason: the answer is incomplete"
BROKEN_STREAMS = {
    "malformed-chunk": (sse(EARLY) + b"data: {not json at all\r\n\r\n",
                        "api_error", INVALID_GEMINI + "a chunk is not JSON: {not json at all"),
    "ends-before-a-finish-reason": (sse(EARLY), "api_error", INCOMPLETE),
    "event-past-max-event-size": (sse(EARLY) + sse(gemini_chunk([{"text": "x" * (2 * EVENT_LIMIT)}], "STOP")),
                                  "api_error", "the upstream sent an event bigger than the 65536 bytes (64 KiB) allowed"
                                               " (max_event_size)"),
    "error-chunk": (sse(EARLY, {"error": {"code": 503, "message": "backend died", "status": "UNAVAILABLE"}}),
                    "overloaded_error", "backend died"),
}


def read_anthropic_stream(client: anthropic.Anthropic) -> tuple[list[str], list[str], anthropic.APIStatusError]:
    types_seen, texts = [], []
    with pytest.raises(anthropic.APIStatusError) as caught:
        with client.messages.stream(model=MODEL, max_tokens=5, messages=hi()) as stream:
            for event in stream:
                types_seen.append(event.type)
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    texts.append(event.delta.text)
    return types_seen, texts, caught.value


@pytest.mark.parametrize("fault", BROKEN_STREAMS, ids=list(BROKEN_STREAMS))
def test_broken_gemini_stream_ends_the_anthropic_stream_with_an_error_event(to_gemini, gemini_upstream, fault):
    body, kind, message = BROKEN_STREAMS[fault]
    client = to_gemini((200, "text/event-stream", body))
    types_seen, texts, error = read_anthropic_stream(client)
    assert types_seen[0] == "message_start" and "message_stop" not in types_seen
    assert texts == ["early-words"]
    assert error.body == {"type": "error", "error": {"type": kind, "message": message}}
    [(path, headers, _)] = gemini_upstream.received
    assert path == STREAM and headers["x-goog-api-key"] == ANTHROPIC_KEY
    check_the_next_message_is_answered(client, gemini_upstream)


def test_json_array_for_a_stream_request_is_refused(to_gemini, gemini_upstream):
    """What Gemini sends without `alt=sse`: the proxy always asks for SSE, so an array is a fault."""
    client = to_gemini((200, "application/json", b"[" + json_body(gemini_chunk([{"text": "hi"}], "STOP")) + b"]"))
    with pytest.raises(anthropic.APIStatusError) as caught:
        with client.messages.stream(model=MODEL, max_tokens=5, messages=hi()) as stream:
            list(stream)
    assert caught.value.status_code == 502
    assert caught.value.body == {"type": "error", "error": {
        "type": "api_error", "message": "the upstream answered with a body that is not a JSON object (it is an array)"}}
    [(path, _, _)] = gemini_upstream.received
    assert path == STREAM
    check_the_next_message_is_answered(client, gemini_upstream)


def test_gemini_stream_cut_mid_way_ends_with_an_error_event(new_proxy):
    with BreaksOffMidStream(sse(EARLY)) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol="gemini")
        client = anthropic.Anthropic(base_url=proxy.url, api_key=ANTHROPIC_KEY, max_retries=0)
        types_seen, texts, error = read_anthropic_stream(client)
    assert texts == ["early-words"] and "message_stop" not in types_seen
    assert error.body == {"type": "error", "error": {"type": "api_error", "message": INCOMPLETE}}


# ---------------------------------------------------------------- Gemini client → Anthropic upstream

@pytest.fixture(scope="module")
def anthropic_upstream():
    with CannedAnswers([], GOOD_MESSAGE) as upstream:
        yield upstream


@pytest.fixture
def from_gemini(start_proxy, anthropic_upstream):
    """A google-genai client of a proxy whose upstream is Anthropic; the next answer is the test's."""
    proxy = start_proxy(anthropic_upstream.url, upstream_protocol="anthropic", key_retries="0")
    client = genai.Client(api_key=GEMINI_KEY, http_options=types.HttpOptions(base_url=proxy.url, api_version="v1beta"))

    def answer_next(*answers: tuple[int, str, bytes]) -> genai.Client:
        anthropic_upstream.answers[:] = answers
        anthropic_upstream.received.clear()
        return client

    return answer_next


def check_the_next_generation_is_answered(client: genai.Client, upstream: CannedAnswers) -> None:
    assert client.models.generate_content(model=MODEL, contents="hi").text == "fine again"
    assert upstream.received[-1][0] == "/v1/messages"


ANTHROPIC_ERRORS = {
    "rate-limited-429": (anthropic_error(429, "rate_limit_error", "slow down"),
                         sdk_errors.ClientError, 429, "RESOURCE_EXHAUSTED", "slow down"),
    "overloaded-529": (anthropic_error(529, "overloaded_error", "Overloaded"),
                       sdk_errors.ServerError, 503, "UNAVAILABLE", "Overloaded"),
    "invalid-400": (anthropic_error(400, "invalid_request_error", "max_tokens: must be at most 64000"),
                    sdk_errors.ClientError, 400, "INVALID_ARGUMENT", "max_tokens: must be at most 64000"),
    "bad-key-401": (anthropic_error(401, "authentication_error", "invalid x-api-key"),
                    sdk_errors.ClientError, 401, "UNAUTHENTICATED", "invalid x-api-key"),
    "no-credit-402": (anthropic_error(402, "billing_error", "Your credit balance is too low"),
                      sdk_errors.ClientError, 402, "FAILED_PRECONDITION", "Your credit balance is too low"),
    "html-503-page": (HTML_503, sdk_errors.ServerError, 503, "UNAVAILABLE", HTML_MESSAGE),
}


@pytest.mark.parametrize("fault", ANTHROPIC_ERRORS, ids=list(ANTHROPIC_ERRORS))
def test_anthropic_error_reaches_a_gemini_client_as_a_google_error(from_gemini, anthropic_upstream, fault):
    answer, error_class, code, status, message = ANTHROPIC_ERRORS[fault]
    client = from_gemini(answer)
    with pytest.raises(sdk_errors.APIError) as caught:
        client.models.generate_content(model=MODEL, contents="hi")
    error = caught.value
    assert type(error) is error_class
    assert (error.code, error.status, error.message) == (code, status, message)
    assert error.details == {"error": {"code": code, "message": message, "status": status}}
    [(path, headers, _)] = anthropic_upstream.received
    assert path == "/v1/messages" and headers["x-api-key"] == GEMINI_KEY
    check_the_next_generation_is_answered(client, anthropic_upstream)


START = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_x","type":"message","role":"assistant",'
    b'"model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":0}}}\n\n'
)
INVALID_MESSAGE = "the upstream answered with an invalid Anthropic message: "
ANTHROPIC_STREAM_FAULTS = {
    "malformed-sse-line": (ANTHROPIC_FIRST + b"data: {not json at all\n\n",
                           ["early-words"], 502, INVALID_MESSAGE + "a data event is not valid JSON"),
    "broken-json-event": (START + b'event: content_block_start\ndata: {"type":"content_block_start","index":0,\n\n',
                          [], 502, INVALID_MESSAGE + "a content_block_start event is not valid JSON"),
    "overloaded-event": (ANTHROPIC_FIRST + b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",'
                                           b'"message":"Overloaded"}}\n\n', ["early-words"], 503, "Overloaded"),
}


def read_gemini_stream(client: genai.Client) -> tuple[list[str], sdk_errors.APIError]:
    texts = []
    with pytest.raises(sdk_errors.APIError) as caught:
        for chunk in client.models.generate_content_stream(model=MODEL, contents="hi"):
            texts.append(chunk.text)
    return texts, caught.value


@pytest.mark.parametrize("fault", ANTHROPIC_STREAM_FAULTS, ids=list(ANTHROPIC_STREAM_FAULTS))
def test_broken_anthropic_stream_ends_the_gemini_stream_with_an_error_chunk(from_gemini, anthropic_upstream, fault):
    body, texts_before, code, message = ANTHROPIC_STREAM_FAULTS[fault]
    client = from_gemini((200, "text/event-stream", body))
    texts, error = read_gemini_stream(client)
    assert texts == texts_before
    assert type(error) is sdk_errors.ServerError
    assert (error.code, error.status, error.message) == (code, "UNAVAILABLE", message)
    [(path, _, body)] = anthropic_upstream.received
    assert path == "/v1/messages" and json.loads(body)["stream"] is True
    check_the_next_generation_is_answered(client, anthropic_upstream)


def test_anthropic_stream_cut_mid_way_ends_the_gemini_stream_with_an_error_chunk(new_proxy):
    with BreaksOffMidStream(ANTHROPIC_FIRST) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol="anthropic")
        client = genai.Client(api_key=GEMINI_KEY, http_options=types.HttpOptions(base_url=proxy.url, api_version="v1beta"))
        texts, error = read_gemini_stream(client)
    assert texts == ["early-words"] and type(error) is sdk_errors.ServerError
    assert (error.code, error.status, error.message) == (502, "UNAVAILABLE", INVALID_MESSAGE + "the stream ended before message_stop")


# ---------------------------------------------------------------- OpenAI clients → Gemini upstream

@pytest.fixture
def openai_to_gemini(start_proxy, gemini_upstream):
    proxy = start_proxy(gemini_upstream.url, upstream_protocol="gemini", key_retries="0",
                        max_event_size=str(EVENT_LIMIT))
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-gemini-fault-0003", max_retries=0)

    def answer_next(*answers: tuple[int, str, bytes]) -> openai.OpenAI:
        gemini_upstream.answers[:] = answers
        gemini_upstream.received.clear()
        return client

    return answer_next


def test_gemini_quota_error_reaches_chat_and_responses_clients_as_openai_429s(openai_to_gemini, gemini_upstream):
    quota = google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for metric: generate_content_requests")
    client = openai_to_gemini(quota, quota)
    for call in (lambda: client.chat.completions.create(model=MODEL, messages=hi()),
                 lambda: client.responses.create(model=MODEL, input="hi")):
        with pytest.raises(openai.RateLimitError) as caught:
            call()
        openai.types.ErrorObject.model_validate(caught.value.body)
        assert caught.value.body["message"] == "Quota exceeded for metric: generate_content_requests"
    assert [path for path, _, _ in gemini_upstream.received] == [GENERATE, GENERATE]
    assert client.chat.completions.create(model=MODEL, messages=hi()).choices[0].message.content == "fine again"


def test_malformed_gemini_chunk_ends_chat_and_responses_streams_with_an_error(openai_to_gemini, gemini_upstream):
    broken = (200, "text/event-stream", sse(EARLY) + b"data: {not json at all\r\n\r\n")
    client = openai_to_gemini(broken, broken)
    texts = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in client.chat.completions.create(model=MODEL, messages=hi(), stream=True):
            texts.append(chunk.choices[0].delta.content or "")
    assert "".join(texts) == "early-words"
    assert caught.value.message == INVALID_GEMINI + "a chunk is not JSON: {not json at all"
    events = list(client.responses.create(model=MODEL, input="hi", stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.failed"
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "early-words"
    assert events[-1].response.error.message == INVALID_GEMINI + "a chunk is not JSON: {not json at all"
    assert [path for path, _, _ in gemini_upstream.received] == [STREAM, STREAM]
