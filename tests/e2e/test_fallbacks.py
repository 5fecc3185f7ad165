"""Fallbacks of a routes file through a real mitmdump: the route's next upstream takes over
while nothing has reached the client, in its own protocol, and its answer streams live.

aimock answers both protocols on one port, so each upstream is a recording relay in front of
it (`anthropic_side`, `openai_side`): what each relay received shows which upstream was tried,
at which path, with which body. A refused connection is a closed loopback port. The upstreams
written by hand here (from `fake_upstreams`) are there only for what no peer can do on
demand: hold the rest of a stream until the client has seen its start, cut a stream off.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import anthropic
import openai
import pytest
from mitmproxy import io

from fake_upstreams import BreaksOffMidStream, GatedEventStream
from harness import ADDON, LOOPBACK, VENV_BIN, Mitmdump, Process, free_port, http_get, status_is_200
from recording_relay import RecordingRelay
from test_streaming_is_unbuffered import ANTHROPIC_FIRST, ANTHROPIC_REST, OPENAI_FIRST, OPENAI_REST

CLIENT_KEY = "sk-ant-fallback-client-0001"
OPEN_RELAY_REFUSAL = (
    "refusing to serve server-side keys on 0.0.0.0 without access_tokens: anyone who can reach "
    "the port would spend those keys. Set access_tokens, listen on 127.0.0.1 "
    "(--mode reverse:URL@127.0.0.1:PORT), or set open_relay=true if that is intended"
)


# -- upstreams and the proxy in front of them ---------------------------------------------------


@pytest.fixture(scope="module")
def anthropic_side(aimock) -> Iterator[RecordingRelay]:
    """aimock as an Anthropic upstream, behind a relay that records what it received."""
    recorder = RecordingRelay(aimock.port)
    yield recorder
    recorder.stop()


@pytest.fixture(scope="module")
def openai_side(aimock) -> Iterator[RecordingRelay]:
    """aimock as an OpenAI Chat upstream, behind a relay of its own."""
    recorder = RecordingRelay(aimock.port)
    yield recorder
    recorder.stop()


class RecordingGate(GatedEventStream):
    """The gated stream of `fake_upstreams` that also keeps the path and headers it was sent:
    no peer can hold its last events until the client has seen its first."""

    def __init__(self, first: bytes, rest: bytes) -> None:
        super().__init__(first, rest)
        self.received: list[tuple[str, dict[str, str]]] = []

    def answer(self, request) -> None:
        self.received.append((request.path, {k.lower(): v for k, v in request.headers.items()}))
        super().answer(request)


@pytest.fixture(scope="module")
def gated_openai() -> Iterator[RecordingGate]:
    with RecordingGate(OPENAI_FIRST, OPENAI_REST) as upstream:
        yield upstream


@pytest.fixture(scope="module")
def cut_anthropic() -> Iterator[BreaksOffMidStream]:
    # Hand-written: no peer sends the start of a stream and then drops the connection.
    with BreaksOffMidStream(ANTHROPIC_FIRST) as upstream:
        yield upstream


@pytest.fixture(scope="module")
def closed_port() -> str:
    """A loopback address where nothing listens: every connection to it is refused."""
    return f"http://{LOOPBACK}:{free_port()}"


@pytest.fixture(scope="module")
def routed(
    tmp_path_factory, log_dir, anthropic_side, openai_side, gated_openai, cut_anthropic, closed_port
) -> Iterator[Mitmdump]:
    """One proxy, one route per scenario (chosen by the model the client asks for).
    `upstream_cooldown=0`: a failed upstream never rests, so every request tries the route's
    upstreams in the order written."""
    routes = tmp_path_factory.mktemp("routes") / "routes.yaml"
    routes.write_text(f"""
upstreams:
  down: {{url: "{closed_port}", protocol: anthropic}}
  down_openai: {{url: "{closed_port}", protocol: openai}}
  busy: {{url: "{anthropic_side.url}", protocol: anthropic}}
  up: {{url: "{openai_side.url}", protocol: openai}}
  gated: {{url: "{gated_openai.url}", protocol: openai}}
  cut: {{url: "{cut_anthropic.url}", protocol: anthropic}}
