"""The model and stream form of a request whose protocol says them in its path (Gemini:
`/v1beta/models/{model}:streamGenerateContent`), for the steps that read them from the body.

`lift_path_fields` puts them into the parsed body when the client's request arrives (see
`anyrouter_core.codecs.gemini.paths`), without marking the body changed: a request passed
through unchanged keeps its bytes. `lower_path_fields` takes them out again for an upstream
of such a protocol, after every rewrite (the model map may have renamed the model), and
writes them into its path.
"""

from __future__ import annotations

from mitmproxy import http

from anyrouter_core.protocols import PathCalls, protocol_named
from anyrouter_core.routes import RouteKind

from .flow_state import request_json, route_of, state_of

_CALL_ROUTES = (RouteKind.CONVERSATION, RouteKind.COUNT_TOKENS)


def _path_calls(protocol: str | None) -> PathCalls | None:
    return protocol_named(protocol).path_calls if protocol is not None else None


def client_call(flow: http.HTTPFlow) -> object | None:
    """The call the client's path names, when its protocol names calls in paths."""
    path_calls = _path_calls(state_of(flow).client_protocol)
    if path_calls is None or route_of(flow).kind not in _CALL_ROUTES:
        return None
    return path_calls.call(flow.request.path)


def lift_path_fields(flow: http.HTTPFlow) -> object | None:
    """The client's call, its model and stream form now in the parsed body too."""
    call = client_call(flow)
    if call is None:
        return None
    path_calls = _path_calls(state_of(flow).client_protocol)
    state_of(flow).client_array_stream = path_calls.array_stream(call)
    body = request_json(flow)
    if isinstance(body, dict):
        state_of(flow).body = path_calls.lift(call, body)
    return call


def lower_path_fields(flow: http.HTTPFlow) -> None:
    """For an upstream whose protocol names calls in paths: the path the body's lifted fields
    name, and the body without them."""
    state = state_of(flow)
    path_calls = _path_calls(state.upstream_protocol)
    if flow.response is not None or path_calls is None:
        return
    call = client_call(flow)
    # Another client's conversation reaches such an upstream translated; anything else of
    # another client (its count-tokens route, a passed-through path) keeps its own path.
    if call is None and not (state.translation and route_of(flow).kind is RouteKind.CONVERSATION):
        return
    body = request_json(flow)
    if not isinstance(body, dict):
        return
    flow.request.path, state.body = path_calls.lowered(body, call)
