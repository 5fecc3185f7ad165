"""Keeps API keys and access tokens out of every flow that anyone can see or save.

mitmweb shows a flow as it is at the end of each hook, and `-w` saves it at `response` or
`error`. So the credentials a client sends are taken out of the request at `requestheaders`,
the first hook, and kept here; the flow shows fingerprints (`sk-…a1b2`) instead. The real
upstream key goes into the request only at the very end of the `request` hook chain, by
`LateKeyPlacer`, which this addon appends behind mitmproxy's own addons (mitmweb's view
included), and it is replaced by its fingerprint again at the next hook, before the
response or error is shown or saved.
"""

from __future__ import annotations

import weakref

from mitmproxy import ctx, http

from anyrouter_core.keys import client_credential, fingerprint, redact_credential

CREDENTIAL_HEADERS = ("authorization", "x-api-key")


class _Secrets:
    __slots__ = ("presented", "header", "real", "shown")

    def __init__(self, presented: str | None) -> None:
        self.presented = presented
        self.header: str | None = None
        self.real = ""
        self.shown = ""


class LateKeyPlacer:
    """Last in mitmproxy's whole chain: puts the real key in just before the request leaves."""

    def __init__(self, vault: CredentialVault) -> None:
        self.vault = vault

    def request(self, flow: http.HTTPFlow) -> None:
        secrets = self.vault.secrets(flow)
        if secrets is not None and secrets.header and flow.response is None:
            flow.request.headers[secrets.header] = secrets.real


class CredentialVault:
    def __init__(self) -> None:
        self._secrets: weakref.WeakKeyDictionary[http.HTTPFlow, _Secrets] = weakref.WeakKeyDictionary()
        self.late = LateKeyPlacer(self)

    def running(self) -> None:
        if self.late not in ctx.master.addons.chain:
            ctx.master.addons.add(self.late)

    def done(self) -> None:
        # Flows still in flight are saved by `-w` at shutdown: hide their keys first.
        for flow in list(self._secrets):
            self.hide(flow)
        if self.late in ctx.master.addons.chain:
            ctx.master.addons.remove(self.late)

    def secrets(self, flow: http.HTTPFlow) -> _Secrets | None:
        return self._secrets.get(flow)

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

    def hide(self, flow: http.HTTPFlow) -> None:
        secrets = self._secrets.get(flow)
        if secrets is None or not secrets.header:
            return
        flow.request.headers[secrets.header] = secrets.shown
        response = flow.response
        if response is not None and response.status_code >= 400 and not response.stream:
            # Some upstreams quote the key they refused in their error message.
            content = response.get_content(strict=False) or b""
            key = secrets.real.split(" ")[-1].encode()
            if key and key in content:
                response.content = content.replace(key, fingerprint(key.decode()).encode())

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        self.hide(flow)

    def response(self, flow: http.HTTPFlow) -> None:
        self.hide(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.hide(flow)