routes:
  - name: refused
    match: {{model: fallbacks-refused}}
    to: [down, up]
  - name: overloaded
    match: {{model: fallbacks-overloaded}}
    to: [busy, up]
  - name: overloaded-then-gated
    match: {{model: fallbacks-gated}}
    to: [busy, gated]
  - name: cut
    match: {{model: fallbacks-cut}}
    to: [cut, up]
  - name: busy-last
    match: {{model: fallbacks-busy-last}}
    to: [down, up]
  - name: refused-last
    match: {{model: fallbacks-refused-last}}
    to: [busy, down_openai]
""")
    proxy = Mitmdump(anthropic_side.url, log_dir, {"routes": str(routes), "upstream_cooldown": "0"})
    yield proxy
    proxy.stop()


def anthropic_client(proxy: Mitmdump) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key=CLIENT_KEY, max_retries=0)


def messages_params(model: str, text: str) -> dict:
    return dict(model=model, max_tokens=20, messages=[{"role": "user", "content": text}])


def log_after(proxy: Mitmdump, start: int, pattern: str) -> re.Match:
    """The first log line after offset `start` matching `pattern`; polled, since mitmdump may
    write a streamed flow's line just after the client saw the stream's end."""
    deadline = time.monotonic() + 5
    while True:
        found = re.search(pattern, proxy.log_text()[start:], re.MULTILINE)
        if found or time.monotonic() > deadline:
            assert found, f"no log line matching {pattern!r} in:\n{proxy.log_text()[start:]}"
            return found
        time.sleep(0.02)


def refused_message(closed_url: str) -> str:
    port = closed_url.rsplit(":", 1)[1]
    return f"[Errno 111] Connect call failed ('{LOOPBACK}', {port})"


def translated_chat_body(model: str, text: str, stream: bool) -> dict:
    body = {"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": 20}
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return body


def ask(client: anthropic.Anthropic, params: dict, stream: bool) -> tuple[anthropic.types.Message, list[str]]:
    """The answer, and the event types of the stream (none when not streamed)."""
    if not stream:
        return client.messages.create(**params), []
    with client.messages.stream(**params) as events:
        types = [event.type for event in events]
        return events.get_final_message(), types


STREAM_EVENTS = [
    "message_start", "content_block_start", "content_block_delta", "text", "content_block_delta", "text",
    "content_block_stop", "message_delta", "message_stop",
]


# -- 1. a refused connection, then an upstream of another protocol ------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_refused_connection_falls_back_to_an_openai_upstream(routed, openai_side, closed_port, stream):
    text = f"fallbacks hello after a refused connection, {'streamed' if stream else 'plain'}"
    start = len(routed.log_text())
    message, events = ask(anthropic_client(routed), messages_params("fallbacks-refused", text), stream)

    assert isinstance(message, anthropic.types.Message)
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "Hello from the fallback upstream."
    assert message.stop_reason == "end_turn"
    assert message.model == "fallbacks-refused"
    assert events == (STREAM_EVENTS if stream else [])

    sent = openai_side.only(text)
    assert sent.path == "/v1/chat/completions"
    assert sent.body == translated_chat_body("fallbacks-refused", text, stream)
    assert sent.headers["authorization"] == f"Bearer {CLIENT_KEY}"
    assert "x-api-key" not in sent.headers

    log_after(routed, start, re.escape(
        f"POST /v1/messages: down answered {refused_message(closed_port)}; trying the next upstream"
    ))
    log_after(routed, start, r"^.*anthropic→openai POST /v1/chat/completions route=refused upstream=up "
                             r"model=fallbacks-refused key=sk-…0001 retries=1 status=200 tokens=\d+/0/0/\d+ \d+ms$")


# -- 2. a 529, then an upstream of another protocol ---------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_overloaded_upstream_falls_back_to_an_openai_upstream(routed, anthropic_side, openai_side, stream):
    # aimock answers this text's first request with a 529 and the next one with an answer
    text = f"fallbacks busy once, {'streamed' if stream else 'plain'}"
    start = len(routed.log_text())
    message, events = ask(anthropic_client(routed), messages_params("fallbacks-overloaded", text), stream)

    assert message.content[0].text == "Answered after the overloaded upstream."
    assert message.stop_reason == "end_turn"
    assert events == (STREAM_EVENTS if stream else [])

    first = anthropic_side.only(text)  # the Anthropic upstream got the client's request as it was
    assert first.path == "/v1/messages"
    assert first.body == {
        "max_tokens": 20, "messages": [{"role": "user", "content": text}], "model": "fallbacks-overloaded",
        **({"stream": True} if stream else {}),
    }
    assert first.headers["x-api-key"] == CLIENT_KEY
    second = openai_side.only(text)  # the OpenAI upstream got it translated
    assert second.path == "/v1/chat/completions"
    assert second.body == translated_chat_body("fallbacks-overloaded", text, stream)
    assert second.headers["authorization"] == f"Bearer {CLIENT_KEY}"

    log_after(routed, start, re.escape("POST /v1/messages: busy answered 529; trying the next upstream"))
    log_after(routed, start, r"route=overloaded upstream=up model=fallbacks-overloaded key=sk-…0001 retries=1 status=200 ")


# -- 3. the other attempt's stream is not buffered ----------------------------------------------


def stream_releasing_the_gate(client: anthropic.Anthropic, params: dict, upstream: GatedEventStream):
    """Streams with the SDK, opening the upstream's gate on the first event. The upstream holds
    its last events until then (10 s at most): a proxy that buffered the answer would show the
    client nothing before the gate timed out, and `released_early` would say so."""
    types = []
    with client.messages.stream(**params) as events:
        for event in events:
            if not types:
                assert not upstream.gate.is_set()
                upstream.gate.set()
            types.append(event.type)
        message = events.get_final_message()
    assert upstream.released_early is False, "the client saw nothing before the upstream's gate timed out"
    return message, types


def test_fallback_after_a_529_streams_as_the_next_upstream_sends(routed, anthropic_side, gated_openai):
    text = "fallbacks always busy, then a gated stream"
    message, types = stream_releasing_the_gate(
        anthropic_client(routed), messages_params("fallbacks-gated", text), gated_openai
    )
    assert message.content[0].text == "early-words"
    assert message.stop_reason == "end_turn"
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert anthropic_side.only(text).path == "/v1/messages"
    assert [path for path, _ in gated_openai.received] == ["/v1/chat/completions"]
    assert gated_openai.received[0][1]["authorization"] == f"Bearer {CLIENT_KEY}"


class OverloadedForTheFirstKey(RecordingGate):
    """Answers a 529 to the first key, and the gated stream to any other. Hand-written: no peer
    both tells keys apart this way and holds its last events until the client saw its first."""

    OVERLOADED = json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "busy for k1"}}).encode()

    def __init__(self, first_key: str, first: bytes, rest: bytes) -> None:
        super().__init__(first, rest)
        self.first_key = first_key

    def answer(self, request) -> None:
        if request.headers.get("x-api-key") != self.first_key:
            super().answer(request)
            return
        self.received.append((request.path, {k.lower(): v for k, v in request.headers.items()}))
        request.send_response(529)
        request.send_header("content-type", "application/json")
        request.send_header("content-length", str(len(self.OVERLOADED)))
        request.end_headers()
        request.wfile.write(self.OVERLOADED)


def test_key_retry_after_a_529_streams_as_the_upstream_sends(new_proxy):
    """No routes file: one upstream and two server keys. The retry with the second key used to
    reach the client only once complete; now it streams."""
    keys = ("sk-ant-fallback-key-000k1", "sk-ant-fallback-key-000k2")
    with OverloadedForTheFirstKey(keys[0], ANTHROPIC_FIRST, ANTHROPIC_REST) as upstream:
        proxy = new_proxy(upstream.url, upstream_keys=",".join(keys))
        start = len(proxy.log_text())
        message, types = stream_releasing_the_gate(
            anthropic_client(proxy), messages_params("m", "fallbacks key retry, streamed"), upstream
        )
        assert message.content[0].text == "early-words"
        assert types == [
            "message_start", "content_block_start", "content_block_delta", "text",
            "content_block_stop", "message_delta", "message_stop",
        ]
        assert [headers["x-api-key"] for _, headers in upstream.received] == list(keys)
        assert [path for path, _ in upstream.received] == ["/v1/messages", "/v1/messages"]
        log_after(proxy, start, r"anthropic-messages POST /v1/messages upstream=127\.0\.0\.1 model=m "
                                r"key=sk-…00k2 retries=1 status=200 ")


# -- 4. no other attempt once the answer has started --------------------------------------------


def test_a_stream_cut_after_its_first_events_is_not_retried_elsewhere(routed, openai_side, cut_anthropic):
    text = "fallbacks hello, cut after the first events"
    start = len(routed.log_text())
    types = []
    with pytest.raises(anthropic.APIStatusError) as caught:
        with anthropic_client(routed).messages.stream(**messages_params("fallbacks-cut", text)) as events:
            for event in events:
                types.append(event.type)
    assert types == ["message_start", "content_block_start", "content_block_delta", "text"]
    # the stream's own error event, in the Anthropic protocol
    assert caught.value.body == {"type": "error", "error": {"type": "api_error", "message": (
        "anyrouter: the upstream failed: HTTP/1 protocol error: peer closed connection without sending "
        "complete message body (incomplete chunked read)"
    )}}
    assert openai_side.find(text) == []  # the fallback received nothing
    log_after(routed, start, r"route=cut upstream=cut model=fallbacks-cut key=sk-…0001 retries=0 status=200 ")
    assert "trying the next upstream" not in routed.log_text()[start:]


# -- 6. every upstream fails ----------------------------------------------------------------------


def test_every_upstream_failing_gives_an_anthropic_client_the_last_error(routed, openai_side):
    text = "fallbacks always busy, for an anthropic client"
    with pytest.raises(anthropic.APIStatusError) as caught:
        anthropic_client(routed).messages.create(**messages_params("fallbacks-busy-last", text))
    # the last attempt was the OpenAI upstream's 529, told in the Anthropic protocol
    assert caught.value.status_code == 529
    assert caught.value.response.headers["content-type"] == "application/json"
    assert caught.value.body == {
        "type": "error", "error": {"type": "overloaded_error", "message": "Every upstream is overloaded today"},
    }
    assert openai_side.only(text).path == "/v1/chat/completions"


def test_every_upstream_failing_gives_an_openai_client_the_last_error(routed, anthropic_side, closed_port):
    text = "fallbacks always busy, for an openai client"
    client = openai.OpenAI(base_url=routed.url + "/v1", api_key=CLIENT_KEY, max_retries=0)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="fallbacks-refused-last", messages=[{"role": "user", "content": text}])
    # the last attempt was a refused connection, told in the OpenAI protocol
    assert caught.value.status_code == 502
    assert caught.value.response.headers["content-type"] == "application/json"
    assert caught.value.body == {
        "message": f"anyrouter: the upstream failed: {refused_message(closed_port)}",
        "type": "server_error", "param": None, "code": None,
    }
    first = anthropic_side.only(text)  # the first upstream answered 529 to the translated request
    assert first.path == "/v1/messages"
    assert first.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": text}]}]


# -- 5. a failed upstream rests: the next requests go to the others first -----------------------


def read_flows(path: Path) -> list:
    """The saved flows of client requests (not the proxy's own endpoints)."""
    with open(path, "rb") as file:
        return [flow for flow in io.FlowReader(file).stream() if flow.request.path.startswith("/v1/")]


def upstreams_of(proxy: Mitmdump) -> dict:
    status, body, _ = http_get(LOOPBACK, proxy.port, "/stats")
    assert status == 200, body
    return json.loads(body)["routing"]["upstreams"]


def test_a_refused_upstream_rests_then_is_tried_first_again(new_proxy, tmp_path, openai_side, closed_port):
    routes = tmp_path / "routes.yaml"
    routes.write_text(f"""
upstreams:
  down: {{url: "{closed_port}", protocol: anthropic}}
  up: {{url: "{openai_side.url}", protocol: openai}}
routes:
  - to: [down, up]
""")
    saved = tmp_path / "flows.mitm"
    # 2 s: long enough for the second request to come while `down` rests, short for the test
    proxy = new_proxy(openai_side.url, extra_args=["-w", str(saved)], routes=str(routes), upstream_cooldown="2")
    client = anthropic_client(proxy)
    texts = ("fallbacks hello, first try", "fallbacks hello, while down rests", "fallbacks hello, after the rest")

    assert client.messages.create(**messages_params("m", texts[0])).content[0].text == "Hello from the fallback upstream."
    upstreams = upstreams_of(proxy)
    assert upstreams["down"]["healthy"] is False
    assert 0 < upstreams["down"]["resting_s"] <= 2
    assert upstreams["down"]["attempts"] == 1
    assert upstreams["down"]["by_outcome"] == {refused_message(closed_port): 1}
    assert upstreams["down"]["last_failure"] == refused_message(closed_port)
    assert upstreams["up"]["healthy"] is True and upstreams["up"]["attempts"] == 1

    assert client.messages.create(**messages_params("m", texts[1])).content[0].text == "Hello from the fallback upstream."
    upstreams = upstreams_of(proxy)
    assert upstreams["down"]["attempts"] == 1  # not tried while it rests
    assert upstreams["up"]["attempts"] == 2

    deadline = time.monotonic() + 10  # the rest ends by itself; /stats says when
    while not upstreams_of(proxy)["down"]["healthy"]:
        assert time.monotonic() < deadline, "down still resting after 10 s with upstream_cooldown=2"
        time.sleep(0.1)
    assert client.messages.create(**messages_params("m", texts[2])).content[0].text == "Hello from the fallback upstream."
    assert upstreams_of(proxy)["down"]["attempts"] == 2  # tried first again, refused again

    assert [len(openai_side.find(text)) for text in texts] == [1, 1, 1]
    proxy.stop()  # mitmdump writes and closes the file
    flows = read_flows(saved)
    # Each ends with the answer's tokens, as aimock counted them.
    assert [re.sub(r" · in \d+ out \d+$", "", flow.comment) for flow in flows] == [
        "anthropic→openai · route #1→up · m · key sk-…0001 · 1 retry",
        "anthropic→openai · route #1→up · m · key sk-…0001 · 0 retries",
        "anthropic→openai · route #1→up · m · key sk-…0001 · 1 retry",
    ]
    assert all(re.search(r" · in \d+ out \d+$", flow.comment) for flow in flows)
    shown = [flow.metadata["anyrouter"] for flow in flows]
    assert [flow.get("upstream") for flow in shown] == ["up", "up", "up"]
    assert [flow.get("rule") for flow in shown] == ["#1", "#1", "#1"]
    first_attempt = [f"down key sk-…0001: {refused_message(closed_port)}"]
    assert [flow.get("attempts") for flow in shown] == [first_attempt, None, first_attempt]
    assert [flow.get("retries") for flow in shown] == [1, None, 1]


# -- 7. server-side keys on a listener other machines can reach ---------------------------------

SERVER_KEY = "sk-x"
TOKEN = "tok"


class Listener:
    """A mitmdump started here rather than by `new_proxy`, which always listens on 127.0.0.1:
    these listen where each case says. Same command line as `harness.Mitmdump`."""

    def __init__(self, name: str, host: str, upstream: str, options: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        argv = [
            str(VENV_BIN / "mitmdump"), "-s", str(ADDON),
            "--mode", f"reverse:{upstream}@{host}:{self.port}",
            "--set", "connection_strategy=lazy", "--set", "termlog_verbosity=info", "--set", "flow_detail=0",
        ]
        for option, value in options.items():
            argv += ["--set", f"{option}={value}"]
        self.process = Process(f"mitmdump ({name})", argv, log_dir / f"mitmdump-listener-{self.port}.log")

    def refusal(self) -> str:
        """The log of a mitmdump expected to refuse to start, once it has exited; fails as soon
        as it answers instead."""
        ready = status_is_200(self.port, "/health")
        deadline = time.monotonic() + 60
        while self.process.popen.poll() is None:
            try:
                started = ready()
            except OSError:
                started = False
            assert not started, f"it started:\n{self.process.log_text()}"
            assert time.monotonic() < deadline, f"still running after 60 s:\n{self.process.log_text()}"
            time.sleep(0.05)
        log = self.process.log_text()
        assert self.process.popen.returncode != 0, log
        return log

    def wait_ready(self) -> None:
        self.process.wait_until(status_is_200(self.port, "/health"))


@pytest.fixture(scope="module")
def listeners(tmp_path_factory, log_dir, anthropic_side) -> Iterator[dict[str, Listener]]:
    """Every case's mitmdump, started at once (each takes seconds to import mitmproxy); the
    tests stop theirs when done, so 0.0.0.0 is bound only while a test needs it."""
    routes = tmp_path_factory.mktemp("keyed-routes") / "routes.yaml"
    routes.write_text(f"""
upstreams:
  keyed: {{url: "{anthropic_side.url}", protocol: anthropic, keys: "sk-routes-key-0001"}}
routes:
  - to: keyed
""")
    cases = {
        "upstream keys on 0.0.0.0": ("0.0.0.0", {"upstream_keys": SERVER_KEY}),
        "routes keys on 0.0.0.0": ("0.0.0.0", {"routes": str(routes)}),
        "access tokens on 0.0.0.0": ("0.0.0.0", {"upstream_keys": SERVER_KEY, "access_tokens": TOKEN}),
        "open relay on 0.0.0.0": ("0.0.0.0", {"upstream_keys": SERVER_KEY, "open_relay": "true"}),
        "upstream keys on 127.0.0.1": (LOOPBACK, {"upstream_keys": SERVER_KEY}),
    }
    with ExitStack() as stack:
        started = {}
        for name, (host, options) in cases.items():
            started[name] = Listener(name, host, anthropic_side.url, options, log_dir)
            stack.callback(started[name].process.stop)
        yield started


@pytest.mark.parametrize("case", ["upstream keys on 0.0.0.0", "routes keys on 0.0.0.0"])
def test_server_keys_on_every_address_without_access_tokens_refuse_to_start(listeners, case):
    listener = listeners[case]
    assert f"OptionsError: {OPEN_RELAY_REFUSAL}" in listener.refusal()
    listener.process.stop()


@pytest.mark.parametrize(
    ("case", "client_key"),
    [
        ("access tokens on 0.0.0.0", TOKEN),
        ("open relay on 0.0.0.0", "sk-ant-any-client-key-0001"),
        ("upstream keys on 127.0.0.1", "sk-ant-any-client-key-0002"),
    ],
)
def test_server_keys_are_served_with_tokens_open_relay_or_on_loopback(listeners, anthropic_side, case, client_key):
    listener = listeners[case]
    try:
        listener.wait_ready()
        url = f"http://{LOOPBACK}:{listener.port}"  # whatever it listens on, asked on loopback only
        text = f"fallbacks hello, server keys with {case}"
        client = anthropic.Anthropic(base_url=url, api_key=client_key, max_retries=0)
        assert client.messages.create(**messages_params("m", text)).content[0].text == "Hello from the fallback upstream."
        sent = anthropic_side.only(text)
        assert sent.headers["x-api-key"] == SERVER_KEY
        assert client_key not in json.dumps(sent.headers)
        if case.startswith("access tokens"):
            refused = f"fallbacks hello, without a token, {case}"
            with pytest.raises(anthropic.AuthenticationError):
                anthropic.Anthropic(base_url=url, api_key="sk-ant-not-a-token-0001", max_retries=0).messages.create(
                    **messages_params("m", refused)
                )
            assert anthropic_side.find(refused) == []
    finally:
        listener.process.stop()
