"""Each event leaves the proxy as soon as it is complete, before the upstream sends more."""

import http.client
import json

import pytest

from fake_upstreams import GatedEventStream
from harness import LOOPBACK, Mitmdump, read_until

FIRST = b'event: message_start\ndata: {"type":"message_start"}\n\n'
REST = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'


def test_pass_through_stream_delivers_the_first_event_while_the_upstream_holds_the_rest(log_dir):
    with GatedEventStream(FIRST, REST) as upstream:
        proxy = Mitmdump(upstream.url, log_dir)
        try:
            conn = http.client.HTTPConnection(LOOPBACK, proxy.port, timeout=15)
            conn.request("POST", "/v1/messages", body=b'{"model":"m","max_tokens":5,"stream":true,"messages":[]}',
                         headers={"content-type": "application/json"})
            response = conn.getresponse()
            assert response.status == 200
            first = response.read1(len(FIRST))
            while len(first) < len(FIRST):
                first += response.read1(len(FIRST) - len(first))
            assert first == FIRST
            upstream.gate.set()
            assert response.read() == REST
            assert upstream.released_early is False
            conn.close()
        finally:
            proxy.stop()


ANTHROPIC_FIRST = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_gate","type":"message",'
    b'"role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,'
    b'"usage":{"input_tokens":3,"output_tokens":0}}}\n\n'
    b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"early-words"}}\n\n'
)
ANTHROPIC_REST = (
    b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
OPENAI_FIRST = (
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"early-words"},"finish_reason":null}]}\n\n'
)
OPENAI_REST = (
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n'
    b"data: [DONE]\n\n"
)


@pytest.mark.parametrize(
    ("upstream_protocol", "path", "first", "rest", "last_marker"),
    [
        ("anthropic", "/v1/chat/completions", ANTHROPIC_FIRST, ANTHROPIC_REST, b"data: [DONE]"),
        ("openai", "/v1/messages", OPENAI_FIRST, OPENAI_REST, b"message_stop"),
    ],
    ids=["anthropic-events-to-openai-client", "openai-chunks-to-anthropic-client"],
)
def test_translated_stream_delivers_early_text_while_the_upstream_holds_the_rest(
    log_dir, upstream_protocol, path, first, rest, last_marker
):
    with GatedEventStream(first, rest) as upstream:
        proxy = Mitmdump(upstream.url, log_dir, {"upstream_protocol": upstream_protocol})
        try:
            conn = http.client.HTTPConnection(LOOPBACK, proxy.port, timeout=15)
            body = {"model": "m", "max_tokens": 5, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
            conn.request("POST", path, body=json.dumps(body), headers={"content-type": "application/json"})
            response = conn.getresponse()
            assert response.status == 200
            assert b"early-words" in read_until(response, b"early-words")
            assert upstream.released_early is False
            upstream.gate.set()
            assert last_marker in read_until(response, last_marker)
            assert upstream.released_early is False
            conn.close()
        finally:
            proxy.stop()


GEMINI_FIRST = b'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"early-words"}]}}]}\r\n\r\n'
GEMINI_REST = b'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"."}]},"finishReason":"STOP"}]}\r\n\r\n'


def test_a_gemini_array_stream_delivers_its_first_element_while_the_upstream_holds_the_rest(log_dir):
    """A Gemini client's stream without alt=sse, before a Gemini upstream: framed from the
    upstream's events as they come, not read whole as a JSON body would be."""
    with GatedEventStream(GEMINI_FIRST, GEMINI_REST) as upstream:
        proxy = Mitmdump(upstream.url, log_dir, {"upstream_protocol": "gemini"})
        try:
            conn = http.client.HTTPConnection(LOOPBACK, proxy.port, timeout=15)
            body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
            conn.request("POST", "/v1beta/models/m:streamGenerateContent", body=json.dumps(body),
                         headers={"content-type": "application/json", "x-goog-api-key": "AIza-gated-0001"})
            response = conn.getresponse()
            assert response.status == 200
            assert response.getheader("content-type") == "application/json"
            early = read_until(response, b"early-words")
            assert upstream.released_early is False
            upstream.gate.set()
            content = early + response.read()
            assert upstream.released_early is False
            assert [element["candidates"][0]["content"]["parts"][0]["text"] for element in json.loads(content)] == [
                "early-words", "."]
            conn.close()
        finally:
            proxy.stop()
