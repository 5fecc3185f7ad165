"""Responses the proxy makes itself: JSON bodies and protocol-shaped errors."""

from __future__ import annotations


from mitmproxy import http

from anyrouter_core.errors import ProxyError
from anyrouter_core.json_body import json_bytes
from anyrouter_core.protocols import protocol_named

from .flow_state import state_of


def json_response(status: int, body: dict, headers: dict[str, str] | None = None) -> http.Response:
    content = json_bytes(body)
    return http.Response.make(
        status, content, {"content-type": "application/json", **(headers or {})}
    )


def error_response(protocol: str, error: ProxyError, headers: dict[str, str] | None = None) -> http.Response:
    """`error` as a client of `protocol` understands it."""
    status, body = protocol_named(protocol).codec.render_error(error)
    return json_response(status, body, headers)


def answer_locally(flow: http.HTTPFlow, response: http.Response) -> None:
    """Answer without contacting the upstream; later hooks see the flow as answered locally."""
    flow.response = response
    state_of(flow).local = True


def replace_json_body(response: http.Response, status: int, body: dict) -> None:
    response.status_code = status
    response.headers.pop("content-encoding", None)
    response.headers["content-type"] = "application/json"
    response.content = json_bytes(body)
