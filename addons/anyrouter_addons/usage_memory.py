"""STAND-IN for the usage store (`usage_store.UsageStore`, built in another branch): one row
per finished request, kept in memory for 25 h, and the dashboard's JSON made from them.

It exists so the dashboard page and its end-to-end tests run against a real `/dashboard/data`
before the store is merged; the store replaces it (`Dashboard(keys, store)` in
`addons/anyrouter.py`), with the same `dashboard(now)` shape. Rows hold what the usage row
holds, key fingerprints only.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque

from mitmproxy import http

from anyrouter_core.routing.upstream_health import percentiles

from .access_log import duration_s
from .flow_state import state_of
from .phases import Phase

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
