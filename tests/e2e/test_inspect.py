"""`scripts/inspect`: real mitmweb with the addon, live in front of aimock or reading a saved file.

Through mitmweb's own API (`/flows`, `/flows/<id>/response/content/<view>.json`, the
`/updates` websocket) the tests check that flows are listed, that event streams are rendered
by the "Event Stream" view into the expected rows and summary, and that no API key, nor any
telling piece of one, is ever served.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import string
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import anthropic
import openai
import pytest
import tornado.httpclient
import tornado.websocket

from anyrouter_core.keys import fingerprint
from anyrouter_core.stream_view import Row, StreamSummary, StreamView, ToolCall, render, view_stream
from harness import LOOPBACK, POLL_INTERVAL, ROOT, Mitmdump, Process, clean_env, free_port, http_get

INSPECT = ROOT / "scripts" / "inspect"
PRINTED_URL = re.compile(r"(http://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]+))")


class Mitmweb:
    """`scripts/inspect ARGS`: mitmweb on a free loopback web port, its token from the printed URL."""

    def __init__(self, args: list[str], log_dir: Path, live: bool = True):
        self.web_port = free_port()
        self.port = free_port() if live else None
        env = clean_env(ANYROUTER_WEB_PORT=str(self.web_port))
        if live:
            env["ANYROUTER_PORT"] = str(self.port)
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.process = Process("scripts/inspect", [str(INSPECT), *args], log_dir / f"mitmweb-{self.web_port}.log", env=env)
        self.process.wait_until(lambda: PRINTED_URL.search(self.process.log_text()) is not None)
        self.printed_url, printed_port, self.token = PRINTED_URL.search(self.process.log_text()).groups()
        assert int(printed_port) == self.web_port
        self.process.wait_until(lambda: self.get("/flows")[0] == 200)
        if live:
            self.process.wait_until(lambda: http_get(LOOPBACK, self.port, "/health", timeout=2)[0] == 200)

    def get(self, path: str, token: str | None = None, auth: bool = True) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {token or self.token}"} if auth else {}
        status, body, _ = http_get(LOOPBACK, self.web_port, path, headers)
        return status, body

    def flows(self) -> list[dict]:
        status, body = self.get("/flows")
        assert status == 200, body
        return json.loads(body)

    def content_view(self, flow_id: str, view: str) -> dict:
        status, body = self.get(f"/flows/{flow_id}/response/content/{urllib.parse.quote(view)}.json")
        assert status == 200, body
        return json.loads(body)

    def raw_response(self, flow_id: str) -> bytes:
        status, body = self.get(f"/flows/{flow_id}/response/content.data")
        assert status == 200, body
        return body

    def stop(self) -> None:
        self.process.stop()


class Updates:
    """mitmweb's `/updates` websocket, read in a thread: every message it sends, as text."""

    def __init__(self, web: Mitmweb):
        self.messages: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        request = tornado.httpclient.HTTPRequest(
            f"ws://{LOOPBACK}:{web.web_port}/updates", headers={"Authorization": f"Bearer {web.token}"}
        )

        async def connect():
            return await tornado.websocket.websocket_connect(request)

        self._connection = asyncio.run_coroutine_threadsafe(connect(), self._loop).result(10)
        self._reading = asyncio.run_coroutine_threadsafe(self._read(), self._loop)

    async def _read(self) -> None:
        while (message := await self._connection.read_message()) is not None:
            self.messages.append(message if isinstance(message, str) else message.decode())

    def wait_for(self, predicate, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not any(predicate(json.loads(m)) for m in list(self.messages)):
            assert time.monotonic() < deadline, f"no such websocket message in {self.messages[-5:]}"
            time.sleep(POLL_INTERVAL)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._connection.close)
        self._reading.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture
def start_mitmweb(log_dir):
    started: list[Mitmweb] = []

    def start(*args: str, live: bool = True) -> Mitmweb:
        web = Mitmweb(list(args), log_dir, live)
        started.append(web)
        return web

    yield start
    for web in started:
        web.stop()


