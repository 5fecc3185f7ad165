"""One info line per request: route, model, key fingerprint, status, duration."""

from __future__ import annotations

import logging

from mitmproxy import http

from .flow_state import state

log = logging.getLogger("anyrouter")


def describe_route(info: dict) -> str:
    client, upstream = info.get("client_protocol"), info.get("upstream_protocol")
    if client and upstream and client != upstream:
        return f"{client}→{upstream}"
    return info.get("route", "passthrough")


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


class AccessLog:
    def response(self, flow: http.HTTPFlow) -> None:
        log.info(access_line(flow))

    def error(self, flow: http.HTTPFlow) -> None:
        log.info(access_line(flow))
