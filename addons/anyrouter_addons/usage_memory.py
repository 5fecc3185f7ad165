"""STAND-IN, to delete when the usage log is merged: `GET /dashboard/data` from one row per
finished request kept in memory for 25 h.

The usage log of issue 14 (`usage_store.UsageStore`, `usage_log.UsageLog`, and `Stats`, which
serves `/dashboard/data` under `Route.STATS`) is built in another branch. This file lets the
dashboard page and its end-to-end tests run against a real `/dashboard/data` of the contract's
shape before then; merging that branch means deleting this file and its two steps in
`addons/anyrouter.py`. Rows hold key fingerprints only.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict, deque

from mitmproxy import http

from anyrouter_core.errors import ProxyError
from anyrouter_core.routes import Route, bare_path
from anyrouter_core.routing.upstream_health import percentiles

from .access_log import duration_s
from .flow_state import route_of, state_of
from .key_rotation import KeyRotation, protocol_for
from .phases import Phase
from .responses import answer_locally, error_response, json_response

DATA_PATH = "/dashboard/data"

KEEP_SECONDS = 25 * 3600
WINDOW_HOURS = 24
RECENT = 50
RECENT_ERRORS = 20
_TOKENS = ("input", "cache_read", "cache_write", "output", "reasoning")
_POINT_FIELDS = ("input", "cache_read", "cache_write", "output")
_BREAKDOWN_FIELDS = ("input", "cache_read", "output")
_RECENT_FIELDS = (
    "time", "client_protocol", "upstream", "route", "model", "upstream_model", "key", "status",
    "duration_ms", "ttfb_ms", "input", "cache_read", "output",
)


def row_of(flow: http.HTTPFlow) -> dict:
    state = state_of(flow)
    response, started = flow.response, flow.request.timestamp_start
    seconds = duration_s(flow)
    usage = state.usage or {}
    return {
        "time": started,
        "duration_ms": round(seconds * 1000, 1) if seconds is not None else None,
        "ttfb_ms": round((response.timestamp_start - started) * 1000, 1) if response and response.timestamp_start else None,
        "client_protocol": state.client_protocol,
        "upstream": state.upstream or flow.request.host,
        "route": state.rule,
        "model": state.model,
        "upstream_model": state.upstream_model or state.model,
        "key": state.key,
        "status": response.status_code if response else None,
        "error_type": None,
        "error_message": state.upstream_error or (flow.error.msg if flow.error else None),
        **{name: usage.get(name) for name in _TOKENS},
    }


def is_error(row: dict) -> bool:
    return row["status"] is None or row["status"] >= 400


class UsageMemory:
    phase = Phase.REPORT

    def __init__(self) -> None:
        self.rows: deque[dict] = deque()
        self.lock = threading.Lock()  # `dashboard` runs in a worker thread

    def response(self, flow: http.HTTPFlow) -> None:
        self.record(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        if flow.response is None:
            self.record(flow)

    def record(self, flow: http.HTTPFlow) -> None:
        state = state_of(flow)
        if state.local or state.client_protocol is None:
            return
        row = row_of(flow)
        with self.lock:
            self.rows.append(row)
            while self.rows and self.rows[0]["time"] < row["time"] - KEEP_SECONDS:
                self.rows.popleft()

    def dashboard(self, now: float) -> dict:
        with self.lock:
            rows = [row for row in self.rows if row["time"] >= now - WINDOW_HOURS * 3600]
        requests, errors = len(rows), sum(map(is_error, rows))
        return {
            "now": now,
            "window_hours": WINDOW_HOURS,
            "totals": {
                "requests": requests,
                "errors": errors,
                "success_rate": round((requests - errors) / requests, 4) if requests else None,
                **{name: sum(row[name] or 0 for row in rows) for name in _TOKENS},
            },
            "latency_ms": percentiles([r["duration_ms"] / 1000 for r in rows if r["duration_ms"] is not None]),
            "ttfb_ms": percentiles([r["ttfb_ms"] / 1000 for r in rows if r["ttfb_ms"] is not None]),
            "per_minute": points([r for r in rows if r["time"] >= now - 3600], 60),
            "per_hour": points(rows, 3600),
            "by_model": breakdown(rows, "model"),
            "by_upstream": breakdown(rows, "upstream"),
            "by_key": breakdown(rows, "key"),
            "by_client": breakdown(rows, "client_protocol"),
            "keys": [],
            "recent": [{name: row[name] for name in _RECENT_FIELDS} for row in reversed(rows[-RECENT:])],
            "recent_errors": [
                {**{name: row[name] for name in _RECENT_FIELDS}, "error_type": row["error_type"],
                 "error_message": row["error_message"]}
                for row in reversed([row for row in rows if is_error(row)][-RECENT_ERRORS:])
            ],
        }


def points(rows: list[dict], seconds: int) -> list[dict]:
    """One point per period of `seconds` that had traffic, ascending."""
    by_start: defaultdict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_start[int(row["time"] // seconds * seconds)].append(row)
    return [
        {"t": start, "requests": len(group), "errors": sum(map(is_error, group)),
         **{name: sum(r[name] or 0 for r in group) for name in _POINT_FIELDS}}
        for start, group in sorted(by_start.items())
    ]


def breakdown(rows: list[dict], field: str) -> list[dict]:
    groups: defaultdict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row[field] or "-"].append(row)
    return [
        {"name": name, "requests": len(group), "errors": sum(map(is_error, group)),
         **{f: sum(r[f] or 0 for r in group) for f in _BREAKDOWN_FIELDS}}
        for name, group in sorted(groups.items(), key=lambda item: -len(item[1]))
    ]


def key_health(keys: dict[str, dict]) -> list[dict]:
    """The key pools' stats (`KeyPools.snapshot(now)["keys"]`, by fingerprint) as the page lists them."""
    return [
        {
            "label": label,
            "healthy": not stats["cooling_for_s"],
            "cooling_s": stats["cooling_for_s"],
            "last_error": f"{last['status']}: {last['message']}" if (last := stats["last_error"]) else None,
            "requests": stats["requests"],
            "successes": stats["successes"],
        }
        for label, stats in keys.items()
    ]


class UsageMemoryEndpoint:
    """`GET /dashboard/data`, answered before any key is chosen (it is not an upstream's path)."""

    phase = Phase.CHECK

    def __init__(self, keys: KeyRotation, usage: UsageMemory) -> None:
        self.keys = keys
        self.usage = usage

    def request(self, flow: http.HTTPFlow):
        request = flow.request
        if flow.response or route_of(flow) is not Route.PASSTHROUGH or request.method.upper() != "GET":
            return None
        if bare_path(request.path) != DATA_PATH:
            return None
        if not self.keys.token_presented(flow):
            error = ProxyError(401, "a valid access token is required (x-api-key or Authorization: Bearer)")
            answer_locally(flow, error_response(protocol_for(flow), error))
            return None
        return self.answer(flow)

    async def answer(self, flow: http.HTTPFlow) -> None:
        now = time.time()
        data = await asyncio.to_thread(self.usage.dashboard, now)
        data["keys"] = key_health(self.keys.pools.snapshot(now)["keys"])
        answer_locally(flow, json_response(200, data, {"cache-control": "no-store"}))
