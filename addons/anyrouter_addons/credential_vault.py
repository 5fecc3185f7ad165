"""Keeps API keys and access tokens out of every flow that anyone can see or save.

mitmweb shows flows live (its `/flows` API and websocket read the flow objects at any time),
and `-w` saves them. So the credentials a client sends are taken out of the request at
`requestheaders`, the first hook, and kept here; the flow shows fingerprints (`sk-…a1b2`).
The key the upstream must get never enters the flow's headers either: the request carries
`WireOnlyHeaders`, whose fields (what mitmweb, saved flows and every addon see) hold the
fingerprint, while the bytes mitmproxy's HTTP/1 client writes to the upstream hold the key.
Upstream connections are therefore kept on HTTP/1.1.
"""

from __future__ import annotations

import weakref

from mitmproxy import http
from mitmproxy.proxy import server_hooks

from anyrouter_core.keys import client_credential, fingerprint, redact_credential

CREDENTIAL_HEADERS = ("authorization", "x-api-key")


class WireOnlyHeaders(http.Headers):
    """Headers whose one secret value appears only in their wire form, `bytes(headers)`."""

    def __init__(self, fields, secret_name: str, shown: str, real: str) -> None:
        super().__init__(fields)
        self._secret = (secret_name.lower().encode(), shown.encode(), real.encode())

    def __bytes__(self) -> bytes:
        name, shown, real = self._secret
        fields = tuple(
            (key, real) if key.lower() == name and value == shown else (key, value) for key, value in self.fields
        )
        return bytes(http.Headers(fields))


class _Secrets:
    __slots__ = ("presented", "header", "real", "shown")

    def __init__(self, presented: str | None) -> None:
        self.presented = presented
        self.header: str | None = None
        self.real = ""
        self.shown = ""


class CredentialVault:
    def __init__(self) -> None:
        self._secrets: weakref.WeakKeyDictionary[http.HTTPFlow, _Secrets] = weakref.WeakKeyDictionary()

    def presented(self, flow: http.HTTPFlow) -> str | None:
        """The key (or comma-separated keys, or access token) the client sent."""
        secrets = self._secrets.get(flow)
        return secrets.presented if secrets else None

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        headers = flow.request.headers
        self._secrets[flow] = _Secrets(client_credential(headers.get("authorization"), headers.get("x-api-key")))
        for name in CREDENTIAL_HEADERS:
            values = headers.get_all(name)
            if values:
                headers.set_all(name, [redact_credential(value) for value in values])

    def send_key(self, flow: http.HTTPFlow, header: str, value: str, key: str) -> None:
        """The upstream gets `value` in `header`; the flow shows it with `key` fingerprinted."""
        secrets = self._secrets.setdefault(flow, _Secrets(None))
        secrets.header, secrets.real = header, value
        secrets.shown = value.replace(key, fingerprint(key))
        flow.request.headers[header] = secrets.shown

    def request(self, flow: http.HTTPFlow) -> None:
        # Last in the chain: every addon before may have changed or replaced the headers.
        secrets = self._secrets.get(flow)
        if secrets is not None and secrets.header and flow.response is None:
            flow.request.headers = WireOnlyHeaders(
                flow.request.headers.fields, secrets.header, secrets.shown, secrets.real
            )

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        # Only the HTTP/1 client writes headers through `bytes(headers)`.
        data.server.alpn_offers = (b"http/1.1",)

    def response(self, flow: http.HTTPFlow) -> None:
        secrets = self._secrets.get(flow)
        response = flow.response
        if secrets is None or not secrets.header or response is None:
            return
        if response.status_code >= 400 and not response.stream:
            # Some upstreams quote the key they refused in their error message.
            content = response.get_content(strict=False) or b""
            key = secrets.real.split(" ")[-1].encode()
            if key and key in content:
                response.content = content.replace(key, fingerprint(key.decode()).encode())
