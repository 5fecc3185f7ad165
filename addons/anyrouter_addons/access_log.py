"""One info line per request (route, upstream, model, key fingerprint, retries, status,
tokens, duration), and
the same facts as the flow's comment in mitmweb, with failed flows marked (streams that ended
in an error included)."""

from __future__ import annotations

import logging

from mitmproxy import http

from .flow_state import FlowState, state_of
from .phases import Phase

log = logging.getLogger("anyrouter")

FAILED_MARK = ":warning:"


def describe_route(state: FlowState) -> str:
    return state.translation or (state.route.value if state.route else "passthrough")


def duration_s(flow: http.HTTPFlow) -> float | None:
    if flow.response is not None:
        end = flow.response.timestamp_end or flow.response.timestamp_start
    else:
        end = flow.error.timestamp if flow.error else None
    return end - flow.request.timestamp_start if end else None


def describe_upstream(state: FlowState) -> str | None:
    """`route haiku→local`, when a routes file chose the upstream."""
    return f"route {state.rule}→{state.upstream}" if state.rule else None


def tokens_field(usage: dict | None) -> str:
    """`tokens=992/11008/0/5 `: fresh input / cache read / cache write / output, `-` for a
    count not reported, `~` before an estimate; nothing when the answer reported no usage."""
    if not usage:
        return ""
    counts = "/".join(_count(usage, name) for name in ("input", "cache_read", "cache_write", "output"))
    return f"tokens={'~' if usage.get('estimated') else ''}{counts} "


def describe_usage(usage: dict | None) -> str | None:
    """`in 992 (cache 11008 read, 0 written) out 5 (reasoning 2)`, the cache part only when
    the cache was used, `est.` before an estimate."""
    if not usage:
        return None
    text = f"in {_count(usage, 'input')}"
    if usage.get("cache_read") or usage.get("cache_write"):
        text += f" (cache {_count(usage, 'cache_read')} read, {_count(usage, 'cache_write')} written)"
    if usage.get("output") is not None:
        text += f" out {usage['output']}"
    if usage.get("reasoning") is not None:
        text += f" (reasoning {usage['reasoning']})"
    return f"est. {text}" if usage.get("estimated") else text


def _count(usage: dict, name: str) -> str:
    count = usage.get(name)
    return "-" if count is None else str(count)


def access_line(flow: http.HTTPFlow) -> str:
    state = state_of(flow)
    request = flow.request
    status = str(flow.response.status_code) if flow.response is not None else "error"
    seconds = duration_s(flow)
    duration = f"{seconds * 1000:.0f}ms" if seconds is not None else "-"
    routed = f"route={state.rule} " if state.rule else ""
    renamed = f"→{state.upstream_model}" if state.upstream_model else ""
    return (
        f"{describe_route(state)} {request.method} {request.path} {routed}"
        f"upstream={state.upstream or request.host} model={state.model or '-'}{renamed} key={state.key or '-'} "
        f"retries={state.retries or 0} status={status} {tokens_field(state.usage)}{duration}"
    )


def flow_comment(state: FlowState) -> str:
    parts = [describe_route(state)]
    upstream = describe_upstream(state)
    if upstream:
        parts.append(upstream)
    parts += [state.upstream_model or state.model or "-", f"key {state.key or '-'}"]
    retries = state.retries or 0
    parts.append(f"{retries} {'retry' if retries == 1 else 'retries'}")
    usage = describe_usage(state.usage)
    if usage:
        parts.append(usage)
    if state.upstream_error:
        parts.append(f"upstream error: {state.upstream_error}")
    return " · ".join(parts)


class AccessLog:
    phase = Phase.REPORT

    def response(self, flow: http.HTTPFlow) -> None:
        self.report(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.report(flow)

    def report(self, flow: http.HTTPFlow) -> None:
        log.info(access_line(flow))
        state = state_of(flow)
        if state.local:
            return
        flow.comment = flow_comment(state)
        # A stream can fail after its 200: then `upstream_error` says why.
        failed = flow.response is None or flow.response.status_code >= 400 or bool(state.upstream_error)
        if failed:
            flow.marked = FAILED_MARK
