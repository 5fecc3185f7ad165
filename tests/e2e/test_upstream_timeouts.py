"""A silent upstream never makes a client wait beyond `upstream_timeout`."""

from __future__ import annotations

import json
import socket

import anthropic
import openai
import pytest

from fake_upstreams import GATE_TIMEOUT, ErrorThenSilence, GatedEventStream, NeverAccepts, NeverAnswers
from harness import LOOPBACK
from test_streaming_is_unbuffered import ANTHROPIC_FIRST, ANTHROPIC_REST


def test_no_answer_within_the_timeout_is_a_504(new_proxy):
    with NeverAnswers() as upstream:
        proxy = new_proxy(upstream.url, upstream_timeout="1")
        client = anthropic.Anthropic(base_url=proxy.url, api_key="sk-ant-timeout-0001", max_retries=0, timeout=30)
        with pytest.raises(anthropic.APIStatusError) as caught:
            client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
        assert caught.value.status_code == 504
        assert caught.value.body["error"] == {
            "type": "timeout_error",
            "message": "anyrouter: no answer from the upstream for 1 s",
        }


def test_stream_that_stalls_ends_with_an_error_chunk(new_proxy):
    with GatedEventStream(ANTHROPIC_FIRST, ANTHROPIC_REST) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol="anthropic", upstream_timeout="1")
        client = openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-timeout-0002", max_retries=0, timeout=30)
        texts = []
        with pytest.raises(openai.APIError):
            for chunk in client.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "hi"}]):
                texts.append(chunk.choices[0].delta.content or "")
        assert "".join(texts) == "early-words"
        assert upstream.released_early is False or upstream.gate.is_set() is False


def test_connect_that_hangs_is_a_504(new_proxy):
    probe = socket.socket()
    with NeverAccepts() as upstream:
        probe.settimeout(0.5)
        if probe.connect_ex((LOOPBACK, upstream.port)) == 0:
            probe.close()
            pytest.skip("this kernel accepts connections beyond the listen queue; no hanging connect to test")
        probe.close()
        proxy = new_proxy(upstream.url, upstream_timeout="1")
        client = anthropic.Anthropic(base_url=proxy.url, api_key="sk-ant-timeout-0003", max_retries=0, timeout=30)
        with pytest.raises(anthropic.APIStatusError) as caught:
            client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
        assert caught.value.status_code == 504
        assert caught.value.body["error"]["message"] == "anyrouter: could not connect to the upstream within 1 s"


def test_a_key_retry_waits_upstream_timeout_not_longer(new_proxy):
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "first key: overloaded"}}
    with ErrorThenSilence(529, json.dumps(overloaded).encode()) as upstream:
        proxy = new_proxy(
            upstream.url, upstream_timeout="1", upstream_keys="sk-ant-retry-0001,sk-ant-retry-0002"
        )
        # The retry's upstream stays silent for GATE_TIMEOUT: a client that waits less than
        # that gets an answer only if the retry gave up after upstream_timeout.
        client = anthropic.Anthropic(
            base_url=proxy.url, api_key="unused", max_retries=0, timeout=GATE_TIMEOUT / 2
        )
        with pytest.raises(anthropic.APIStatusError) as caught:
            client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
        assert upstream.requests == 2  # the first attempt, then the retry with the other key
        # The client hears how the last attempt ended: the retry's own silence.
        assert caught.value.status_code == 504
        assert caught.value.body["error"]["message"] == "anyrouter: no answer from the upstream for 1 s"
