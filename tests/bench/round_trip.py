"""Round trips to aimock direct, through bare mitmdump and through mitmdump with the addon:
wall time per request, and the proxy process's CPU time per request.

Requests are sequential over one keep-alive connection per target, so the wall time is the
latency one request sees and the CPU time is all the proxy's own. Targets take turns in
rounds (the order rotating), so a change in the machine's load during the run falls on all
three alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from harness import LOOPBACK

from .client import Call, Connection, Route, median, percentile, send
from .procs import cpu_seconds


@dataclass
class Target:
    """Where a batch goes: a port, the call to send there, and the proxy pid (None: direct)."""

    name: str
    port: int
    call: Call
    pid: int | None
    wall_ms: list[float] = field(default_factory=list)
    cpu_s: float = 0.0

    def batch(self, n: int, keep: bool = True) -> None:
        conn = Connection(LOOPBACK, self.port, timeout=60)
        try:
            cpu_before = cpu_seconds(self.pid) if self.pid else 0.0
            for _ in range(n):
                start = time.perf_counter_ns()
                answer = send(conn, self.call)
                if keep:
                    self.wall_ms.append((time.perf_counter_ns() - start) / 1e6)
                else:  # a warm-up answer, not timed: its text is checked in full
                    self.call.check_text(answer)
            if self.pid and keep:
                self.cpu_s += cpu_seconds(self.pid) - cpu_before
        finally:
            conn.close()

    def cpu_ms_per_request(self) -> float | None:
        return self.cpu_s * 1000 / len(self.wall_ms) if self.pid else None


@dataclass
class Result:
    route: str
    stream: bool
    direct: Target
    bare: Target
    addon: Target
    bare_buffering: Target | None = None  # streamed rows: bare mitmdump as it is by default


def measure(route: Route, stream: bool, aimock_port: int, bare, addon, rounds: int, per_round: int,
            bare_buffering=None) -> Result:
    """`bare` is the like-for-like baseline: for streamed answers a bare mitmdump that streams
    (`stream_large_bodies=1`); `bare_buffering`, if given, is bare mitmdump's default, which
    holds each answer until it is complete."""
    targets = [
        Target("direct", aimock_port, route.upstream_form, None),
        Target("bare", bare.port, route.upstream_form, bare.pid),
        Target("addon", addon.port, route.through_addon, addon.pid),
    ]
    if bare_buffering is not None:
        targets.append(Target("bare buffering", bare_buffering.port, route.upstream_form, bare_buffering.pid))
    for target in targets:
        target.batch(max(5, per_round // 5), keep=False)  # warm-up: connections, first code paths
    for r in range(rounds):
        shift = r % len(targets)
        for target in targets[shift:] + targets[:shift]:
            target.batch(per_round)
    return Result(route.name, stream, *targets)


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:5.2f}×" if a and b else "   - "


def table(results: list[Result]) -> list[str]:
    head = (
        f"{'route':<40} {'mode':<6} │ {'direct ms':>13} │ {'bare mitmdump':>13} │ {'addon':>13} │"
        f" {'addon/bare':>13} │ {'CPU ms/req':>13} {'addon/bare':>10}"
    )
    sub = (
        f"{'':<40} {'':<6} │ {'med':>6} {'p95':>6} │ {'med':>6} {'p95':>6} │ {'med':>6} {'p95':>6} │"
        f" {'med':>6} {'p95':>6} │ {'bare':>6} {'addon':>6} {'':>10}"
    )
    lines = [head, sub, "─" * len(head)]
    for res in results:
        cells = []
        for target in (res.direct, res.bare, res.addon):
            cells.append(f"{median(target.wall_ms):6.2f} {percentile(target.wall_ms, 0.95):6.2f}")
        bare_cpu, addon_cpu = res.bare.cpu_ms_per_request(), res.addon.cpu_ms_per_request()
        lines.append(
            f"{res.route:<40} {'stream' if res.stream else 'json':<6} │ " + " │ ".join(cells) + " │ "
            f"{ratio(median(res.addon.wall_ms), median(res.bare.wall_ms))} "
            f"{ratio(percentile(res.addon.wall_ms, 0.95), percentile(res.bare.wall_ms, 0.95))} │ "
            f"{bare_cpu:6.2f} {addon_cpu:6.2f} {ratio(addon_cpu, bare_cpu):>10}"
        )
    buffering = [res for res in results if res.bare_buffering is not None]
    if buffering:
        lines.append("")
        lines.append("streamed rows, bare mitmdump by default (holds each answer whole, no stream_large_bodies):")
        for res in buffering:
            b = res.bare_buffering
            addon_cpu, b_cpu = res.addon.cpu_ms_per_request(), b.cpu_ms_per_request()
            lines.append(
                f"{res.route:<40} {'stream':<6} │ wall med {median(b.wall_ms):6.2f} p95 {percentile(b.wall_ms, 0.95):6.2f}"
                f" │ CPU {b_cpu:5.2f} ms/req, addon/this {ratio(addon_cpu, b_cpu)}"
            )
    return lines
