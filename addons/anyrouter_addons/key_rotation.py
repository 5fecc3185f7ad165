"""API keys: which key each upstream request carries, access tokens, failover and cooldown.

The key pools themselves (rotation, health, stats) are `anyrouter_core.key_pool`; this addon
reads the options, puts exactly one key in the header the upstream's protocol expects, and
retries an upstream error with the next healthy key before anything reached the client. A
retry waits for its whole answer at most `upstream_timeout` (`UpstreamTimeouts`, passed in).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from mitmproxy import ctx, exceptions, http

from anyrouter_core.errors import ProxyError, parse_upstream_error
from anyrouter_core.key_pool import Cooldowns, KeyPool, KeyPools, should_retry
from anyrouter_core.keys import parse_key_list, token_allowed
from anyrouter_core.protocols import protocol_named

from . import upstream_client
from .credential_vault import CredentialVault
from .upstream_timeouts import UpstreamTimeouts
from .flow_state import route_of, state_of
from .responses import answer_locally, error_response
from .phases import Phase

log = logging.getLogger("anyrouter")

_NOT_FORWARDED = (b"content-length", b"transfer-encoding", b"connection", b"keep-alive")


def read_key_option(name: str, value: str) -> list[str]:
    """A key list option: comma-separated keys, or `@path` to a file with one key a line."""
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            value = path.read_text()
        except OSError as exc:
            raise exceptions.OptionsError(f"{name}: cannot read {path}: {exc.strerror}") from None
    try:
        return parse_key_list(value)
    except ValueError as exc:
        raise exceptions.OptionsError(f"{name}: {exc}") from None


def protocol_for(flow: http.HTTPFlow) -> str:
    """The error shape a client understands: its own protocol, else the upstream's."""
    state = state_of(flow)
    return state.client_protocol or state.upstream_protocol


class _Attempts:
    """The keys one flow has used, the latest last. The keys stay here, never on the flow."""

    __slots__ = ("pool", "tried")

    def __init__(self, pool: KeyPool, key: str) -> None:
        self.pool = pool
        self.tried = [key]


