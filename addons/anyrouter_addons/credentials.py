"""Puts the client's API key in the one header the upstream's protocol expects."""

from __future__ import annotations

from mitmproxy import ctx, http

from anyrouter_core.keys import client_credential, credential_header, fingerprint

from .flow_state import state


class Credentials:
    def request(self, flow: http.HTTPFlow) -> None:
        info = state(flow)
        if flow.response or "client_protocol" not in info:
            return
        headers = flow.request.headers
        key = client_credential(headers.get("authorization"), headers.get("x-api-key"))
        if key is None:
            return
        # Exactly one key, in one header: never the other protocol's form beside it.
        headers.pop("authorization", None)
        headers.pop("x-api-key", None)
        name, value = credential_header(ctx.options.upstream_protocol, key)
        headers[name] = value
        info["key"] = fingerprint(key)
