"""An upstream that streams megabytes without a newline costs the proxy no more memory than
`max_event_size` (plus a few MB), its client gets an error in its own protocol, and the proxy
serves the next request as usual.

The upstream is hand-written (`fake_upstreams.LineWithoutEnd`): no real peer can be told to
send 64 MB without a newline.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest

from anyrouter_core.sse import MAX_EVENT_SIZE, SSEDecoder, SSEEvent
from fake_upstreams import LineWithoutEnd
from harness import LOOPBACK
from test_streaming_is_unbuffered import ANTHROPIC_FIRST, ANTHROPIC_REST, OPENAI_FIRST, OPENAI_REST

LINE = 64 * 1024 * 1024
# A few MB: what mitmproxy and the interpreter allocate besides the held event (pieces in
# flight, allocator slack). Far below the 64 MB a proxy that held the whole line would add.
SLACK = 8 * 1024 * 1024
MESSAGE = "the upstream sent an event bigger than the 16777216 bytes (16 MiB) allowed (max_event_size)"

OPENAI_REQUEST = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
ANTHROPIC_REQUEST = {"model": "m", "max_tokens": 5, "stream": True, "messages": [{"role": "user", "content": "hi"}]}


def memory_kib(pid: int, field: str) -> int:
    """`VmRSS` (resident now) or `VmHWM` (the most ever resident) of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def post(port: int, path: str, body: dict, headers: dict | None = None) -> tuple[int, bytes]:
    """Posts `body` and reads the answer to its very end: every byte the upstream sent has then
    gone through the proxy."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
    try:
        conn.request("POST", path, body=json.dumps(body), headers={"content-type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def post_stream(port: int, path: str, body: dict, headers: dict | None = None) -> tuple[int, list[SSEEvent]]:
    status, raw = post(port, path, body, headers)
    decoder = SSEDecoder(0)
    return status, decoder.feed(raw) + decoder.end()


def openai_error_ending(events: list[SSEEvent]) -> dict:
    assert SSEEvent(None, "[DONE]") not in events
    return json.loads(events[-1].data)


def anthropic_error_ending(events: list[SSEEvent]) -> dict:
    assert events[-1].event == "error"
    assert "message_stop" not in [event.event for event in events]
    return json.loads(events[-1].data)


@pytest.mark.parametrize(
    ("upstream_protocol", "path", "request_body", "first", "then", "error_ending", "error_shape", "last_event"),
    [
        (
            "anthropic", "/v1/chat/completions", OPENAI_REQUEST,
            ANTHROPIC_FIRST + b"event: content_block_delta\ndata: ", ANTHROPIC_FIRST + ANTHROPIC_REST,
            openai_error_ending,
            {"error": {"message": MESSAGE, "type": "server_error", "param": None, "code": None}},
            SSEEvent(None, "[DONE]"),
        ),
        (
            "openai", "/v1/messages", ANTHROPIC_REQUEST,
            OPENAI_FIRST + b"data: ", OPENAI_FIRST + OPENAI_REST,
            anthropic_error_ending,
            {"type": "error", "error": {"type": "api_error", "message": MESSAGE}},
            SSEEvent("message_stop", '{"type":"message_stop"}'),
        ),
    ],
    ids=["openai-client", "anthropic-client"],
)
def test_64_mb_without_a_newline_is_dropped_past_the_bound(
    new_proxy, upstream_protocol, path, request_body, first, then, error_ending, error_shape, last_event
):
    with LineWithoutEnd(first, LINE, then) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol=upstream_protocol)
        pid = proxy.process.popen.pid
        status, events = post_stream(proxy.port, path, request_body)  # warm-up: a normal stream
        assert (status, events[-1]) == (200, last_event)
        resident_before = memory_kib(pid, "VmRSS")

        status, events = post_stream(proxy.port, path, request_body, {LineWithoutEnd.HEADER: "1"})

        assert upstream.whole_line_sent.is_set()
        growth = (memory_kib(pid, "VmHWM") - resident_before) * 1024
        print(f"proxy memory grew by at most {growth / 2**20:.1f} MiB while {LINE // 2**20} MiB passed")
        assert growth < MAX_EVENT_SIZE + SLACK
        assert status == 200
        assert len(events) >= 2  # what came before the line reached the client, then the error
        assert error_ending(events) == error_shape

        status, events = post_stream(proxy.port, path, request_body)
        assert (status, events[-1]) == (200, last_event)


def test_a_stream_passed_through_is_never_held(new_proxy):
    with LineWithoutEnd(ANTHROPIC_FIRST, LINE, ANTHROPIC_FIRST + ANTHROPIC_REST) as upstream:
        proxy = new_proxy(upstream.url, upstream_protocol="anthropic")
        pid = proxy.process.popen.pid
        assert post(proxy.port, "/v1/messages", ANTHROPIC_REQUEST) == (200, ANTHROPIC_FIRST + ANTHROPIC_REST)
        resident_before = memory_kib(pid, "VmRSS")

        status, raw = post(proxy.port, "/v1/messages", ANTHROPIC_REQUEST, {LineWithoutEnd.HEADER: "1"})

        growth = (memory_kib(pid, "VmHWM") - resident_before) * 1024
        print(f"proxy memory grew by at most {growth / 2**20:.1f} MiB while {LINE // 2**20} MiB passed through")
        assert growth < SLACK
        # Same protocol on both sides: the bytes go on as they came, none of them decoded.
        assert (status, len(raw)) == (200, len(ANTHROPIC_FIRST) + LINE)
        assert raw.startswith(ANTHROPIC_FIRST)