class KeyRotation:
    phase = Phase.KEYS

    def __init__(self, vault: CredentialVault, timeouts: UpstreamTimeouts) -> None:
        self.vault = vault
        self.timeouts = timeouts
        self.pools = KeyPools()
        self.tokens: list[str] = []

    def load(self, loader) -> None:
        loader.add_option(
            "upstream_keys", str, "",
            "Upstream API keys used instead of the client's: comma-separated, or @path to a "
            "file with one key a line (# comments). Requests rotate over them.",
        )
        loader.add_option(
            "access_tokens", str, "",
            "Tokens clients must present (x-api-key, Authorization: Bearer, x-goog-api-key or ?key=) when "
            "upstream_keys is set; same forms. Without one a request gets 401.",
        )
        loader.add_option(
            "key_retries", int, 2,
            "How many times an upstream error answered before any body was streamed is "
            "retried with the next healthy key.",
        )
        loader.add_option("key_auth_cooldown", int, 3600, "Seconds a key rests after a 401, 402 or 403.")
        loader.add_option(
            "key_rate_limit_cooldown", int, 60, "Seconds a key rests after a 429 without a usable retry-after."
        )
        loader.add_option(
            "key_error_cooldown", int, 30, "Seconds a key rests after a 5xx, 529 or connection error."
        )

    def configure(self, updated: set[str]) -> None:
        options = ctx.options
        if "upstream_keys" in updated:
            self.pools.set_server_keys(read_key_option("upstream_keys", options.upstream_keys))
        if "access_tokens" in updated:
            self.tokens = read_key_option("access_tokens", options.access_tokens)
        if self.tokens and self.pools.server_pool is None:
            raise exceptions.OptionsError(
                "access_tokens needs upstream_keys: clients present a token instead of a key, "
                "so the proxy must have upstream keys of its own to send"
            )
        if options.key_retries < 0:
            raise exceptions.OptionsError(f"key_retries must be 0 or more, not {options.key_retries}")
        if updated & {"key_auth_cooldown", "key_rate_limit_cooldown", "key_error_cooldown"}:
            try:
                self.pools.cooldowns = Cooldowns(
                    options.key_auth_cooldown, options.key_rate_limit_cooldown, options.key_error_cooldown
                )
            except ValueError as exc:
                raise exceptions.OptionsError(f"key cooldowns: {exc}") from None

    def token_presented(self, flow: http.HTTPFlow) -> bool:
        """True when no access tokens are configured, or the request carries one of them."""
        return not self.tokens or token_allowed(self.vault.presented(flow), self.tokens)

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response or route_of(flow).is_local:
            return
        if not self.token_presented(flow):
            error = ProxyError(401, "a valid access token is required (x-api-key or Authorization: Bearer)")
            answer_locally(flow, error_response(protocol_for(flow), error))
            return
        pool = self.pools.server_pool or self.client_pool(flow, self.vault.presented(flow))
        if pool is None:
            return
        key = pool.choose(time.time())
        state_of(flow).attempts = _Attempts(pool, key)
        # Exactly one key, in one header: never the other protocol's form beside it, nor the
        # client's key or token where it came.
        self.vault.take_presented(flow)
        name, value = protocol_named(state_of(flow).upstream_protocol).credential_header(key)
        self.vault.send_key(flow, name, value, key)
        state = state_of(flow)
        state.key, state.retries = pool.label(key), 0

    def client_pool(self, flow: http.HTTPFlow, presented: str | None) -> KeyPool | None:
        if presented is None:
            return None
        try:
            return self.pools.client_pool(parse_key_list(presented))
        except ValueError as exc:
            answer_locally(flow, error_response(protocol_for(flow), ProxyError(401, f"unusable API key: {exc}")))
            return None

    def response(self, flow: http.HTTPFlow):
        """Records the outcome; a coroutine (the retries) only when the answer is worth retrying."""
        attempts = state_of(flow).attempts
        response = flow.response
        if attempts is None or response is None or state_of(flow).local:
            return None
        self.record(attempts, response.status_code, response)
        return self.retry_while_worth_it(flow, attempts) if self.worth_retrying(flow, attempts) else None

    async def retry_while_worth_it(self, flow: http.HTTPFlow, attempts: _Attempts) -> None:
        while self.worth_retrying(flow, attempts):
            key = attempts.pool.next_untried(attempts.tried, time.time())
            if key is None:
                break
            attempts.tried.append(key)
            await self.retry_with(flow, attempts, key)

    def worth_retrying(self, flow: http.HTTPFlow, attempts: _Attempts) -> bool:
        response = flow.response
        assert response
        # A streamed answer has reached the client already: too late to take it back.
        already_streamed = bool(response.stream) and response.status_code < 400
        return (
            not already_streamed
            and should_retry(response.status_code)
            and len(attempts.tried) <= ctx.options.key_retries
        )

    async def retry_with(self, flow: http.HTTPFlow, attempts: _Attempts, key: str) -> None:
        request = flow.request
        path, fields = self.vault.wire_request(flow)
        wire_headers = http.Headers(fields)  # a copy: the flow keeps showing fingerprints
        name, value = protocol_named(state_of(flow).upstream_protocol).credential_header(key)
        wire_headers[name] = value
        self.vault.remember_sent(flow, key)
        state = state_of(flow)
        state.key, state.retries = attempts.pool.label(key), len(attempts.tried) - 1
        try:
            answer = await upstream_client.send(
                scheme=request.scheme,
                host=request.host,
                port=request.port,
                method=request.method,
                path=path,
                headers=list(wire_headers.fields),
                body=request.raw_content or b"",
                timeout=self.timeouts.limit or None,  # 0: no limit
                verify_tls=not ctx.options.ssl_insecure,
            )
        except (OSError, TimeoutError) as exc:
            attempts.pool.record(key, None, time.time(), message=f"retry failed: {exc}")
            log.info("retry with key %s could not reach the upstream: %s", state.key, exc)
            return
        headers = [(name, value) for name, value in answer.headers if name.lower() not in _NOT_FORWARDED]
        flow.response = http.Response.make(answer.status, answer.body, headers)
        self.record(attempts, answer.status, flow.response)

    @staticmethod
    def record(attempts: _Attempts, status: int, response: http.Response) -> None:
        message = ""
        if status >= 400:
            content = response.get_content(strict=False) or b""
            message = parse_upstream_error(status, response.headers.get("content-type", ""), content).message
        attempts.pool.record(
            attempts.tried[-1], status, time.time(),
            retry_after=response.headers.get("retry-after"), message=message,
        )

    def error(self, flow: http.HTTPFlow) -> None:
        attempts = state_of(flow).attempts
        if attempts is not None and flow.error is not None:
            attempts.pool.record(attempts.tried[-1], None, time.time(), message=flow.error.msg)

