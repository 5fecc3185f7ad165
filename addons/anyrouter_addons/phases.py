"""The phases of anyrouter's addon chain, and the one addon that finishes every hook.

mitmproxy runs each hook through the addons in list order, and anyrouter's correctness
depends on that order: credentials are taken out first, a request is translated before it is
rewritten, the body is written once after every edit, the upstream key is put on the wire
after every change of the headers. Each addon says which phase it belongs to (its `phase`
attribute), and `in_phase_order` sorts the chain by phase, so the order is decided by what
each addon is, not by where it sits in a list. An addon without a phase (one a user adds)
runs with the rewrites.

`Finish` is the final phase, always last: it writes the request body, seals the credentials
into the bytes the upstream gets, scrubs keys from error answers, and publishes the flow's
state for mitmweb and saved flows. Nothing can run after it inside anyrouter's chain.
"""

from __future__ import annotations

import enum
import inspect
import logging
from typing import TYPE_CHECKING

from mitmproxy import http

from .flow_state import begin_another_attempt, keep_client_request, publish, route_of, write_request_body
from .mitmproxy_compat import ANOTHER_ATTEMPT_HOOK

if TYPE_CHECKING:
    from .credential_vault import CredentialVault

log = logging.getLogger("anyrouter")


class Phase(enum.IntEnum):
    CLASSIFY = 5  # which route, which client protocol: everything below depends on it
    ARRIVE = 10  # take the client's credentials out of the flow, header hygiene
    CHECK = 20  # refuse or answer locally: wrong method, body too big, /health, /v1/models
    KEYS = 30  # access tokens and the upstream key; on the answer, retries with another key
    TRANSLATE = 40  # the client's request in the upstream's protocol, and its answer back
    REWRITE = 50  # system prompt, model names, header rules: on what the upstream receives
    ADDRESS = 55  # the chosen upstream's host, port and base path, after the rewrites
    STREAM = 60  # streams passed through unchanged
    WATCH = 65  # timeouts on a silent upstream: after every addon that answers or streams
    # The answer's usage: after every step that installs a stream callable (TRANSLATE,
    # REWRITE, STREAM, WATCH), so that its own wraps them all and reads the upstream's bytes
    # before any of them; before OUTCOME, which turns error answers into the client's shape.
    METER = 67
    OUTCOME = 70  # upstream errors and failures in the client's protocol, token estimates
    REPORT = 80  # stats, the access log line, views
    FINISH = 90  # `Finish`: body written, credentials sealed, state published


def phase_of(addon: object) -> Phase:
    return getattr(addon, "phase", Phase.REWRITE)


def in_phase_order(addons: list) -> list:
    """`addons` sorted by phase; within a phase, in the order given."""
    return sorted(addons, key=phase_of)


