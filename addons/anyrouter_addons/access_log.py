"""One info line per request (route, model, key fingerprint, retries, status, duration), and
the same facts as the flow's comment in mitmweb, with failed flows marked (streams that ended
in an error included)."""

from __future__ import annotations

import logging

from mitmproxy import http

from .flow_state import state

log = logging.getLogger("anyrouter")

FAILED_MARK = ":warning:"


def describe_route(info: dict) -> str:
    return info.get("translation") or info.get("route", "passthrough")


def duration_s(flow: http.HTTPFlow) -> float | None:
    if flow.response is not None:
        end = flow.response.timestamp_end or flow.response.timestamp_start
    else:
        end = flow.error.timestamp if flow.error else None
    return end - flow.request.timestamp_start if end else None


def access_line(flow: http.HTTPFlow) -> str:
    info = state(flow)
    request = flow.request
    status = str(flow.response.status_code) if flow.response is not None else "error"
    seconds = duration_s(flow)
    duration = f"{seconds * 1000:.0f}ms" if seconds is not None else "-"
    return (
        f"{describe_route(info)} {request.method} {request.path} "
        f"model={info.get('model', '-')} key={info.get('key', '-')} "
        f"retries={info.get('retries', 0)} status={status} {duration}"
    )


def flow_comment(info: dict) -> str:
    parts = [describe_route(info), info.get("model", "-"), f"key {info.get('key', '-')}"]
    retries = info.get("retries", 0)
    parts.append(f"{retries} {'retry' if retries == 1 else 'retries'}")
    if info.get("upstream_error"):
        parts.append(f"upstream error: {info['upstream_error']}")
    return " · ".join(parts)


class AccessLog:
    def response(self, flow: http.HTTPFlow) -> None:
        self.report(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.report(flow)

    def report(self, flow: http.HTTPFlow) -> None:
        log.info(access_line(flow))
        info = state(flow)
        if info.get("local"):
            return
        flow.comment = flow_comment(info)
        # A stream can fail after its 200: then `upstream_error` says why.
        failed = flow.response is None or flow.response.status_code >= 400 or bool(info.get("upstream_error"))
        if failed:
            flow.marked = FAILED_MARK