def new_key() -> str:
    """A key whose every 6-character piece is unlikely anywhere else: no hex digits, no words."""
    alphabet = string.ascii_letters[6:26] + string.ascii_letters[32:]  # g-z, G-Z
    return "sk-" + "".join(secrets.choice(alphabet) for _ in range(40))


def leaked_pieces(text: str, key: str) -> list[str]:
    """The key, or any 6-character piece of it, found in `text` (its fingerprint shows only the last 4)."""
    pieces = [key] + [key[i:i + 6] for i in range(len(key) - 5)]
    return [piece for piece in pieces if piece in text]


def where_in(text: str, key: str) -> str:
    """Where a leaked piece sits: the kind of message and the text around it, key fingerprinted."""
    piece = leaked_pieces(text, key)[0]
    at = text.index(piece)
    kind = re.search(r'"type": "([^"]+)"', text)
    around = text[max(0, at - 120):at + len(piece) + 40].replace(key, "<THE KEY>").replace(piece, "<piece>")
    return f"{kind.group(1) if kind else ''} …{around}…"


def llm_flows(flows: list[dict]) -> list[dict]:
    return [f for f in flows if f["request"]["path"] != "/health"]


def header(flow_part: dict, name: str) -> str | None:
    return next((v for k, v in flow_part["headers"] if k.lower() == name), None)


def is_done(message: dict, flow_id: str) -> bool:
    flow = message.get("payload", {}).get("flow", {}) if message.get("type") in ("flows/add", "flows/update") else {}
    return flow.get("id") == flow_id and (flow.get("response") or {}).get("timestamp_end") is not None


def aimock_anthropic_rows(message_id: str) -> list[Row]:
    """What aimock streams for "insp stream hello", one row per event."""
    events = [
        ("message_start", {"type": "message_start", "message": {
            "id": message_id, "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-6",
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 7}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "thinking_delta", "thinking": "They want to see the"}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "thinking_delta", "thinking": " stream."}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "signature_delta", "signature": "aimock-placeholder-signature"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("content_block_start", {"type": "content_block_start", "index": 1,
                                 "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 1,
                                 "delta": {"type": "text_delta", "text": "Inspected, event by "}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 1,
                                 "delta": {"type": "text_delta", "text": "event."}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 7}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return [Row(name, json.dumps(data, indent=2, ensure_ascii=False)) for name, data in events]


ANTHROPIC_SUMMARY = StreamSummary(
    protocol="anthropic",
    model="claude-sonnet-4-6",
    text="Inspected, event by event.",
    thinking="They want to see the stream.",
    stop_reason="end_turn",
    usage={"input_tokens": 12, "output_tokens": 7},
)
OPENAI_SUMMARY_TEXT = """\
# summary: OpenAI Chat Completions stream
model: claude-sonnet-4-6
text: ""
tool calls:
  - name: get_weather
    id: toolu_insp_weather
    arguments: {"city": "Tromsø", "unit": "celsius"}
stop reason: tool_calls
usage: {"prompt_tokens": 31, "completion_tokens": 18, "total_tokens": 49, "prompt_tokens_details": {"cached_tokens": 0}}
"""


def stream_anthropic(base_url: str, key: str, text: str) -> str:
    client = anthropic.Anthropic(base_url=base_url, api_key=key, max_retries=0)
    with client.messages.stream(
        model="claude-sonnet-4-6", max_tokens=100, messages=[{"role": "user", "content": text}]
    ) as stream:
        return stream.get_final_message().content[-1].text


def stream_openai_tool_call(base_url: str, key: str) -> list:
    client = openai.OpenAI(base_url=base_url + "/v1", api_key=key, max_retries=0)
    chunks = list(client.chat.completions.create(
        model="claude-sonnet-4-6", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "insp weather tool"}],
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
    ))
    return [c.choices[0].delta.tool_calls for c in chunks if c.choices and c.choices[0].delta.tool_calls]


