"""Re-records tests/recordings/: real traffic through the proxy, seen from both sides.

    scripts/record-flows [--only SCENARIO ...]

For each scenario of `scenarios.py` it starts, on free loopback ports,

    SDK client ─► recorder A ─► mitmdump -s addons/anyrouter.py ─► recorder B ─► aimock | llama.cpp
                  (client_side.mitm)                                (upstream_side.mitm)

where the recorders are plain mitmdumps (no addon) in reverse mode, so what they save does not
depend on the addon. It makes the scripted calls with the official openai and anthropic SDKs
(dummy keys only), stops everything, and rewrites the saved flows so that a re-recording
differs only where the traffic itself does: flow and connection ids, timestamps, loopback
ports and `date` headers are replaced by fixed values. Bodies are kept byte for byte. At the
end it says, per scenario, whether the new recording is equivalent to the one it replaced
(same requests and answers once generated ids, `created` times and llama.cpp's timings are
left aside).
"""

from __future__ import annotations

import argparse
import email.utils
import json
import re
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from mitmproxy import http, io

from harness import Aimock, LlamaServer, Mitmdump

from . import clients
from .flows import is_event_stream, read_flows, recorded_calls, recorder, sse_events
from .scenarios import CLIENT_SIDE, SCENARIOS, UPSTREAM_SIDE, Scenario

AIMOCK_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aimock"
# The fixed addresses recordings show: the proxy at its default port, each peer at its own
# default port, and one port for every ephemeral (client) port.
PROXY_PORT = 8088
PEER_PORTS = {"aimock": 4010, "llama": 8080}
EPHEMERAL_PORT = 50000
BASE_TIME = 1767225600.0  # 2026-01-01T00:00:00Z: flow i of a file starts at BASE_TIME + i
_TIME_OFFSETS = {
    ("client_conn", "timestamp_start"): 0.0,
    ("request", "timestamp_start"): 0.1,
    ("request", "timestamp_end"): 0.2,
    ("server_conn", "timestamp_start"): 0.3,
    ("server_conn", "timestamp_tcp_setup"): 0.35,
    ("response", "timestamp_start"): 0.5,
    ("response", "timestamp_end"): 0.6,
    ("server_conn", "timestamp_end"): 0.8,
    ("client_conn", "timestamp_end"): 0.9,
}
_LOOPBACK_ADDRESS = re.compile(rb"127\.0\.0\.1:(\d+)")
_ID_NAMESPACE = uuid.UUID("5b0c1c1e-8a4b-4f3e-9d51-6e2a7f0a1c00")


def record(scenario: Scenario, peer_url: str, work: Path, log_dir: Path) -> tuple[Path, Path, dict[int, int]]:
    """Records the scenario's calls into `work`; returns the two files and the port mapping."""
    client_file, upstream_file = work / CLIENT_SIDE, work / UPSTREAM_SIDE
    recorder_b = recorder("recorder-upstream", peer_url, log_dir, upstream_file)
    try:
        proxy = Mitmdump(recorder_b.url, log_dir, scenario.options)
        try:
            recorder_a = recorder("recorder-client", proxy.url, log_dir, client_file)
            try:
                for call in scenario.calls:
                    answer = clients.call(recorder_a.url, scenario, call)
                    assert answer.status == 200, f"{scenario.name}/{call.name}: HTTP {answer.status}"
                    print(f"  {call.name}: {summary_of(answer.final)}", flush=True)
            finally:
                recorder_a.stop()
        finally:
            proxy.stop()
    finally:
        recorder_b.stop()
    peer_port = int(peer_url.rsplit(":", 1)[1])
    ports = {recorder_a.port: PROXY_PORT, proxy.port: PROXY_PORT}
    ports |= {recorder_b.port: PEER_PORTS[scenario.peer], peer_port: PEER_PORTS[scenario.peer]}
    return client_file, upstream_file, ports


def summary_of(final) -> str:
    data = final.to_dict()
    if "choices" in data:
        message = data["choices"][0]["message"]
        calls = [c["function"]["name"] for c in message.get("tool_calls") or []]
        return f"{data['choices'][0]['finish_reason']}: {message.get('content')!r} {calls or ''}".rstrip()
    parts = [b.get("text") or b.get("thinking") or b.get("name") for b in data["content"]]
    return f"{data['stop_reason']}: {parts!r}"


# ---------------------------------------------------------------- making files reproducible


