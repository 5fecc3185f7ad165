"""What anyrouter knows about a flow: one `FlowState` per flow, kept beside it.

Every addon reads and writes the same object (`state_of(flow)`), instead of string keys in
`flow.metadata` and side stores of its own. What mitmweb and saved flows should show (route,
model, key fingerprint, …) is copied into `flow.metadata["anyrouter"]` as plain values by
`publish`, which the final phase calls at the end of every hook; the rest (the parsed body,
the keys a flow tried, the credentials the client sent) never leaves the process.

The parsed request body is kept here too: parsed once however many addons read it, and
written back once, in the final phase, after every addon has changed it.

A flow may send its request upstream more than once (another key, another upstream: see
`phases.Pipeline`): the client's request is kept as it arrived (`keep_client_request`), and
each new attempt starts from it with the fields of one attempt cleared (`begin_another_attempt`),
while what the flow as a whole learnt (its keys tried, its earlier attempts) stays.

mitmproxy's HTTP/1 layers see requests, not flows, so a state can be found from its request
as well (`state_of_request`), for what is decided at the moment bytes are written.
"""

from __future__ import annotations

import asyncio
import dataclasses
import weakref
from dataclasses import dataclass, field

from mitmproxy import http

from anyrouter_core.json_body import json_bytes, load_json
from anyrouter_core.routes import Route

METADATA_KEY = "anyrouter"
_UNPARSED = object()


@dataclass(slots=True, eq=False)
class FlowState:
    # Shown in mitmweb and saved flows (copied by `publish`; None is left out).
    route: Route | None = None
    client_protocol: str | None = None
    upstream_protocol: str | None = None
    model: str | None = None
    upstream_model: str | None = None
    stream: bool | None = None
    local: bool | None = None  # answered by the proxy itself
    translation: str | None = None  # "openai→anthropic"
    client_request: str | None = None  # the client's body, when the upstream got another
    key: str | None = None  # fingerprint of the key the upstream got
    retries: int | None = None
    upstream_error: str | None = None
    timed_out: str | None = None
    token_count: str | None = None  # "estimate" when the proxy estimated it
    system_prompt: str | None = None  # the mode, when a configured system prompt was put in
    error_shape: str | None = None  # the protocol of errors on a passed-through path
    rule: str | None = None  # the routes file's route that chose the upstream
    upstream: str | None = None  # the upstream's name in the routes file
    attempts: list[str] | None = None  # earlier attempts and how they ended: "relay: 529"
    # Tokens of the answer, from the upstream's own usage fields (neutral names: input is fresh
    # input, neither read from nor written to the cache): {"input", "cache_read",
    # "cache_write", "output", "reasoning"} (None: not reported), "estimated": True when the
    # proxy estimated them instead.
    usage: dict | None = None

    # Kept beside the flow only.
    body: object = field(default=_UNPARSED, metadata={"private": True})
    body_changed: bool = field(default=False, metadata={"private": True})
    exchange: object = field(default=None, metadata={"private": True})  # Translation's
    keys_tried: object = field(default=None, metadata={"private": True})  # KeyRotation's
    target: object = field(default=None, metadata={"private": True})  # Routing's choice
    client_snapshot: dict | None = field(default=None, metadata={"private": True})
    secrets: object = field(default=None, metadata={"private": True})  # CredentialVault's
    wire_target: tuple[bytes, bytes] | None = field(default=None, metadata={"private": True})
    renamed: object = field(default=None, metadata={"private": True})  # ModelMap's
    # The client reads its stream as one JSON array (a Gemini call without `alt=sse`).
    client_array_stream: bool = field(default=False, metadata={"private": True})
    last_activity: float | None = field(default=None, metadata={"private": True})
    watchdog: asyncio.Task | None = field(default=None, metadata={"private": True})
    ending: object = field(default=None, metadata={"private": True})  # UpstreamFailures'
    meter: object = field(default=None, metadata={"private": True})  # UsageMeter's
    # The upstream's answer is an event stream streamed translated, whatever content type the
    # client's stream has (a Gemini client's JSON array is application/json).
    upstream_event_stream: bool = field(default=False, metadata={"private": True})
    array_framer: object = field(default=None, metadata={"private": True})  # ArrayStreams'

    def shown(self) -> dict:
        """The plain values mitmweb and saved flows show."""
        shown = {}
        for name in _SHOWN_FIELDS:
            value = getattr(self, name)
            if value is not None:
                shown[name] = value.value if isinstance(value, Route) else value
        return shown


# What one attempt decides; a new attempt starts without it.
_ATTEMPT_FIELDS = (
    "upstream_model", "translation", "client_request", "key", "usage",
    "upstream_error", "timed_out", "system_prompt", "local",
    "body", "body_changed", "exchange", "wire_target", "renamed", "ending", "meter",
    "upstream_event_stream", "array_framer",
)
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(FlowState)}

_SHOWN_FIELDS = tuple(f.name for f in dataclasses.fields(FlowState) if not f.metadata.get("private"))
_states: weakref.WeakKeyDictionary[http.HTTPFlow, FlowState] = weakref.WeakKeyDictionary()
_by_request: weakref.WeakKeyDictionary[http.Request, FlowState] = weakref.WeakKeyDictionary()


def state_of(flow: http.HTTPFlow) -> FlowState:
    state = _states.get(flow)
    if state is None:
        state = _states[flow] = _by_request[flow.request] = FlowState()
    return state


def state_of_request(request: http.Request) -> FlowState | None:
    return _by_request.get(request)


def route_of(flow: http.HTTPFlow) -> Route:
    state = _states.get(flow)
    return state.route if state is not None and state.route is not None else Route.PASSTHROUGH


def keep_client_request(flow: http.HTTPFlow) -> None:
    """Keeps the request as the client sent it (credentials already hidden), once."""
    state = state_of(flow)
    if state.client_snapshot is None:
        state.client_snapshot = flow.request.get_state()


def begin_another_attempt(flow: http.HTTPFlow) -> None:
    """The flow's request is the client's again, with no answer and no error, and the state
    of the previous attempt is cleared."""
    state = state_of(flow)
    assert state.client_snapshot is not None, "keep_client_request was not called"
    flow.response = None
    flow.error = None
    flow.request.set_state(state.client_snapshot)
    for name in _ATTEMPT_FIELDS:
        setattr(state, name, _DEFAULTS[name])


def chosen_upstream(state: FlowState):
    """The routes file upstream the flow goes to (None: the reverse target), as `Routing` chose."""
    choice = state.target
    return choice.upstream if choice is not None else None


def publish(flow: http.HTTPFlow) -> None:
    state = _states.get(flow)
    if state is not None:
        flow.metadata[METADATA_KEY] = state.shown()


def request_json(flow: http.HTTPFlow) -> object:
    """The request body parsed as JSON (None when it is not JSON, strictly: no NaN, no
    nesting deeper than Python can follow), parsed once per flow."""
    state = state_of(flow)
    if state.body is _UNPARSED:
        try:
            state.body = load_json(flow.request.get_content(strict=False) or b"")
        except ValueError:
            state.body = None
    return state.body


def replace_request_json(flow: http.HTTPFlow, value: dict) -> None:
    state = state_of(flow)
    state.body, state.body_changed = value, True


def mark_request_json_changed(flow: http.HTTPFlow) -> None:
    state_of(flow).body_changed = True


def write_request_body(flow: http.HTTPFlow) -> None:
    """Serialises the request body once, if any addon changed it."""
    state = _states.get(flow)
    if state is not None and state.body_changed and flow.response is None:
        flow.request.content = json_bytes(state.body)
        state.body_changed = False
