"""What anyrouter knows about a flow.

Plain facts (route, model, key fingerprint, …) live in `flow.metadata`, so mitmweb and saved
flows show them; mitmproxy serialises metadata, so only plain values go there. The parsed
request body is kept beside the flow instead, parsed once however many addons read it, and
written back once by `RequestBodyWriter` after every addon has changed it.
"""

from __future__ import annotations

import json
import weakref

from mitmproxy import http

from anyrouter_core.json_body import load_json
from anyrouter_core.routes import Route

_KEY = "anyrouter"


class _ParsedBody:
    __slots__ = ("value", "changed")

    def __init__(self, value: object) -> None:
        self.value = value
        self.changed = False


_bodies: weakref.WeakKeyDictionary[http.HTTPFlow, _ParsedBody] = weakref.WeakKeyDictionary()


def state(flow: http.HTTPFlow) -> dict:
    return flow.metadata.setdefault(_KEY, {})


def route_of(flow: http.HTTPFlow) -> Route:
    value = flow.metadata.get(_KEY, {}).get("route")
    return Route(value) if value else Route.PASSTHROUGH


def request_json(flow: http.HTTPFlow) -> object:
    """The request body parsed as JSON (None when it is not JSON, strictly: no NaN, no
    nesting deeper than Python can follow), parsed once per flow."""
    parsed = _bodies.get(flow)
    if parsed is None:
        try:
            value = load_json(flow.request.get_content(strict=False) or b"")
        except ValueError:
            value = None
        parsed = _bodies[flow] = _ParsedBody(value)
    return parsed.value


def replace_request_json(flow: http.HTTPFlow, value: dict) -> None:
    parsed = _bodies.setdefault(flow, _ParsedBody(value))
    parsed.value = value
    parsed.changed = True


def mark_request_json_changed(flow: http.HTTPFlow) -> None:
    _bodies[flow].changed = True


class RequestBodyWriter:
    """Last in the chain: serialises the request body once if any addon changed it."""

    def request(self, flow: http.HTTPFlow) -> None:
        parsed = _bodies.get(flow)
        if parsed is not None and parsed.changed and flow.response is None:
            flow.request.content = json.dumps(parsed.value, ensure_ascii=False).encode()
            parsed.changed = False
