"""Endpoints the proxy answers itself, without contacting the upstream: /health (which probes
the reverse target and every upstream of a routes file), /v1/models (and Gemini's
/v1beta/models, /v1beta/models/{model})."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from mitmproxy import http

from anyrouter_core import __version__
from anyrouter_core.protocols import UNMARKED_CLIENT, client_protocol_of, protocol_named
from anyrouter_core.routes import Route, RouteKind

from .flow_state import route_of, state_of
from .mitmproxy_compat import host_with_port
from .responses import answer_locally, json_response
from .phases import Phase
from .routing import Routing

UPSTREAM_PROBE_SECONDS = 2.0


async def upstream_reachable(host: str, port: int) -> bool:
    """A TCP connect, so /health never says "ok" while the upstream cannot be reached."""
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), UPSTREAM_PROBE_SECONDS
        )
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


class LocalEndpoints:
    phase = Phase.CHECK

    def __init__(self, routing: Routing) -> None:
        self.routing = routing
        self.started = datetime.now(UTC)

    def request(self, flow: http.HTTPFlow):
        """A coroutine only for /health, which probes the upstream."""
        route = route_of(flow)
        if route is Route.HEALTH:
            return self.answer_health(flow)
        if route is Route.MODELS:
            answer_locally(flow, self.model_list(flow.request.headers))
        elif route.kind is RouteKind.MODELS:
            answer_locally(flow, self.models_at_path(route, flow.request.path))
        return None

    async def answer_health(self, flow: http.HTTPFlow) -> None:
        answer_locally(flow, await self.health(flow))

    async def health(self, flow: http.HTTPFlow) -> http.Response:
        request = flow.request
        declared = self.routing.declared_upstreams()
        reachable, *each = await asyncio.gather(
            upstream_reachable(request.host, request.port),
            *(upstream_reachable(upstream.host, upstream.port) for upstream in declared),
        )
        body = {
            "status": "ok" if reachable and all(each) else "degraded",
            "version": __version__,
            "upstream": f"{request.scheme}://{host_with_port(request.scheme, request.host, request.port)}",
            "upstream_reachable": reachable,
            "upstream_protocol": state_of(flow).upstream_protocol,
        }
        if self.routing.has_table:
            body["upstreams"] = {
                upstream.name: {"url": upstream.url, "protocol": upstream.protocol, "reachable": ok}
                for upstream, ok in zip(declared, each)
            }
        return json_response(200, body)

    def models_at_path(self, route: Route, path: str) -> http.Response:
        """A protocol's own model route whose path may name one model (Gemini's)."""
        path_calls = protocol_named(route.client_protocol).path_calls
        assert path_calls is not None
        return json_response(200, path_calls.models_at(path, self.routing.served_models(), self.started))

    def model_list(self, headers: http.Headers) -> http.Response:
        """The list in the shape of the client's protocol, told from its headers."""
        protocol = protocol_named(client_protocol_of(headers) or UNMARKED_CLIENT)
        return json_response(200, protocol.codec.model_list(self.routing.served_models(), self.started))
