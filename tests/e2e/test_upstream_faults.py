"""Faulty upstream answers through a real mitmdump: each becomes an error in the client's
protocol or a correctly ended stream, and the next request still succeeds."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from fake_upstreams import CannedAnswers

GOOD_MESSAGE = json.dumps({
    "id": "msg_good", "type": "message", "role": "assistant", "model": "m",
    "content": [{"type": "text", "text": "fine again"}], "stop_reason": "end_turn", "stop_sequence": None,
    "usage": {"input_tokens": 3, "output_tokens": 2},
}).encode()
HTML_503 = b"<html><head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>"
START = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_x","type":"message","role":"assistant",'
    b'"model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":0}}}\n\n'
)

FAULTS = {
    "html-503-page": (503, "text/html", HTML_503),
    "empty-500": (500, "text/plain", b""),
    "malformed-sse-line": (200, "text/event-stream", START + b"data: {not json at all\n\n"),
    "broken-json-event": (200, "text/event-stream", START + b'event: content_block_start\ndata: {"type":"content_block_start","index":0,\n\n'),
    "json-that-is-not-a-message": (200, "application/json", b'{"unexpected": true}'),
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_openai_client_gets_an_openai_error_and_the_next_request_works(new_proxy, fault):
    status, content_type, body = FAULTS[fault]
    with CannedAnswers([(status, content_type, body)], (200, "application/json", GOOD_MESSAGE)) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol="anthropic", key_retries="0")
        client = openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-fault-0001", max_retries=0)
        stream = content_type == "text/event-stream"
        with pytest.raises(openai.APIError) as caught:
            if stream:
                list(client.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "hi"}]))
            else:
                client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        error = caught.value
        if isinstance(error, openai.APIStatusError):
            expected = {"html-503-page": 503, "empty-500": 500}.get(fault, 502)
            assert error.status_code == expected
            assert error.response.headers["content-type"] == "application/json"
            openai.types.ErrorObject.model_validate(error.body)
            if fault == "html-503-page":
                assert error.body["message"] == "upstream answered HTTP 503 with an HTML page: 503 Service Temporarily Unavailable"
        else:
            assert stream, "a non-streamed fault must be an HTTP error status"
        assert client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}]).choices[0].message.content == "fine again"


@pytest.mark.parametrize("fault", ["html-503-page", "empty-500"])
def test_anthropic_client_gets_an_anthropic_error_for_a_non_json_upstream_error(new_proxy, fault):
    status, content_type, body = FAULTS[fault]
    with CannedAnswers([(status, content_type, body)], (200, "application/json", GOOD_MESSAGE)) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol="anthropic", key_retries="0")
        client = anthropic.Anthropic(base_url=proxy.url, api_key="sk-ant-fault-0002", max_retries=0)
        with pytest.raises(anthropic.APIStatusError) as caught:
            client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
        expected_status, expected_type = {"html-503-page": (529, "overloaded_error"), "empty-500": (500, "api_error")}[fault]
        assert caught.value.status_code == expected_status
        assert caught.value.body["type"] == "error"
        assert caught.value.body["error"]["type"] == expected_type
        assert client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}]).content[0].text == "fine again"


# ---------------------------------------------------------------- Responses clients

RESPONSES_FAULTS = {
    "html-503-page": (503, "text/html", HTML_503, 503, "upstream answered HTTP 503 with an HTML page: 503 Service Temporarily Unavailable"),
    "empty-500": (500, "text/plain", b"", 500, "upstream answered HTTP 500 with an empty body"),
    "overloaded-529": (529, "application/json",
                       b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', 503, "Overloaded"),
    "rate-limited-429": (429, "application/json",
                         b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}', 429, "slow down"),
}


@pytest.mark.parametrize("fault", RESPONSES_FAULTS, ids=list(RESPONSES_FAULTS))
def test_responses_client_gets_a_responses_error_and_the_next_request_works(new_proxy, fault):
    status, content_type, body, client_status, message = RESPONSES_FAULTS[fault]
    with CannedAnswers([(status, content_type, body)], (200, "application/json", GOOD_MESSAGE)) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol="anthropic", key_retries="0")
        client = openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-fault-0003", max_retries=0)
        with pytest.raises(openai.APIStatusError) as caught:
            client.responses.create(model="m", input="hi")
        error = caught.value
        assert error.status_code == client_status
        assert error.response.headers["content-type"] == "application/json"
        openai.types.ErrorObject.model_validate(error.body)
        assert error.body["message"] == message
        assert client.responses.create(model="m", input="hi").output_text == "fine again"
