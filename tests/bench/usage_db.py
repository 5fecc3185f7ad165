"""The usage log's cost: proxy CPU per request with `usage_db` on (a file in the bench's temp
dir) against off (the rows go to the in-memory log only), side by side.

Two mitmdumps with the addon, alike but for `usage_db`, get the same requests in alternating
batches (the order rotating each round), as the round trips do; the CPU time of each process
(every thread: the usage log's writer thread included) is read around each batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from .client import Route, median
from .round_trip import Target, ratio

TARGET = 1.05


@dataclass
class Result:
    route: str
    stream: bool
    off: Target
    on: Target

    @property
    def cpu_ratio(self) -> float | None:
        off, on = self.off.cpu_ms_per_request(), self.on.cpu_ms_per_request()
        return on / off if off and on else None


def measure(route: Route, stream: bool, off, on, rounds: int, per_round: int) -> Result:
    targets = [Target("off", off.port, route.through_addon, off.pid), Target("on", on.port, route.through_addon, on.pid)]
    for target in targets:
        target.batch(max(5, per_round // 5), keep=False)
    for r in range(rounds):
        for target in targets[r % 2:] + targets[:r % 2]:
            target.batch(per_round)
    return Result(route.name, stream, *targets)


def table(results: list[Result]) -> list[str]:
    head = f"{'route':<40} {'mode':<6} │ {'wall med off':>12} {'on':>6} │ {'CPU ms/req off':>14} {'on':>6} {'on/off':>8}"
    lines = [head, "─" * len(head)]
    for res in results:
        off_cpu, on_cpu = res.off.cpu_ms_per_request(), res.on.cpu_ms_per_request()
        lines.append(
            f"{res.route:<40} {'stream' if res.stream else 'json':<6} │ {median(res.off.wall_ms):12.2f}"
            f" {median(res.on.wall_ms):6.2f} │ {off_cpu:14.2f} {on_cpu:6.2f} {ratio(on_cpu, off_cpu):>8}"
        )
    return lines


def verdicts(results: list[Result]) -> list[str]:
    lines = []
    for res in results:
        cpu = res.cpu_ratio
        if cpu is None:
            continue
        mode = "stream" if res.stream else "json"
        lines.append(f"CPU usage_db on/off {res.route}, {mode}: {cpu:.2f}× (target ≤ {TARGET}×)"
                     f" {'met' if cpu <= TARGET else 'MISSED'}")
    return lines