def normalized(flow: http.HTTPFlow, label: str, index: int, ports: dict[int, int]) -> http.HTTPFlow:
    state = flow.get_state()
    start = BASE_TIME + index

    def port_of(port: int) -> int:
        return ports.get(port, EPHEMERAL_PORT)

    def address(value):
        if isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[1], int):
            return (value[0], port_of(value[1]))
        return value

    def in_text(value: bytes) -> bytes:
        return _LOOPBACK_ADDRESS.sub(lambda m: b"127.0.0.1:%d" % port_of(int(m.group(1))), value)

    state["id"] = str(uuid.uuid5(_ID_NAMESPACE, f"{label}/{index}/flow"))
    state["timestamp_created"] = start
    for section in ("client_conn", "server_conn", "request", "response"):
        part = state.get(section)
        if not part:
            continue
        if "id" in part:
            part["id"] = str(uuid.uuid5(_ID_NAMESPACE, f"{label}/{index}/{section}"))
        for key in list(part):
            if key.startswith("timestamp") and part[key] is not None:
                part[key] = start + _TIME_OFFSETS.get((section, key), 0.5)
            elif key in ("peername", "sockname", "address"):
                part[key] = address(part[key])
        if section == "client_conn" and part.get("proxy_mode"):
            part["proxy_mode"] = in_text(part["proxy_mode"].encode()).decode()
        if section == "request":
            part["port"] = port_of(part["port"])
        if "headers" in part:
            fixed = {
                b"date": email.utils.formatdate(start, usegmt=True).encode(),
                # aimock's random request id; the same on both sides, as call i is flow i in both files
                b"x-request-id": b"req-recorded-%04d" % index,
            }
            part["headers"] = tuple(
                (name, fixed.get(name.lower()) or in_text(value)) for name, value in part["headers"]
            )
    return http.HTTPFlow.from_state(state)


def write_normalized(source: Path, target: Path, label: str, ports: dict[int, int]) -> None:
    flows = [normalized(f, label, i, ports) for i, f in enumerate(read_flows(source))]
    with open(target, "wb") as file:
        writer = io.FlowWriter(file)
        for flow in flows:
            writer.add(flow)


# ---------------------------------------------------------------- equivalence report

_VARIES_BETWEEN_RUNS = {"id", "created", "timings", "system_fingerprint"}


def _loose(value):
    if isinstance(value, list):
        return [_loose(v) for v in value]
    if isinstance(value, dict):
        return {k: ("<varies>" if k in _VARIES_BETWEEN_RUNS else _loose(v)) for k, v in value.items()}
    return value


def _content(message: http.Message):
    body = message.get_content(strict=False) or b""
    if is_event_stream(message):
        return [(name, _loose(data)) for name, data in sse_events(body)]
    return _loose(json.loads(body))


def equivalence_key(scenario: Scenario) -> list:
    key = []
    for pair in recorded_calls(scenario):
        for flow in (pair.client_side, pair.upstream_side):
            key.append((flow.request.method, flow.request.path, _content(flow.request),
                        flow.response.status_code, _content(flow.response)))
    return key


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/record-flows", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=[s.name for s in SCENARIOS], help="record only these")
    args = parser.parse_args(argv)
    chosen = [s for s in SCENARIOS if not args.only or s.name in args.only]
    with tempfile.TemporaryDirectory(prefix="anyrouter-record-") as tmp:
        log_dir = Path(tmp) / "logs"
        log_dir.mkdir()
        peers: dict[str, Aimock | LlamaServer] = {}
        fresh: list[tuple[Scenario, Path, Path, dict[int, int]]] = []
        try:
            if any(s.peer == "aimock" for s in chosen):
                peers["aimock"] = Aimock(AIMOCK_FIXTURES, log_dir)
            if any(s.peer == "llama" for s in chosen):
                peers["llama"] = LlamaServer(log_dir)
            for scenario in chosen:
                print(f"{scenario.name}:", flush=True)
                work = Path(tmp) / scenario.name
                work.mkdir()
                fresh.append((scenario, *record(scenario, peers[scenario.peer].url, work, log_dir)))
        except BaseException:
            kept = Path(tempfile.mkdtemp(prefix="anyrouter-record-logs-"))
            shutil.copytree(log_dir, kept, dirs_exist_ok=True)
            print(f"recording failed; the logs of every process are in {kept}", file=sys.stderr)
            raise
        finally:
            for peer in peers.values():
                peer.stop()
        for scenario, client_file, upstream_file, ports in fresh:
            before = _previous_key(scenario)
            scenario.directory.mkdir(exist_ok=True)
            write_normalized(client_file, scenario.directory / CLIENT_SIDE, f"{scenario.name}/client", ports)
            write_normalized(upstream_file, scenario.directory / UPSTREAM_SIDE, f"{scenario.name}/upstream", ports)
            after = equivalence_key(scenario)  # also checks that flows and calls pair up
            verdict = "new" if before is None else ("equivalent to the previous recording" if before == after else "CHANGED")
            print(f"{scenario.name}: {len(scenario.calls)} calls recorded, {verdict}")
    return 0


def _previous_key(scenario: Scenario):
    try:
        return equivalence_key(scenario)
    except (OSError, AssertionError):
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
