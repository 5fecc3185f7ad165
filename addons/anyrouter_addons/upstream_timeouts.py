"""No request waits on a silent upstream longer than `upstream_timeout`.

mitmproxy itself waits as long as the upstream keeps the connection open (or keeps trying to
open it). Here a watchdog per flow closes the upstream connection, or cancels the attempt to
open it, when nothing happens for too long: no connection, no answer, or no next piece of a
stream. mitmproxy then reports the failure, which `UpstreamFailures` turns into an error the
client understands. Each attempt of a flow (another key, another upstream) is watched on its
own, with the `timeout` of its upstream when a routes file gives one.
"""

from __future__ import annotations

import asyncio
import logging
import time

from mitmproxy import ctx, exceptions, http
from mitmproxy.proxy import server_hooks

from .flow_state import FlowState, chosen_upstream, state_of
from .mitmproxy_compat import close_upstream_connection, connection_attempt
from .phases import Phase

log = logging.getLogger("anyrouter")


class UpstreamTimeouts:
    phase = Phase.WATCH

    def __init__(self) -> None:
        self._connecting: dict[str, asyncio.Task] = {}

    def load(self, loader) -> None:
        loader.add_option(
            "upstream_timeout",
            int,
            120,
            "Seconds to wait for the upstream: to connect, for its answer, and between two "
            "pieces of a stream; each attempt (another key, another upstream) is timed on its own. "
            "0 waits forever.",
        )

    def configure(self, updated: set[str]) -> None:
        if "upstream_timeout" in updated and ctx.options.upstream_timeout < 0:
            raise exceptions.OptionsError(
                f"upstream_timeout must be 0 (no limit) or a number of seconds, not {ctx.options.upstream_timeout}"
            )

    @property
    def limit(self) -> int:
        return ctx.options.upstream_timeout

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        # Cancelling the attempt is the only way to end one that hangs. The flow's
        # `server_conn` is not the connection being opened, so attempts are found by their
        # client connection.
        task = connection_attempt()
        if task is not None:
            self._connecting[data.client.id] = task

    def server_connected(self, data: server_hooks.ServerConnectionHookData) -> None:
        self._connecting.pop(data.client.id, None)

    def server_connect_error(self, data: server_hooks.ServerConnectionHookData) -> None:
        self._connecting.pop(data.client.id, None)

    def limit_for(self, state: FlowState) -> int:
        """The flow's upstream's own timeout (a routes file's), else the option's."""
        upstream = chosen_upstream(state)
        return upstream.timeout if upstream is not None and upstream.timeout else self.limit

    def request(self, flow: http.HTTPFlow) -> None:
        self._stop_watching(flow)  # another attempt's: the previous one is over
        state = state_of(flow)
        limit = self.limit_for(state)
        if flow.response is None and limit:
            state.last_activity = time.monotonic()
            # A sleeping watchdog holds its flow: it is cancelled when its flow ends.
            state.watchdog = asyncio.get_running_loop().create_task(self._watch(flow, limit))

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        assert response
        state = state_of(flow)
        if state.last_activity is None:
            return
        state.last_activity = time.monotonic()
        if response.stream:
            response.stream = self._noting_activity(state, response.stream)

    @staticmethod
    def _noting_activity(state: FlowState, inner):
        def stream(piece: bytes):
            state.last_activity = time.monotonic()
            if callable(inner):
                return inner(piece)
            return piece

        return stream

    def response(self, flow: http.HTTPFlow) -> None:
        self._stop_watching(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._stop_watching(flow)

    @staticmethod
    def _stop_watching(flow: http.HTTPFlow) -> None:
        state = state_of(flow)
        state.last_activity = None
        if state.watchdog is not None:
            state.watchdog.cancel()
            state.watchdog = None

    async def _watch(self, flow: http.HTTPFlow, limit: int) -> None:
        state = state_of(flow)
        while (last := state.last_activity) is not None:
            left = last + limit - time.monotonic()
            if left > 0:
                await asyncio.sleep(left)
                continue
            state.last_activity = None
            connected = flow.client_conn.id not in self._connecting
            state.timed_out = (
                f"no answer from the upstream for {limit} s"
                if connected
                else f"could not connect to the upstream within {limit} s"
            )
            log.info("closing the upstream connection of %s: silent for %s s", flow.request.path, limit)
            self._close_upstream(flow)

    def _close_upstream(self, flow: http.HTTPFlow) -> None:
        connecting = self._connecting.pop(flow.client_conn.id, None)
        if connecting is not None:
            connecting.cancel()
            return
        close_upstream_connection(flow)
