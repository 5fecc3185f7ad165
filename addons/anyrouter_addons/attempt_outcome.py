"""How one attempt at the upstream ended, as key rotation, fallbacks and upstream health read it."""

from __future__ import annotations

from mitmproxy import http

from .flow_state import state_of


def attempt_status(flow: http.HTTPFlow) -> int | None:
    """The status the upstream answered the attempt with; None when it failed to answer."""
    return flow.response.status_code if flow.response is not None and flow.error is None else None


def upstream_failed(flow: http.HTTPFlow) -> bool:
    """Whether the attempt failed because of the upstream, not the request: another upstream
    may answer it."""
    status = attempt_status(flow)
    if status is None or status == 429 or status >= 500:
        return True
    content_type = flow.response.headers.get("content-type", "") if flow.response is not None else ""
    return content_type.lower().startswith("text/html")  # a gateway's or a firewall's page


def outcome_of(flow: http.HTTPFlow) -> str:
    """How an attempt ended, in a few words for logs and the flow's record of attempts."""
    status = attempt_status(flow)
    if status is not None:
        return str(status)
    timed_out = state_of(flow).timed_out
    return timed_out or (flow.error.msg if flow.error is not None else "no answer")
