"""Responses the proxy makes itself: JSON bodies and protocol-shaped errors."""

from __future__ import annotations

import json

from mitmproxy import http

from anyrouter_core.errors import ProxyError, render_error


def json_response(status: int, body: dict, headers: dict[str, str] | None = None) -> http.Response:
    content = json.dumps(body, ensure_ascii=False).encode()
    return http.Response.make(
        status, content, {"content-type": "application/json", **(headers or {})}
    )


def error_response(protocol: str, error: ProxyError, headers: dict[str, str] | None = None) -> http.Response:
    status, body = render_error(protocol, error)
    return json_response(status, body, headers)
