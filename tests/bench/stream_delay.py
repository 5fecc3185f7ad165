"""The delay each SSE event gets on its way through a proxy.

The paced upstream (bench/paced_upstream.py) stamps every text delta with the monotonic
clock at the moment it is written; the client notes the clock when the read that completed
the event returns. The difference is that event's delay: loopback and the client's read
alone when direct, plus mitmproxy through bare mitmdump, plus the addon's work (and, for the
translated routes, the translation of the event) through the addon. Added delay = a
percentile through the addon minus the same percentile through bare mitmdump.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from harness import LOOPBACK

from .client import ANTHROPIC_HEADERS, ANTHROPIC_PATH, OPENAI_HEADERS, OPENAI_PATH, Connection, percentile

SMALL_ANTHROPIC = json.dumps({
    "model": "claude-sonnet-4-6", "max_tokens": 256, "stream": True,
    "messages": [{"role": "user", "content": "bench paced"}],
}).encode()
SMALL_OPENAI = json.dumps({
    "model": "claude-sonnet-4-6", "stream": True, "stream_options": {"include_usage": True},
    "messages": [{"role": "user", "content": "bench paced"}],
}).encode()


def stamp_of(event: bytes) -> int | None:
    """The emission stamp carried by one event's text, if it is a text delta."""
    for line in event.split(b"\n"):
        if not line.startswith(b"data: ") or line == b"data: [DONE]":
            continue
        data = json.loads(line[6:])
        text = None
        if data.get("type") == "content_block_delta":
            text = data["delta"].get("text")
        elif data.get("choices"):
            text = data["choices"][0].get("delta", {}).get("content")
        if text and text.strip().isdigit():
            return int(text.strip())
    return None


def one_stream(conn: Connection, path: str, headers: dict, body: bytes, expected: int) -> list[float]:
    """Delays in ms of the stamped events of one streamed answer."""
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{path}: status {response.status}: {response.read()[:300]!r}")
    arrivals: list[tuple[int, bytes]] = []
    buffer = b""
    while True:
        piece = response.read1(65536)
        now = time.monotonic_ns()
        if not piece:
            break
        buffer += piece.replace(b"\r\n", b"\n")
        *events, buffer = buffer.split(b"\n\n")
        arrivals += [(now, event) for event in events]
    delays = []
    for arrived, event in arrivals:
        stamp = stamp_of(event)
        if stamp is not None:
            delays.append((arrived - stamp) / 1e6)
    if len(delays) != expected:
        raise RuntimeError(f"{path}: {len(delays)} stamped events, expected {expected}")
    return delays


@dataclass
class Target:
    name: str
    port: int
    path: str
    headers: dict
    body: bytes
    delays: list[float] = field(default_factory=list)

    def batch(self, streams: int, events: int) -> None:
        conn = Connection(LOOPBACK, self.port, timeout=60)
        try:
            for _ in range(streams):
                self.delays += one_stream(conn, self.path, self.headers, self.body, events)
        finally:
            conn.close()


def targets(direct_port: int, bare_port: int, anthropic_addon_port: int, openai_addon_port: int) -> dict:
    """Per route: (direct, bare, addon) targets. Direct and bare carry the upstream's protocol."""
    a = (ANTHROPIC_PATH, ANTHROPIC_HEADERS, SMALL_ANTHROPIC)
    o = (OPENAI_PATH, OPENAI_HEADERS, SMALL_OPENAI)
    direct = {"anthropic": Target("direct", direct_port, *a), "openai": Target("direct", direct_port, *o)}
    bare = {"anthropic": Target("bare", bare_port, *a), "openai": Target("bare", bare_port, *o)}
    return {
        "pass-through": (direct["anthropic"], bare["anthropic"], Target("addon", anthropic_addon_port, *a)),
        "openai→anthropic": (direct["anthropic"], bare["anthropic"], Target("addon", anthropic_addon_port, *o)),
        "anthropic→openai": (direct["openai"], bare["openai"], Target("addon", openai_addon_port, *a)),
    }


def measure(routes: dict, rounds: int, streams_per_round: int, events: int) -> None:
    unique = []
    for trio in routes.values():
        for target in trio:
            if all(target is not seen for seen in unique):
                unique.append(target)
    for target in unique:
        target.batch(1, events)  # warm-up
        target.delays.clear()
    for r in range(rounds):
        shift = r % len(unique)
        for target in unique[shift:] + unique[:shift]:
            target.batch(streams_per_round, events)


def table(routes: dict) -> list[str]:
    head = (
        f"{'route':<18} │ {'direct':>13} │ {'bare mitmdump':>13} │ {'addon':>13} │ {'added by addon':>15}"
    )
    sub = (
        f"{'':<18} │ {'p50':>6} {'p99':>6} │ {'p50':>6} {'p99':>6} │ {'p50':>6} {'p99':>6} │"
        f" {'p50':>7} {'p99':>7}"
    )
    lines = [head, sub, "─" * len(head)]
    for name, (direct, bare, addon) in routes.items():
        cells = [f"{percentile(t.delays, 0.5):6.2f} {percentile(t.delays, 0.99):6.2f}" for t in (direct, bare, addon)]
        added50 = percentile(addon.delays, 0.5) - percentile(bare.delays, 0.5)
        added99 = percentile(addon.delays, 0.99) - percentile(bare.delays, 0.99)
        lines.append(f"{name:<18} │ " + " │ ".join(cells) + f" │ {added50:7.2f} {added99:7.2f}")
    return lines
