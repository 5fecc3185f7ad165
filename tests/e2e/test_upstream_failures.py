"""Upstream failures reach the client in its own protocol: never HTML, never a silent cut."""

from __future__ import annotations

import http.client
import json

import anthropic
import openai
import pytest

from fake_upstreams import BreaksOffMidStream
from harness import LOOPBACK, free_port
from test_streaming_is_unbuffered import ANTHROPIC_FIRST, OPENAI_FIRST


@pytest.fixture(scope="module")
def nothing_listens() -> str:
    return f"http://{LOOPBACK}:{free_port()}"


def test_unreachable_upstream_is_an_anthropic_error(start_proxy, nothing_listens):
    proxy = start_proxy(nothing_listens, upstream_protocol="anthropic")
    client = anthropic.Anthropic(base_url=proxy.url, api_key="sk-ant-unreachable-0001", max_retries=0)
    with pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 502
    assert caught.value.response.headers["content-type"] == "application/json"
    assert caught.value.body["type"] == "error"
    assert caught.value.body["error"]["type"] == "api_error"
    assert caught.value.body["error"]["message"].startswith("anyrouter: the upstream failed: ")
    # the proxy still serves the next request
    assert client.models.list().data


def test_unreachable_upstream_is_an_openai_error_for_a_stream(start_proxy, nothing_listens):
    proxy = start_proxy(nothing_listens, upstream_protocol="anthropic")
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-unreachable-0002", max_retries=0)
    with pytest.raises(openai.APIStatusError) as caught:
        list(client.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "hi"}]))
    assert caught.value.status_code == 502
    assert caught.value.body["type"] == "server_error"
    assert caught.value.body["message"].startswith("anyrouter: the upstream failed: ")


def test_anthropic_stream_broken_off_ends_with_an_error_event(new_proxy):
    with BreaksOffMidStream(ANTHROPIC_FIRST) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol="anthropic")
        client = anthropic.Anthropic(base_url=proxy.url, api_key="sk-ant-cut-0003", max_retries=0)
        seen = []
        with pytest.raises(anthropic.APIStatusError) as caught:
            with client.messages.stream(model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}]) as s:
                for event in s:
                    seen.append(event.type)
        assert "content_block_delta" in seen
        assert "message_stop" not in seen
        assert "the upstream failed" in str(caught.value)


def test_translated_stream_broken_off_ends_with_an_openai_error_chunk(new_proxy):
    with BreaksOffMidStream(ANTHROPIC_FIRST) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol="anthropic")
        client = openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-cut-0004", max_retries=0)
        texts = []
        with pytest.raises(openai.APIError) as caught:
            for chunk in client.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "hi"}]):
                texts.append(chunk.choices[0].delta.content or "")
        assert "".join(texts) == "early-words"
        assert "ended" in caught.value.message or "upstream" in caught.value.message


def test_openai_chunks_broken_off_end_with_an_anthropic_error_event(new_proxy):
    with BreaksOffMidStream(OPENAI_FIRST) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol="openai")
        client = anthropic.Anthropic(base_url=proxy.url, api_key="sk-ant-cut-0005", max_retries=0)
        with pytest.raises(anthropic.APIStatusError):
            with client.messages.stream(model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}]) as s:
                list(s)


def test_a_responses_stream_broken_off_ends_with_response_failed(new_proxy):
    """The client never takes a cut stream for a whole one: it ends with `response.failed`."""
    with BreaksOffMidStream(ANTHROPIC_FIRST) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol="anthropic")
        client = openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-cut-0006", max_retries=0)
        events = list(client.responses.create(model="m", input="hi", stream=True))
    types = [event.type for event in events]
    assert types[0] == "response.created" and types[-1] == "response.failed"
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "early-words"
    failed = events[-1].response
    assert failed.status == "failed" and failed.error.code == "server_error"


def test_a_gemini_array_stream_broken_off_ends_as_an_array_with_the_error_last(new_proxy):
    """Passed through to a Gemini upstream (asked for SSE, framed as the client's array): the
    cut still leaves the client a whole JSON array, the error its last element."""
    first = b'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"early-words"}]}}]}\r\n\r\n'
    with BreaksOffMidStream(first) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol="gemini")
        conn = http.client.HTTPConnection(LOOPBACK, proxy.port, timeout=15)
        conn.request("POST", "/v1beta/models/m:streamGenerateContent", body=json.dumps(
            {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}),
            headers={"content-type": "application/json", "x-goog-api-key": "AIza-cut-0007"})
        response = conn.getresponse()
        assert (response.status, response.getheader("content-type")) == (200, "application/json")
        elements = json.loads(response.read())
        conn.close()
    assert elements[0]["candidates"][0]["content"]["parts"] == [{"text": "early-words"}]
    assert elements[1]["error"]["status"] == "UNAVAILABLE"
    assert elements[1]["error"]["message"].startswith("anyrouter: the upstream failed: ")
    assert len(elements) == 2