class Finish:
    phase = Phase.FINISH

    def __init__(self, vault: CredentialVault) -> None:
        self.vault = vault

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        publish(flow)

    def request(self, flow: http.HTTPFlow) -> None:
        try:
            write_request_body(flow)
        finally:
            # Whatever happened before, the credentials go on the wire only: never a request
            # upstream with a fingerprint for a key, nor a flow showing one.
            self.vault.seal_request(flow)
            publish(flow)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        publish(flow)

    def response(self, flow: http.HTTPFlow) -> None:
        self.vault.scrub_answer(flow)
        publish(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        publish(flow)


class Pipeline:
    """The one addon mitmproxy sees: it runs anyrouter's steps, in phase order, for every hook.

    mitmproxy dispatches each hook to each addon of its chain through a generator, a context
    manager and an attribute lookup per addon; with some twenty steps that cost more than the
    steps themselves on a pass-through request. Here each hook has the list of the steps that
    handle it, made once. A step whose hook returns an awaitable (a health probe, a retry) is
    awaited before the next step runs, as mitmproxy would; every other hook stays synchronous.
    A step that raises in a flow's hook is logged and the others still run, as with separate
    addons; errors in load and configure reach mitmproxy, which refuses a bad option. The
    steps' commands (`anyrouter.stats`) are the pipeline's, so mitmproxy finds them.

    A request can go upstream more than once (another key, another upstream), and the steps'
    order decides each attempt as it decided the first: so the pipeline keeps the client's
    request before any step changes it, and on anyrouter's own hook for another attempt
    (`mitmproxy_compat.AnotherAttemptHook`) lets the steps that choose it say what it is
    (`prepare_another_attempt`), starts the flow again from the client's request, and runs
    the request phase again.
    """

    def __init__(self, steps: list) -> None:
        self.steps = in_phase_order(steps)
        for name in sorted({name for step in self.steps for name in _hook_names(step)}):
            setattr(self, name, self._dispatcher(name, [getattr(step, name) for step in self.steps
                                                        if callable(getattr(step, name, None))]))
        # The request phase runs behind `request` below, which keeps the client's request first.
        self._run_request_phase = self.__dict__.pop("request", None)
        self._preparers = [step.prepare_another_attempt for step in self.steps
                           if callable(getattr(step, "prepare_another_attempt", None))]
        for step in self.steps:
            for name, method in _commands(step):
                setattr(self, name, method)

    def request(self, flow: http.HTTPFlow):
        if route_of(flow).client_protocol is not None:
            keep_client_request(flow)
        return self._run_request_phase(flow) if self._run_request_phase else None

    def anyrouter_another_attempt(self, flow: http.HTTPFlow):
        for prepare in self._preparers:
            prepare(flow)
        begin_another_attempt(flow)
        return self.request(flow)

    def step(self, cls: type):
        return next(step for step in self.steps if isinstance(step, cls))

    @staticmethod
    def _dispatcher(hook: str, handlers: list):
        if hook in _LIFECYCLE:
            return _lifecycle_dispatcher(hook, handlers)

        def run(*args):
            for position, handler in enumerate(handlers):
                result = _call(hook, handler, args)
                if result is not None and inspect.isawaitable(result):
                    return _run_rest(hook, result, handlers[position + 1:], args)
            return None

        run.__name__ = hook
        return run


# The mitmproxy hooks anyrouter's steps may handle (a step's other methods are its own).
HOOKS = (
    "load", "configure", "running", "done",
    "requestheaders", "request", "responseheaders", "response", "error",
    "server_connect", "server_connected", "server_connect_error", "server_disconnected",
    "client_connected", "client_disconnected",
)


assert Pipeline.anyrouter_another_attempt.__name__ == ANOTHER_ATTEMPT_HOOK

# Errors in these reach mitmproxy (a bad option value must be refused, a failed load seen).
_LIFECYCLE = frozenset({"load", "configure", "running", "done"})


def _lifecycle_dispatcher(hook: str, handlers: list):
    def run(*args):
        for handler in handlers:
            handler(*args)

    run.__name__ = hook
    return run


def _hook_names(step: object) -> set[str]:
    return {name for name in HOOKS if callable(getattr(step, name, None))}


def _commands(step: object):
    """The step's methods decorated with `@command.command`, bound to the step. Looked up on
    the class, so that no property of the step is evaluated before mitmproxy has options."""
    cls = type(step)
    for name in dir(cls):
        function = getattr(cls, name)
        if isinstance(getattr(function, "command_name", None), str):
            yield name, getattr(step, name)


def _call(hook: str, handler, args: tuple):
    try:
        return handler(*args)
    except Exception:
        log.exception("anyrouter: %s failed in its %s hook", _owner(handler), hook)
        return None


async def _run_rest(hook: str, pending, rest: list, args: tuple) -> None:
    try:
        await pending
    except Exception:
        log.exception("anyrouter: a step failed in its %s hook", hook)
    for handler in rest:
        result = _call(hook, handler, args)
        if result is not None and inspect.isawaitable(result):
            try:
                await result
            except Exception:
                log.exception("anyrouter: %s failed in its %s hook", _owner(handler), hook)


def _owner(handler) -> str:
    return type(getattr(handler, "__self__", handler)).__name__
