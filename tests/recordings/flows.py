"""Recorded flows: plain mitmdump processes that record or replay them, reading them back,
and the comparisons the replay tests make.

Recorder and replayer are plain mitmdumps with no addon: what they save or serve does not
depend on the addon under test.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mitmproxy import http, io

from anyrouter_core.sse import SSEDecoder
from harness import LOOPBACK, VENV_BIN, Process, free_port

from .scenarios import CLIENT_SIDE, UPSTREAM_SIDE, Call, Scenario


def accepts_connections(port: int) -> bool:
    with socket.create_connection((LOOPBACK, port), timeout=1):
        return True


class PlainMitmdump:
    """`mitmdump` in reverse mode in front of `target`, without the anyrouter addon.

    Ready when its port accepts a TCP connection: no HTTP probe, which would be recorded.
    """

    def __init__(self, name: str, target: str, log_dir: Path, options: dict[str, str], extra_args: Sequence[str] = ()):
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        confdir = log_dir / f"{name}-{self.port}-confdir"  # ignore ~/.mitmproxy/config.yaml
        confdir.mkdir()
        argv = [
            str(VENV_BIN / "mitmdump"),
            "--mode", f"reverse:{target}@{LOOPBACK}:{self.port}",
            "--set", f"confdir={confdir}",
            "--set", "flow_detail=0",
        ]
        for option, value in options.items():
            argv += ["--set", f"{option}={value}"]
        argv += list(extra_args)
        self.process = Process(name, argv, log_dir / f"{name}-{self.port}.log")
        self.process.wait_until(lambda: accepts_connections(self.port))

    def log_text(self) -> str:
        return self.process.log_text()

    def stop(self) -> None:
        self.process.stop()


def recorder(name: str, target: str, log_dir: Path, save_to: Path) -> PlainMitmdump:
    """Records every flow to `save_to`, passing bodies through as they arrive (streams stay
    streams) and keeping them in the saved flow."""
    options = {"stream_large_bodies": "1", "store_streamed_bodies": "true"}
    return PlainMitmdump(name, target, log_dir, options, ["-w", str(save_to)])


def replayer(recording: Path, log_dir: Path, save_to: Path) -> PlainMitmdump:
    """Answers from `recording` only. Its reverse target is a port where nothing listens, and a
    request that matches no recorded flow gets an empty 404: nothing is ever forwarded.
    Matching is on method, path and body (not host or port: the recording's upstream had
    another address)."""
    options = {
        "server_replay": str(recording),
        "server_replay_ignore_host": "true",
        "server_replay_ignore_port": "true",
        "server_replay_extra": "404",
        "server_replay_reuse": "true",
        "connection_strategy": "lazy",
    }
    return PlainMitmdump("replayer", f"http://{LOOPBACK}:{free_port()}", log_dir, options, ["-w", str(save_to)])


# ---------------------------------------------------------------- reading recordings


def read_flows(path: Path) -> list[http.HTTPFlow]:
    with open(path, "rb") as file:
        return [f for f in io.FlowReader(file).stream() if isinstance(f, http.HTTPFlow)]


def marker_of(flow: http.HTTPFlow) -> str:
    """The call's marker: the first user message (a tool-result turn ends with tool messages)."""
    body = json.loads(flow.request.content)
    for message in body.get("messages", []):
        if message.get("role") == "user":
            content = message["content"]
            return content if isinstance(content, str) else next(p["text"] for p in content if p.get("type") == "text")
    raise AssertionError(f"no user message in {body!r}")


@dataclass
class RecordedCall:
    scenario: Scenario
    call: Call
    client_side: http.HTTPFlow
    upstream_side: http.HTTPFlow


def recorded_calls(scenario: Scenario) -> list[RecordedCall]:
    """Each scripted call with its client-side and upstream-side flow, paired by the marker
    (and checked to be in call order: one upstream request per client request)."""
    client = read_flows(scenario.directory / CLIENT_SIDE)
    upstream = read_flows(scenario.directory / UPSTREAM_SIDE)
    markers = [call.marker for call in scenario.calls]
    assert [marker_of(f) for f in client] == markers, f"{scenario.name}: client-side flows are not the calls"
    assert [marker_of(f) for f in upstream] == markers, f"{scenario.name}: upstream-side flows are not the calls"
    return [RecordedCall(scenario, call, c, u) for call, c, u in zip(scenario.calls, client, upstream)]


# ---------------------------------------------------------------- comparing


def is_event_stream(message: http.Message) -> bool:
    return message.headers.get("content-type", "").startswith("text/event-stream")


def sse_events(body: bytes) -> list[tuple[str | None, object]]:
    """(event name, data parsed as JSON, or the raw text for `[DONE]`) of each event, in order."""
    assert body.endswith(b"\n\n"), f"an event stream must end at an event boundary: {body[-80:]!r}"
    decoder = SSEDecoder()
    events = decoder.feed(body) + decoder.end()
    return [(e.event, e.data if e.data == "[DONE]" else json.loads(e.data)) for e in events]


_GENERATED_ANTHROPIC_ID = re.compile(r"^(msg|toolu)_[0-9a-f]{24}$")


def without_varying(value: object) -> object:
    """A response body or event with what the proxy legitimately generates anew replaced by a
    marker of its shape: `created` (the request's arrival time) and Anthropic message and
    tool-use ids the proxy makes up when the OpenAI upstream gave none (`msg_` + 24 hex).
    Ids taken from the upstream's answer stay, and must match exactly."""
    if isinstance(value, list):
        return [without_varying(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key == "created" and isinstance(item, int):
            out[key] = "<created: int>"
        elif key == "id" and isinstance(item, str) and (match := _GENERATED_ANTHROPIC_ID.match(item)):
            out[key] = f"<generated {match.group(1)} id>"
        else:
            out[key] = without_varying(item)
    return out


def comparable_body(message: http.Message) -> object:
    """A JSON body, or an event stream as its list of (event name, data), without what varies."""
    content = message.get_content(strict=False) or b""
    if is_event_stream(message):
        return [(name, without_varying(data)) for name, data in sse_events(content)]
    return without_varying(json.loads(content))


# The one request header that legitimately differs between a recording and a replay: the
# address of the hop (recorders and replays run on other ports).
HOP_REQUEST_HEADERS = {"host"}


def wire_headers(request: http.Request) -> list[tuple[str, str]]:
    """The headers as written to the upstream: the proxy's flows show only key fingerprints,
    and the real key exists only in this wire form (`bytes(headers)`)."""
    lines = bytes(request.headers).decode().split("\r\n")
    return [tuple(line.split(": ", 1)) for line in lines if line]  # type: ignore[misc]


def comparable_request(request: http.Request) -> dict:
    return {
        "method": request.method,
        "path": request.path,
        "headers": sorted(
            (name.lower(), value) for name, value in wire_headers(request)
            if name.lower() not in HOP_REQUEST_HEADERS
        ),
        "body": json.loads(request.content),
    }


def split(body: bytes, sizes: Iterable[int]) -> list[bytes]:
    """`body` in pieces of the given sizes, cycled: boundaries fall anywhere in an event."""
    sizes = list(sizes)
    pieces, at, i = [], 0, 0
    while at < len(body):
        size = sizes[i % len(sizes)]
        pieces.append(body[at : at + size])
        at += size
        i += 1
    return pieces
