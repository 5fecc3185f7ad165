"""How each upstream of a routes file has been doing: counts, latencies, failures, cooldown.

An upstream that failed (no connection, a timeout, 5xx, 529, 429, an HTML page) rests for a
while: a route's fallbacks then try the others first, and come back to it when they fail too
or once it has rested. Every attempt counts, the abandoned ones included.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

RECENT_DURATIONS = 1000
MESSAGE_LIMIT = 300


def percentiles(durations: Sequence[float]) -> dict | None:
    """p50, p95 and p99 of `durations` (seconds) in milliseconds; None when there are none."""
    if not durations:
        return None
    ordered = sorted(durations)
    return {
        name: round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000, 1)
        for name, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    }


@dataclass(slots=True)
class UpstreamRecord:
    attempts: int = 0
    by_outcome: Counter = field(default_factory=Counter)
    failures_in_a_row: int = 0
    resting_until: float = 0.0
    last_failure: str | None = None
    last_failure_at: float | None = None
    durations: deque = field(default_factory=lambda: deque(maxlen=RECENT_DURATIONS))

    def is_resting(self, now: float) -> bool:
        return self.resting_until > now

    def as_json(self, now: float) -> dict:
        return {
            "attempts": self.attempts,
            "by_outcome": dict(self.by_outcome),
            "healthy": not self.is_resting(now),
            "resting_s": round(self.resting_until - now, 1) if self.is_resting(now) else 0,
            "failures_in_a_row": self.failures_in_a_row,
            "last_failure": self.last_failure,
            "last_failure_at": self.last_failure_at,
            "duration_ms": percentiles(self.durations),
        }


class UpstreamHealth:
    def __init__(self, rest_s: float = 30.0) -> None:
        self.rest_s = rest_s
        self._records: dict[str, UpstreamRecord] = {}

    def record(
        self, name: str, outcome: str, *, failed: bool, seconds: float | None, now: float, message: str = ""
    ) -> None:
        """One attempt on `name` ended with `outcome` (a status, or what went wrong); `failed`
        says the upstream, not the request, was at fault."""
        record = self._records.setdefault(name, UpstreamRecord())
        record.attempts += 1
        record.by_outcome[outcome] += 1
        if seconds is not None:
            record.durations.append(seconds)
        if not failed:
            record.failures_in_a_row = 0
            record.resting_until = 0.0
            return
        record.failures_in_a_row += 1
        record.resting_until = now + self.rest_s
        # A refused connection's outcome is its message already: not said twice.
        detail = f"{outcome}: {message}" if message and message != outcome else outcome
        record.last_failure = detail[:MESSAGE_LIMIT]
        record.last_failure_at = round(now, 3)

    def is_resting(self, name: str, now: float) -> bool:
        record = self._records.get(name)
        return record is not None and record.is_resting(now)

    def in_trying_order(self, names: Sequence[str], now: float) -> list[int]:
        """The positions of `names` in the order to try them: those not resting first, each
        group in the given order."""
        positions = range(len(names))
        return sorted(positions, key=lambda i: self.is_resting(names[i], now))

    def forget_all_but(self, names: set[str]) -> None:
        """Drops the records of upstreams a new routes file no longer declares."""
        for name in list(self._records):
            if name not in names:
                del self._records[name]

    def snapshot(self, names: Sequence[str], now: float) -> dict:
        """JSON-ready: every upstream in `names`, those never tried included."""
        return {name: self._records.get(name, UpstreamRecord()).as_json(now) for name in names}
