"""Keeps API keys, access tokens and every other credential out of every flow anyone can see or save.

mitmweb shows flows live (its `/flows` API and websocket read the flow objects at any time),
and `-w` saves them. So every credential carrier a client can send (`anyrouter_core.keys.
CREDENTIAL_CARRIERS`: the key headers, `Cookie`, the `key` query parameter) is taken out of
the request at `requestheaders`, the first hook, and kept here; the flow shows fingerprints
(`sk-…a1b2`). What the upstream must get never enters the flow either:

- headers: the request carries `WireOnlyHeaders`, whose fields (what mitmweb, saved flows and
  every addon see) hold the fingerprints, while the bytes mitmproxy's HTTP/1 client writes to
  the upstream hold the real values;
- the query parameter: the flow's path holds the fingerprint, and `WireRequestTargets` puts
  the real value in the request line as mitmproxy's HTTP/1 client writes it.

Upstream connections are therefore kept on HTTP/1.1. On a path that passes through, the
upstream gets every carrier as the client sent it; `KeyRotation` takes over only the key
headers and the carrier the client's key came in (`take_presented`).
"""

from __future__ import annotations

import urllib.parse

from mitmproxy import http
from mitmproxy.proxy import server_hooks

from anyrouter_core.keys import (
    CREDENTIAL_HEADERS,
    Presented,
    client_credential,
    fingerprint,
    keys_in,
    redact_carrier_value,
    redact_query,
    restore_query,
    without_query_parameter,
)
from anyrouter_core.protocols import PROTOCOLS

from .flow_state import state_of, state_of_request
from .mitmproxy_compat import (
    WireOnlyHeaders,
    install_request_targets,
    keep_upstream_on_http1,
    uninstall_request_targets,
)
from .phases import Phase

_ENCODING = ("utf-8", "surrogateescape")  # how mitmproxy turns header and path bytes into str
_CARRIER_HEADERS = frozenset(name.encode() for name in CREDENTIAL_HEADERS)
# Shorter strings than this are not looked for in upstream error bodies: they could be anything.
_QUOTABLE_LENGTH = 8

# (lower-case header name, value the flow shows) → the value the upstream gets
WireValues = dict[tuple[bytes, bytes], bytes]


def wire_fields(fields, wire_values: WireValues) -> tuple[tuple[bytes, bytes], ...]:
    """Header fields with every hidden value back as the upstream must get it."""
    return tuple((name, wire_values.get((name.lower(), value), value)) for name, value in fields)


class WireRequestTargets:
    """Request targets (path and query) the upstream gets in place of what the flow shows.

    While installed, mitmproxy's HTTP/1 client writes the request line of a request registered
    here with the real target (`mitmproxy_compat.install_request_targets`). Only the bytes on
    their way to the socket change; the flow keeps the path it shows.
    """

    @staticmethod
    def register(flow: http.HTTPFlow, real_path: str) -> None:
        """`flow`'s request head goes upstream with `real_path` instead of its current path."""
        state_of(flow).wire_target = (flow.request.data.path, real_path.encode(*_ENCODING))

    @staticmethod
    def target_of(request: http.Request) -> tuple[bytes, bytes] | None:
        state = state_of_request(request)
        return state.wire_target if state is not None else None

    def install(self) -> None:
        install_request_targets(self.target_of)

    def uninstall(self) -> None:
        uninstall_request_targets()


class _Secrets:
    __slots__ = ("presented", "wire_values", "query", "sent_keys")

    def __init__(self, presented: Presented | None) -> None:
        self.presented = presented
        self.wire_values: WireValues = {}
        self.query: dict[str, str] = {}  # shown query value → the value as sent (both still encoded)
        self.sent_keys: set[str] = set()  # the keys the proxy chose: see `remember_sent`

    def quotable(self) -> set[str]:
        """Every key that went upstream, as an upstream may quote it in an error message."""
        keys = set(self.sent_keys)
        for (name, _), real in self.wire_values.items():
            if name != b"cookie":
                keys.update(keys_in(real.decode(*_ENCODING)))
        keys.update(key for raw in self.query.values() for key in keys_in(urllib.parse.unquote_plus(raw)))
        return {key for key in keys if len(key) >= _QUOTABLE_LENGTH}


def _secrets_of(flow: http.HTTPFlow) -> _Secrets:
    state = state_of(flow)
    if state.secrets is None:
        state.secrets = _Secrets(None)
    return state.secrets


