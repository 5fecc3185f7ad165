"""`GET /stats` and the `anyrouter.stats` command, `GET /stats/usage` (the usage log's rows as
JSON or CSV) and `GET /dashboard/data` (the dashboard's JSON).

Request counts, success rate, durations, tokens and the per-route counts come from the usage
log (`UsageLog.store`), so they survive restarts when `usage_db` names a file; the key stats
come from the pools of `KeyRotation` (their health is the process's own), the upstreams' from
`Routing`, which counts every attempt (fallbacks included). Keys appear only as fingerprints.

The usage log is SQLite: the endpoints read it in a worker thread (`asyncio.to_thread`), so
the event loop never waits on the disk. The command, which mitmproxy runs on the event loop,
reads it there: a command is typed by a person, and the query takes milliseconds.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import math
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime

from mitmproxy import command, http

from anyrouter_core.errors import ProxyError
from anyrouter_core.routes import Route, bare_path

from .flow_state import route_of
from .key_rotation import KeyRotation, protocol_for
from .phases import Phase
from .responses import answer_locally, error_response, json_response
from .routing import Routing
from .usage_log import UsageLog
from .usage_store import COLUMNS

log = logging.getLogger("anyrouter")

STATS_PATH = "/stats"
USAGE_PATH = "/stats/usage"
DASHBOARD_DATA_PATH = "/dashboard/data"


class Stats:
    phase = Phase.REPORT

    def __init__(self, keys: KeyRotation, routing: Routing, usage: UsageLog) -> None:
        self.keys = keys
        self.routing = routing
        self.usage = usage
        self.started = time.time()
        self.endpoints: dict[str, Callable] = {
            STATS_PATH: self.answer_stats,
            USAGE_PATH: self.answer_usage,
            DASHBOARD_DATA_PATH: self.answer_dashboard_data,
        }

    def request(self, flow: http.HTTPFlow):
        """A coroutine for each endpoint: each reads the usage log in a worker thread."""
        if route_of(flow) is not Route.STATS:
            return None
        endpoint = self.endpoints.get(bare_path(flow.request.path))
        if endpoint is None:
            return None
        if not self.keys.token_presented(flow):
            error = ProxyError(401, "a valid access token is required (x-api-key or Authorization: Bearer)")
            answer_locally(flow, error_response(protocol_for(flow), error))
            return None
        return self.answer(flow, endpoint)

    async def answer(self, flow: http.HTTPFlow, endpoint: Callable) -> None:
        try:
            response = await endpoint(flow)
        except sqlite3.Error as exc:
            log.error("anyrouter: %s: the usage log cannot be read: %s", bare_path(flow.request.path), exc)
            response = error_response(protocol_for(flow), ProxyError(503, f"the usage log cannot be read: {exc}"))
        answer_locally(flow, response)

    # -- GET /stats -------------------------------------------------------------------------

    async def answer_stats(self, flow: http.HTTPFlow) -> http.Response:
        totals = await asyncio.to_thread(self.usage.store.totals, None)
        return json_response(200, self.snapshot(totals))

    def snapshot(self, totals: dict) -> dict:
        """/stats from the usage log's `totals` and the key pools' and upstreams' health."""
        now = time.time()
        return {
            "uptime_s": round(now - self.started, 1),
            "requests": totals["requests"],
            "errors": totals["errors"],
            "success_rate": totals["success_rate"],
            "duration_ms": totals["duration_ms"],
            "mean_duration_ms": totals["mean_duration_ms"],
            "routes": totals["by_route"],
            "usage": totals["usage"],
            "usage_by_model": totals["usage_by_model"],
            **self.routing_snapshot(totals, now),
            **self.keys.pools.snapshot(now),
        }

    def routing_snapshot(self, totals: dict, now: float) -> dict:
        if not self.routing.has_table:
            return {}
        return {
            "routing": {
                "routes": totals["by_rule"],
                "upstreams": self.routing.health.snapshot(self.routing.upstream_names(), now),
            }
        }

    @command.command("anyrouter.stats")
    def stats_command(self) -> str:
        """The same JSON as GET /stats: per key fingerprint and per route counts."""
        return json.dumps(self.snapshot(self.usage.store.totals(None)), indent=2, ensure_ascii=False)

    # -- GET /stats/usage -------------------------------------------------------------------

    async def answer_usage(self, flow: http.HTTPFlow) -> http.Response:
        query = flow.request.query
        try:
            since, until = (parse_moment(query[name]) if query.get(name) else None for name in ("since", "until"))
            shape = query.get("format") or "json"
            if shape not in ("json", "csv"):
                raise ValueError(f"format must be json or csv, not {shape!r}")
        except ValueError as exc:
            return error_response(protocol_for(flow), ProxyError(400, f"{USAGE_PATH}: {exc}", "invalid_request_error"))
        rows = await asyncio.to_thread(self.usage.store.export, since, until)
        if shape == "csv":
            return http.Response.make(200, rows_as_csv(rows), {"content-type": "text/csv; charset=utf-8"})
        return json_response(200, {"since": since, "until": until, "rows": rows})

    # -- GET /dashboard/data ----------------------------------------------------------------

    async def answer_dashboard_data(self, flow: http.HTTPFlow) -> http.Response:
        now = time.time()
        data = await asyncio.to_thread(self.usage.store.dashboard, now)
        data["keys"] = key_health(self.keys.pools.snapshot(now)["keys"])
        return json_response(200, data, {"cache-control": "no-store"})


def key_health(keys: dict) -> list[dict]:
    """The key pools' stats (`KeyPools.snapshot`) as the dashboard lists them."""
    listed = []
    for label, stats in keys.items():
        last = stats["last_error"]
        listed.append({
            "label": label,
            "healthy": stats["cooling_for_s"] == 0,
            "cooling_s": stats["cooling_for_s"],
            "last_error": f"{last['status']}: {last['message']}" if last else None,
            "requests": stats["requests"],
            "successes": stats["successes"],
        })
    return listed


def parse_moment(text: str) -> float:
    """Epoch seconds, or an ISO 8601 date or time (UTC unless it says otherwise)."""
    try:
        moment = float(text)
    except ValueError:
        when = _iso_time(text.strip())
        if when is None:
            raise ValueError(f"{text!r} is neither epoch seconds nor an ISO 8601 time") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.timestamp()
    if not math.isfinite(moment):
        raise ValueError(f"{text!r} is not a time")
    return moment


def _iso_time(text: str) -> datetime | None:
    # An unencoded `+01:00` arrives as ` 01:00` (a `+` in a query is a space).
    for candidate in (text, "+".join(text.rsplit(" ", 1))):
        try:
            return datetime.fromisoformat(candidate)
        except ValueError:
            pass
    return None


def rows_as_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if row[name] is None else row[name] for name in COLUMNS])
    return out.getvalue().encode()
