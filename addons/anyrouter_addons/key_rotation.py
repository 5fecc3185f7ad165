"""API keys: which key each upstream request carries, access tokens, cooldown.

The key pools themselves (rotation, health, stats) are `anyrouter_core.key_pool`; this addon
reads the options, puts exactly one key in the header the upstream's protocol expects, and
tells the pool how each attempt went. Whether a failed attempt is tried again with the next
key is decided by `Attempts`, which asks `another_key_may_help`; the next attempt's request
phase then comes back here and takes a key the flow has not tried.
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

from .attempt_outcome import attempt_status
from .credential_vault import CredentialVault
from .flow_state import chosen_upstream, route_of, state_of
from .mitmproxy_compat import is_loopback, listen_hosts
from .responses import answer_locally, error_response
from .phases import Phase

log = logging.getLogger("anyrouter")


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


_LISTENER_OPTIONS = frozenset({"mode", "listen_host", "upstream_keys", "access_tokens", "routes", "open_relay"})


class _KeysTried:
    """The keys one flow has used from one pool, the latest last. The keys stay here, never
    on the flow."""

    __slots__ = ("pool", "keys")

    def __init__(self, pool: KeyPool) -> None:
        self.pool = pool
        self.keys: list[str] = []


class KeyRotation:
    phase = Phase.KEYS

    def __init__(self, vault: CredentialVault) -> None:
        self.vault = vault
        self.pools = KeyPools()
        self.tokens: list[str] = []
        self.open_relay = False

    def open_relay_problem(self, has_server_keys: bool) -> str | None:
        """Why server-side keys must not be served as configured, or None: a listener that
        other machines can reach, with no access tokens, would spend them for anyone."""
        if not has_server_keys or self.tokens or self.open_relay:
            return None
        exposed = [host for host in listen_hosts() if not is_loopback(host)]
        if not exposed:
            return None
        where = ", ".join(host or "every address (no listen host given)" for host in exposed)
        return (
            f"refusing to serve server-side keys on {where} without access_tokens: anyone who can "
            "reach the port would spend those keys. Set access_tokens, listen on 127.0.0.1 "
            "(--mode reverse:URL@127.0.0.1:PORT), or set open_relay=true if that is intended"
        )

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
            "open_relay", bool, False,
            "Allow server-side keys (upstream_keys, or keys in a routes file) on a listener "
            "other machines can reach without access_tokens. Off: such a proxy refuses to "
            "start, since anyone who can reach its port would spend those keys.",
        )
        loader.add_option(
            "key_retries", int, 2,
            "How many times an upstream error answered before anything reached the client is "
            "retried with the next healthy key of the same upstream.",
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
        if self.tokens and not self.pools.has_server_keys:
            raise exceptions.OptionsError(
                "access_tokens needs upstream_keys (or keys in the routes file): clients present "
                "a token instead of a key, so the proxy must have upstream keys of its own to send"
            )
        if "open_relay" in updated:
            self.open_relay = options.open_relay
        if updated & _LISTENER_OPTIONS:
            problem = self.open_relay_problem(self.pools.has_server_keys)
            if problem:
                raise exceptions.OptionsError(problem)
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
        pool = self.pool_for(flow)
        if pool is None:
            if self.tokens:
                self.vault.take_presented(flow)  # a token is for the proxy, never for an upstream
            return
        key = self.take_key(state_of(flow), pool)
        # Exactly one key, in one header: never the other protocol's form beside it, nor the
        # client's key or token where it came.
        self.vault.take_presented(flow)
        name, value = protocol_named(state_of(flow).upstream_protocol).credential_header(key)
        self.vault.send_key(flow, name, value, key)
        state_of(flow).key = pool.label(key)

    def scrub(self, flow: http.HTTPFlow, text: str) -> str:
        """`text` with every key of the pool the flow took its key from replaced by its label."""
        tried = state_of(flow).keys_tried
        return tried.pool.scrub(text) if tried is not None else text

    def pool_for(self, flow: http.HTTPFlow) -> KeyPool | None:
        """The keys the flow's upstream gets: a routes file upstream's own, else the server
        pool for the reverse target, else the client's (never an access token)."""
        upstream = chosen_upstream(state_of(flow))
        if upstream is not None:
            pool = self.pools.upstream_pool(upstream.name)
        else:
            pool = self.pools.server_pool
        if pool is not None or self.tokens:
            return pool
        return self.client_pool(flow, self.vault.presented(flow))

    @staticmethod
    def take_key(state, pool: KeyPool) -> str:
        """The next key in turn; on another attempt with the same pool, one not tried yet."""
        now = time.time()
        tried = state.keys_tried
        if tried is None or tried.pool is not pool:
            tried = state.keys_tried = _KeysTried(pool)
        key = pool.next_untried(tried.keys, now) if tried.keys else None
        key = key or pool.choose(now)
        tried.keys.append(key)
        return key

    def client_pool(self, flow: http.HTTPFlow, presented: str | None) -> KeyPool | None:
        if presented is None:
            return None
        try:
            return self.pools.client_pool(parse_key_list(presented))
        except ValueError as exc:
            answer_locally(flow, error_response(protocol_for(flow), ProxyError(401, f"unusable API key: {exc}")))
            return None

    def another_key_may_help(self, flow: http.HTTPFlow) -> bool:
        """Whether the attempt that just ended is worth trying again with another key of the
        same pool: the upstream answered (no key helps against a refused connection or a
        silence), with a status another key may change, a healthy key is left untried, and
        `key_retries` is not spent."""
        tried = state_of(flow).keys_tried
        status = attempt_status(flow)
        return (
            tried is not None
            and status is not None
            and should_retry(status)
            and len(tried.keys) <= ctx.options.key_retries
            and tried.pool.has_untried(tried.keys, time.time())
        )

    def record_attempt(self, flow: http.HTTPFlow) -> None:
        """Tells the pool how the attempt with the flow's latest key ended."""
        tried = state_of(flow).keys_tried
        if tried is None or not tried.keys or state_of(flow).local:
            return
        key, response, now = tried.keys[-1], flow.response, time.time()
        status = attempt_status(flow)
        if status is None:
            message = flow.error.msg if flow.error is not None else "no answer"
            tried.pool.record(key, None, now, message=message)
            return
        assert response is not None
        message = ""
        if status >= 400:
            content = response.get_content(strict=False) or b""
            message = parse_upstream_error(status, response.headers.get("content-type", ""), content).message
        tried.pool.record(key, status, now, retry_after=response.headers.get("retry-after"), message=message)

    def response(self, flow: http.HTTPFlow) -> None:
        self.record_attempt(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        if flow.error is not None:
            self.record_attempt(flow)
