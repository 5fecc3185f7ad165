"""Endpoints the proxy answers itself, without contacting the upstream: /health, /v1/models."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from mitmproxy import ctx, exceptions, http

from anyrouter_core import __version__
from anyrouter_core.model_catalog import DEFAULT_MODELS, parse_model_list
from anyrouter_core.protocols import UNMARKED_CLIENT, client_protocol_of, protocol_named
from anyrouter_core.routes import Route

from .flow_state import route_of, state_of
from .mitmproxy_compat import host_with_port
from .responses import answer_locally, json_response
from .phases import Phase

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

    def __init__(self) -> None:
        self.started = datetime.now(UTC)
        self.model_ids: list[str] = list(DEFAULT_MODELS)

    def load(self, loader) -> None:
        loader.add_option(
            "models",
            str,
            ",".join(DEFAULT_MODELS),
            "Model ids served at GET /v1/models, comma-separated.",
        )

    def configure(self, updated: set[str]) -> None:
        if "models" in updated:
            ids = parse_model_list(ctx.options.models)
            if not ids:
                raise exceptions.OptionsError(
                    "models must name at least one model id (comma-separated), e.g. "
                    "'claude-sonnet-4-5-20250929,claude-opus-4-6'"
                )
            self.model_ids = ids

    def request(self, flow: http.HTTPFlow):
        """A coroutine only for /health, which probes the upstream."""
        route = route_of(flow)
        if route is Route.HEALTH:
            return self.answer_health(flow)
        if route is Route.MODELS:
            answer_locally(flow, self.model_list(flow.request.headers))
        return None

    async def answer_health(self, flow: http.HTTPFlow) -> None:
        answer_locally(flow, await self.health(flow))

    async def health(self, flow: http.HTTPFlow) -> http.Response:
        request = flow.request
        reachable = await upstream_reachable(request.host, request.port)
        return json_response(
            200,
            {
                "status": "ok" if reachable else "degraded",
                "version": __version__,
                "upstream": f"{request.scheme}://{host_with_port(request.scheme, request.host, request.port)}",
                "upstream_reachable": reachable,
                "upstream_protocol": state_of(flow).upstream_protocol,
            },
        )

    def model_list(self, headers: http.Headers) -> http.Response:
        """The list in the shape of the client's protocol, told from its headers."""
        protocol = protocol_named(client_protocol_of(headers) or UNMARKED_CLIENT)
        return json_response(200, protocol.codec.model_list(self.model_ids, self.started))
