"""Flows for the addon tests: requests as a client sends them, run through the addon chain."""

from __future__ import annotations

from mitmproxy import http
from mitmproxy.proxy.layers.http import HttpRequestHeadersHook, HttpRequestHook
from mitmproxy.test import tflow, tutils


def request_flow(method: str, path: str, headers: dict | None = None, content: bytes = b"") -> http.HTTPFlow:
    """A flow whose request goes to the reverse-proxy upstream `https://upstream.test`."""
    request = tutils.treq(
        method=method.encode(),
        path=path.encode(),
        host="upstream.test",
        port=443,
        scheme=b"https",
        headers=http.Headers([(k.encode(), v.encode()) for k, v in (headers or {}).items()]),
        content=content,
    )
    return tflow.tflow(req=request)


def send_request(chain, flow: http.HTTPFlow) -> None:
    """The request side of the chain: `requestheaders`, then `request`."""
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)
