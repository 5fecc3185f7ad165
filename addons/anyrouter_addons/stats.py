"""`GET /stats` and the `anyrouter.stats` command: per key fingerprint and per route counts.

Keys appear only as fingerprints; the key stats come from the pools of `KeyRotation`.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter, defaultdict, deque

from mitmproxy import command, http

from anyrouter_core.errors import ProxyError
from anyrouter_core.routes import Route

from .access_log import describe_route, duration_s
from .flow_state import route_of, state_of
from .key_rotation import KeyRotation, protocol_for
from .responses import answer_locally, error_response, json_response
from .phases import Phase

RECENT_DURATIONS = 1000


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


class Stats:
    phase = Phase.REPORT

    def __init__(self, keys: KeyRotation) -> None:
        self.keys = keys
        self.started = time.time()
        self.by_route: defaultdict[str, Counter] = defaultdict(Counter)
        self.durations: deque[float] = deque(maxlen=RECENT_DURATIONS)

    def request(self, flow: http.HTTPFlow) -> None:
        if route_of(flow) is not Route.STATS:
            return
        if not self.keys.token_presented(flow):
            error = ProxyError(401, "a valid access token is required (x-api-key or Authorization: Bearer)")
            answer_locally(flow, error_response(protocol_for(flow), error))
            return
        answer_locally(flow, json_response(200, self.snapshot()))

    def response(self, flow: http.HTTPFlow) -> None:
        assert flow.response
        self.count(flow, str(flow.response.status_code))

    def error(self, flow: http.HTTPFlow) -> None:
        if flow.response is None:
            self.count(flow, "error")

    def count(self, flow: http.HTTPFlow, outcome: str) -> None:
        state = state_of(flow)
        if state.local:
            return
        self.by_route[describe_route(state)][outcome] += 1
        seconds = duration_s(flow)
        if seconds is not None:
            self.durations.append(seconds)

    def snapshot(self) -> dict:
        now = time.time()
        ordered = sorted(self.durations)
        routes = {
            route: {"requests": sum(outcomes.values()), "by_status": dict(outcomes)}
            for route, outcomes in sorted(self.by_route.items())
        }
        total = sum(r["requests"] for r in routes.values())
        successes = sum(n for o in self.by_route.values() for s, n in o.items() if s.startswith("2"))
        return {
            "uptime_s": round(now - self.started, 1),
            "requests": total,
            "success_rate": round(successes / total, 4) if total else None,
            "duration_ms": {
                name: round(percentile(ordered, q) * 1000, 1) for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
            } if ordered else None,
            "mean_duration_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else None,
            "routes": routes,
            **self.keys.pools.snapshot(now),
        }

    @command.command("anyrouter.stats")
    def stats_command(self) -> str:
        """The same JSON as GET /stats: per key fingerprint and per route counts."""
        return json.dumps(self.snapshot(), indent=2, ensure_ascii=False)
