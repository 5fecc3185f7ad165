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


def access_line(flow: http.HTTPFlow) -> str:
    info = state(flow)
    request = flow.request
    if flow.response is not None:
        status = str(flow.response.status_code)
        end = flow.response.timestamp_end or flow.response.timestamp_start
    else:
        status = "error"
        end = flow.error.timestamp if flow.error else None
    duration = f"{(end - request.timestamp_start) * 1000:.0f}ms" if end else "-"
    return (
        f"{describe_route(info)} {request.method} {request.path} "
        f"model={info.get('model', '-')} key={info.get('key', '-')} "
        f"status={status} {duration}"
    )


class AccessLog:
    def response(self, flow: http.HTTPFlow) -> None:
        log.info(access_line(flow))

    def error(self, flow: http.HTTPFlow) -> None:
        log.info(access_line(flow))
