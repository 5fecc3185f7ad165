"""Another attempt while nothing has reached the client: the next key, then the next upstream.

When an upstream's answer is complete and none of it has reached the client, or the upstream
failed before anything did, mitmproxy asks `wants_another_attempt` first
(`mitmproxy_compat.install_another_attempts`). The answer is yes when:
- another key of the same upstream may help (`KeyRotation.another_key_may_help`: 401, 402,
  403, 429 or 5xx, a healthy key left untried, `key_retries` not spent); else
- the upstream itself failed (no connection, a timeout, 5xx, 529, 429, an HTML page where an
  API answer belongs) and the route names a fallback not tried yet (`Routing`).
Then the pipeline runs the request phase again from the client's request (`phases.Pipeline`):
the request is translated for the next upstream's protocol and carries its key, and the new
answer streams to the client as it arrives. Once the first byte of an answer has reached the
client there is no other attempt: a stream that breaks ends with an error event as always.
"""

from __future__ import annotations

import enum
import logging

from mitmproxy import http

from .attempt_outcome import outcome_of, upstream_failed
from .flow_state import state_of
from .key_rotation import KeyRotation
from .mitmproxy_compat import install_another_attempts, uninstall_another_attempts
from .phases import Phase
from .routing import Routing

log = logging.getLogger("anyrouter")


class _Next(enum.Enum):
    ANOTHER_KEY = "another key"
    NEXT_UPSTREAM = "the next upstream"


class Attempts:
    phase = Phase.KEYS

    def __init__(self, keys: KeyRotation, routing: Routing) -> None:
        self.keys = keys
        self.routing = routing

    def load(self, loader) -> None:
        install_another_attempts(self.wants_another_attempt)

    def done(self) -> None:
        uninstall_another_attempts()

    def next_attempt(self, flow: http.HTTPFlow) -> _Next | None:
        state = state_of(flow)
        if state.local or state.client_snapshot is None:
            return None
        if self.keys.another_key_may_help(flow):
            return _Next.ANOTHER_KEY
        if upstream_failed(flow) and self.routing.has_fallback(flow):
            return _Next.NEXT_UPSTREAM
        return None

    def wants_another_attempt(self, flow: http.HTTPFlow) -> bool:
        return self.next_attempt(flow) is not None

    def prepare_another_attempt(self, flow: http.HTTPFlow) -> None:
        """Records how the attempt ended and decides where the next one goes; the pipeline
        then runs the request phase again."""
        following = self.next_attempt(flow)
        state = state_of(flow)
        outcome = outcome_of(flow)
        self.keys.record_attempt(flow)
        self.routing.record_attempt(flow)
        where = self.routing.upstream_label(state)
        state.attempts = [*(state.attempts or []), f"{where} key {state.key or '-'}: {outcome}"]
        state.retries = (state.retries or 0) + 1
        if following is _Next.NEXT_UPSTREAM:
            self.routing.take_fallback(flow)
        log.info(
            "%s %s: %s answered %s; trying %s",
            flow.request.method, flow.request.path, where, outcome, (following or _Next.ANOTHER_KEY).value,
        )
