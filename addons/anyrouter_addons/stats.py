"""`GET /stats` and the `anyrouter.stats` command: per key fingerprint and per route counts,
and with a routes file per route of the file and per upstream; the tokens of the answers
(`FlowState.usage`) in total and per model the upstream was asked for.

Keys appear only as fingerprints; the key stats come from the pools of `KeyRotation`, the
upstreams' from `Routing`, which counts every attempt (fallbacks included).
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field

from mitmproxy import command, http

from anyrouter_core.errors import ProxyError
from anyrouter_core.routes import Route, RouteKind
from anyrouter_core.routing.upstream_health import percentiles
from anyrouter_core.usage_meter import UsageTotals

from .access_log import describe_route, duration_s
from .flow_state import route_of, state_of
from .key_rotation import KeyRotation, protocol_for
from .responses import answer_locally, error_response, json_response
from .phases import Phase
from .routing import Routing

RECENT_DURATIONS = 1000


@dataclass(slots=True)
class _RuleCounts:
    outcomes: Counter = field(default_factory=Counter)
    durations: deque = field(default_factory=lambda: deque(maxlen=RECENT_DURATIONS))

    def as_json(self) -> dict:
        return {
            "requests": sum(self.outcomes.values()),
            "by_status": dict(self.outcomes),
            "duration_ms": percentiles(self.durations),
        }


class Stats:
    phase = Phase.REPORT

    def __init__(self, keys: KeyRotation, routing: Routing) -> None:
        self.keys = keys
        self.routing = routing
        self.by_rule: defaultdict[str, _RuleCounts] = defaultdict(_RuleCounts)
        self.started = time.time()
        self.by_route: defaultdict[str, Counter] = defaultdict(Counter)
        self.durations: deque[float] = deque(maxlen=RECENT_DURATIONS)
        self.usage = UsageTotals()

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
        if route_of(flow).kind is RouteKind.CONVERSATION:  # a count of tokens spends none
            self.usage.add(state.upstream_model or state.model or "-", state.usage)
        if state.rule:
            counts = self.by_rule[state.rule]
            counts.outcomes[outcome] += 1
            if seconds is not None:
                counts.durations.append(seconds)

    def snapshot(self) -> dict:
        now = time.time()
        durations = list(self.durations)
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
            "duration_ms": percentiles(durations),
            "mean_duration_ms": round(statistics.fmean(durations) * 1000, 1) if durations else None,
            "routes": routes,
            **self.usage.as_json(),
            **self.routing_snapshot(now),
            **self.keys.pools.snapshot(now),
        }

    def routing_snapshot(self, now: float) -> dict:
        if not self.routing.has_table:
            return {}
        return {
            "routing": {
                "routes": {name: counts.as_json() for name, counts in sorted(self.by_rule.items())},
                "upstreams": self.routing.health.snapshot(self.routing.upstream_names(), now),
            }
        }

    @command.command("anyrouter.stats")
    def stats_command(self) -> str:
        """The same JSON as GET /stats: per key fingerprint and per route counts."""
        return json.dumps(self.snapshot(), indent=2, ensure_ascii=False)