class LiveSession:
    """What one live mitmweb served after three LLM requests: flows, events, websocket messages."""

    def __init__(self, web: Mitmweb):
        self.web = web
        self.anthropic_key, self.openai_key = new_key(), new_key()
        updates = Updates(web)
        try:
            assert stream_anthropic(web.url, self.anthropic_key, "insp stream hello") == "Inspected, event by event."
            assert stream_openai_tool_call(web.url, self.openai_key)
            plain = anthropic.Anthropic(base_url=web.url, api_key=self.anthropic_key, max_retries=0).messages.create(
                model="claude-sonnet-4-6", max_tokens=50, messages=[{"role": "user", "content": "insp plain"}]
            )
            assert plain.content[0].text == "Not streamed."
            # A last flow: once the websocket has told of it, it has told of everything before.
            assert http_get(LOOPBACK, web.port, "/health")[0] == 200
            last = web.flows()[-1]
            assert last["request"]["path"] == "/health"
            updates.wait_for(lambda message: is_done(message, last["id"]))
        finally:
            updates.close()
        self.messages = updates.messages
        self.flows = web.flows()
        self.events = web.get("/events")[1].decode()


@pytest.fixture(scope="module")
def live(aimock, log_dir):
    web = Mitmweb([aimock.url, "--set", "upstream_protocol=anthropic"], log_dir)
    try:
        yield LiveSession(web)
    finally:
        web.stop()


def test_live_flows_are_listed_and_event_streams_rendered_by_the_event_stream_view(live):
    web = live.web
    streamed, translated, not_streamed = llm_flows(live.flows)
    assert [f["request"]["path"] for f in (streamed, translated, not_streamed)] == ["/v1/messages"] * 3
    assert [f["response"]["status_code"] for f in (streamed, translated, not_streamed)] == [200, 200, 200]

    # The Anthropic stream, as aimock sent it: exactly these rows, then the summary.
    raw = web.raw_response(streamed["id"])
    message_id = json.loads(raw.split(b"\n")[1].removeprefix(b"data: "))["message"]["id"]
    expected = render(StreamView(aimock_anthropic_rows(message_id), ANTHROPIC_SUMMARY))
    for view in ("auto", "Event Stream"):
        shown = web.content_view(streamed["id"], view)
        assert (shown["view_name"], shown["syntax_highlight"]) == ("Event Stream", "yaml")
        assert shown["text"] == expected

    # The OpenAI stream the proxy made from the Anthropic one: what the OpenAI client received.
    shown = web.content_view(translated["id"], "auto")
    raw = web.raw_response(translated["id"])
    assert shown["view_name"] == "Event Stream"
    assert shown["text"] == render(view_stream(raw))
    assert shown["text"].count("# event ") == raw.count(b"data: ")
    assert shown["text"].endswith("\n\n" + OPENAI_SUMMARY_TEXT)
    assert view_stream(raw).summary.tool_calls == [
        ToolCall("get_weather", "toolu_insp_weather", '{"city":"Tromsø","unit":"celsius"}')
    ]

    # A JSON answer keeps the JSON view.
    assert web.content_view(not_streamed["id"], "auto")["view_name"] == "JSON"


def test_live_flows_websocket_and_events_show_keys_only_as_fingerprints(live):
    streamed, translated, _ = llm_flows(live.flows)
    assert header(streamed["request"], "x-api-key") == fingerprint(live.anthropic_key)
    assert header(translated["request"], "x-api-key") == fingerprint(live.openai_key)
    assert any(fingerprint(live.anthropic_key) in message for message in live.messages)
    served = {
        "/flows": [json.dumps(live.flows, ensure_ascii=False)],
        "/events": [live.events],
        "/updates": live.messages,
    }
    leaks = [
        f"{where} shows {fingerprint(key)}: {where_in(text, key)}"
        for where, texts in served.items() for text in texts for key in (live.anthropic_key, live.openai_key)
        if leaked_pieces(text, key)
    ]
    if leaks:
        pytest.fail(f"{len(leaks)} leaks:\n" + "\n".join(leaks), pytrace=False)