class CredentialVault:
    phase = Phase.ARRIVE

    def __init__(self) -> None:
        self.targets = WireRequestTargets()

    def load(self, loader) -> None:
        self.targets.install()

    def done(self) -> None:
        self.targets.uninstall()

    def presented(self, flow: http.HTTPFlow) -> str | None:
        """The key (or comma-separated keys, or access token) the client sent."""
        secrets = state_of(flow).secrets
        return secrets.presented.value if secrets and secrets.presented else None

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        request = flow.request
        secrets = state_of(flow).secrets = _Secrets(client_credential(request.headers, request.path))
        request.headers.fields = self._hidden_header_fields(request.headers.fields, secrets)
        shown_path, secrets.query = redact_query(request.path)
        if secrets.query:
            request.path = shown_path

    @staticmethod
    def _hidden_header_fields(fields, secrets: _Secrets) -> tuple[tuple[bytes, bytes], ...]:
        shown_fields = []
        for name, value in fields:
            lower = name.lower()
            if lower in _CARRIER_HEADERS:
                shown = redact_carrier_value(lower.decode(*_ENCODING), value.decode(*_ENCODING)).encode(*_ENCODING)
                secrets.wire_values[(lower, shown)] = value
                value = shown
            shown_fields.append((name, value))
        return tuple(shown_fields)

    def take_presented(self, flow: http.HTTPFlow) -> None:
        """Removes the client's credential from the request: both key headers, and the carrier
        it came in. The upstream then gets exactly the one key `send_key` puts in."""
        request = flow.request
        for protocol in PROTOCOLS.values():
            request.headers.pop(protocol.key_header, None)
        secrets = state_of(flow).secrets
        carrier = secrets.presented.carrier if secrets and secrets.presented else None
        if carrier is None:
            return
        if carrier.kind == "header":
            request.headers.pop(carrier.name, None)
        else:
            request.path = without_query_parameter(request.path, carrier.name)

    def send_key(self, flow: http.HTTPFlow, header: str, value: str, key: str) -> None:
        """The upstream gets `value` in `header`; the flow shows it with `key` fingerprinted."""
        secrets = _secrets_of(flow)
        shown = value.replace(key, fingerprint(key))
        secrets.wire_values[(header.lower().encode(), shown.encode(*_ENCODING))] = value.encode(*_ENCODING)
        secrets.sent_keys.add(key)
        flow.request.headers[header] = shown

    def remember_sent(self, flow: http.HTTPFlow, key: str) -> None:
        """`key` went upstream outside the flow (a retry): hide it in the answer too."""
        _secrets_of(flow).sent_keys.add(key)

    def seal_request(self, flow: http.HTTPFlow) -> None:
        """Puts the real credentials where only the bytes written upstream see them. Called by
        the final phase (`phases.Finish`): every addon before may have changed or replaced the
        headers or path."""
        secrets = state_of(flow).secrets
        if secrets is None or flow.response is not None:
            return
        request = flow.request
        if secrets.wire_values:
            wire_values = secrets.wire_values
            request.headers = WireOnlyHeaders(request.headers.fields, lambda fields: wire_fields(fields, wire_values))
        real_path = restore_query(request.path, secrets.query)
        if real_path != request.path:
            self.targets.register(flow, real_path)

    def wire_request(self, flow: http.HTTPFlow) -> tuple[str, tuple[tuple[bytes, bytes], ...]]:
        """The path and header fields of `flow`'s request as the upstream gets them."""
        secrets = _secrets_of(flow)
        request = flow.request
        return restore_query(request.path, secrets.query), wire_fields(request.headers.fields, secrets.wire_values)

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        # Only the HTTP/1 client writes headers through `bytes(headers)`, and its request line
        # is the one `WireRequestTargets` knows.
        keep_upstream_on_http1(data.server)

    def scrub_text(self, flow: http.HTTPFlow, text: str) -> str:
        """`text` (an upstream's error message) with every key the upstream got fingerprinted."""
        secrets = state_of(flow).secrets
        if secrets is None:
            return text
        # Longest first, so a key that is the start of another never hides the longer one.
        for key in sorted(secrets.quotable(), key=len, reverse=True):
            text = text.replace(key, fingerprint(key))
        return text

    def scrub_answer(self, flow: http.HTTPFlow) -> None:
        """Fingerprints every key the upstream got that its error answer quotes; called by the
        final phase, after every addon has rewritten the answer."""
        secrets = state_of(flow).secrets
        response = flow.response
        if secrets is None or response is None or response.status_code < 400 or response.stream:
            return
        # Some upstreams quote the key they refused in their error message.
        content = response.get_content(strict=False) or b""
        quoted = [key for key in secrets.quotable() if key.encode(*_ENCODING) in content]
        for key in quoted:
            content = content.replace(key.encode(*_ENCODING), fingerprint(key).encode())
        if quoted:
            response.content = content