def test_no_key_in_flows_while_the_upstream_is_still_thinking(start_mitmweb, aimock):
    """While a request waits for its answer, /flows (what mitmweb's page loads when it is opened)
    shows no key either: it is rendered from the live flow whenever asked, not only after a hook."""
    web = start_mitmweb(aimock.url)
    key = new_key()
    answer: list[str] = []
    client = threading.Thread(target=lambda: answer.append(stream_anthropic(web.url, key, "insp slow start")))
    client.start()
    snapshots: list[str] = []
    waiting_seen = False
    try:
        while client.is_alive():
            text = web.get("/flows")[1].decode()
            snapshots.append(text)
            waiting_seen |= any(f.get("response") is None and f["request"]["timestamp_end"] for f in llm_flows(json.loads(text)))
            time.sleep(POLL_INTERVAL)
    finally:
        client.join(30)
    assert answer == ["Worth the wait."]
    assert waiting_seen, "never saw the flow waiting for its answer"
    leaking = [text for text in snapshots if leaked_pieces(text, key)]
    if leaking:
        pytest.fail(f"{len(leaking)} of {len(snapshots)} /flows snapshots show the key: {where_in(leaking[0], key)}", pytrace=False)


def test_inspect_opens_a_saved_flow_file_without_proxying(start_mitmweb, aimock, log_dir, tmp_path):
    saved = tmp_path / "flows.mitm"
    proxy = Mitmdump(aimock.url, log_dir, extra_args=["-w", str(saved), "--set", "store_streamed_bodies=true"])
    key = new_key()
    try:
        assert stream_anthropic(proxy.url, key, "insp stream hello") == "Inspected, event by event."
    finally:
        proxy.stop()  # mitmdump writes and closes the file

    web = start_mitmweb(str(saved), live=False)
    assert web.get("/flows", auth=False)[0] == 403
    assert web.get("/flows", token="0" * 32)[0] == 403
    assert web.token not in Path(f"/proc/{web.process.popen.pid}/cmdline").read_text()
    status, page = web.get(web.printed_url.removeprefix(f"http://127.0.0.1:{web.web_port}"), auth=False)
    assert status == 200 and b"<html" in page.lower()  # the printed URL logs in by itself
    assert json.loads(web.get("/state")[1])["servers"] == {}  # nothing is proxied

    deadline = time.monotonic() + 20
    while not llm_flows(flows := web.flows()):
        assert time.monotonic() < deadline, flows
        time.sleep(POLL_INTERVAL)
    [flow] = llm_flows(flows)
    assert (flow["request"]["method"], flow["request"]["path"], flow["response"]["status_code"]) == ("POST", "/v1/messages", 200)
    assert header(flow["request"], "x-api-key") == fingerprint(key)  # shown as saved, not processed again
    shown = web.content_view(flow["id"], "auto")
    assert shown["view_name"] == "Event Stream"
    message_id = json.loads(web.raw_response(flow["id"]).split(b"\n")[1].removeprefix(b"data: "))["message"]["id"]
    assert shown["text"] == render(StreamView(aimock_anthropic_rows(message_id), ANTHROPIC_SUMMARY))
    assert leaked_pieces(json.dumps(flows, ensure_ascii=False), key) == []


def test_inspect_says_when_its_argument_is_neither_a_file_nor_a_url(tmp_path):
    result = subprocess.run(
        [str(INSPECT), str(tmp_path / "missing.mitm")], capture_output=True, text=True, env=clean_env(), timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.endswith(f"inspect: {tmp_path / 'missing.mitm'} is neither a flow file nor an upstream URL\n")
