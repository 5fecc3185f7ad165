"""Which protocol a client speaks, and which upstream each request goes to.

From method and path: the route (`anyrouter_core.protocols.classify`) and the client's
protocol. Then the upstream: with no routes file, the reverse target, speaking
`upstream_protocol`. With one (option `routes`, format in `anyrouter_core.routing`), the
first route whose match holds for the request chooses: its upstreams in order, those resting
after a failure last, each with its protocol, keys, header rules, system prompt, timeout and
model name. The routes file is read again when it changes (`WatchedFile`).

This step only decides (`state.target`); the steps after it act on the decision: the key
(`KeyRotation`), the translation, the rewrites, and the address the request goes to
(`UpstreamAddress`, after every rewrite). `Attempts` moves a flow to its route's next
upstream when one fails before anything reached the client.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mitmproxy import ctx, exceptions, http

from anyrouter_core.body_scan import scanned_model, scanned_stream
from anyrouter_core.errors import ProxyError
from anyrouter_core.header_rules import HeaderRule
from anyrouter_core.model_catalog import DEFAULT_MODELS, parse_model_list
from anyrouter_core.protocols import DEFAULT_UPSTREAM, PROTOCOLS, classify, protocol_named
from anyrouter_core.routing.request_facts import RequestFacts, facts_from_model, facts_of
from anyrouter_core.routing.routes_file import RoutesFileError, parse_routes
from anyrouter_core.routing.table import REVERSE_TARGET, RoutingRule, RoutingTable, Target, Upstream
from anyrouter_core.routing.upstream_health import UpstreamHealth

from .flow_state import FlowState, chosen_upstream, request_json, state_of
from .attempt_outcome import outcome_of, upstream_failed
from .key_rotation import KeyRotation
from .mitmproxy_compat import host_with_port
from .path_fields import lift_path_fields, lower_path_fields
from .phases import Phase
from .responses import answer_locally, error_response
from .watched_file import FileProblem, WatchedFile, read_utf8

log = logging.getLogger("anyrouter")



@dataclass(frozen=True, slots=True)
class Choice:
    """Where a flow goes: its route, the route's targets in the order to try them, and the
    position of the one the current attempt uses."""

    rule: RoutingRule
    targets: tuple[Target, ...]
    position: int
    upstream: Upstream | None  # None: the reverse target

    @property
    def target(self) -> Target:
        return self.targets[self.position]

    @property
    def upstream_name(self) -> str:
        return self.target.upstream


def upstream_header_rules(state: FlowState) -> tuple[HeaderRule, ...]:
    """The header rules of the upstream the flow's route chose (none without a routes file)."""
    choice = state.target
    return choice.upstream.header_rules if choice is not None and choice.upstream is not None else ()


def chosen_model(state: FlowState) -> str | None:
    """The model name the route gives the upstream, if it renames."""
    choice = state.target
    return choice.target.model if choice is not None else None


def describe_table(table: RoutingTable) -> str:
    upstreams, rules = len(table.upstreams), len(table.rules)
    return f"{upstreams} upstream{'' if upstreams == 1 else 's'}, {rules} route{'' if rules == 1 else 's'}"


class Routing:
    phase = Phase.CLASSIFY

    def __init__(self, keys: KeyRotation, clock: Callable[[], float] = time.monotonic) -> None:
        self.keys = keys
        self.upstream_protocol = DEFAULT_UPSTREAM
        self.file = WatchedFile("routes", "routes", self.read_table, describe_table, clock, self.refusal)
        self.health = UpstreamHealth()
        self._table: RoutingTable | None = None
        self.model_ids: list[str] = list(DEFAULT_MODELS)

    def load(self, loader) -> None:
        loader.add_option(
            "upstream_protocol",
            str,
            DEFAULT_UPSTREAM,
            "Protocol the upstream speaks: 'anthropic' (Messages API), 'openai' (Chat "
            "Completions), 'responses' (OpenAI Responses API) or 'gemini' (Gemini API). Clients of "
            "another protocol are "
            "translated. With a routes file: the protocol of the reverse target, its 'default' upstream.",
            choices=tuple(PROTOCOLS),
        )
        loader.add_option(
            "routes",
            str,
            "",
            "Path to a YAML or JSON routes file: named upstreams (url, protocol, keys, headers, "
            "system_prompt, timeout) and ordered routes (match on model, client, thinking, "
            "input_tokens_above, tool, tools, background; to one upstream or a list of "
            "fallbacks; model renames). Re-read when it changes. Empty: every request goes to the "
            "reverse target.",
        )
        loader.add_option(
            "models",
            str,
            ",".join(DEFAULT_MODELS),
            "Model ids served at GET /v1/models (and GET /v1beta/models to Gemini clients), comma-separated; with a routes file, after the "
            "model names its routes match on (those without a glob: *, ? or [).",
        )
        loader.add_option(
            "upstream_cooldown",
            int,
            30,
            "Seconds an upstream of a routes file rests after a failure (no connection, timeout, "
            "5xx, 529, 429, an HTML page): its routes try their other upstreams first meanwhile.",
        )

    def configure(self, updated: set[str]) -> None:
        # Read here only: every other step finds the upstream's protocol in the flow's state.
        if "upstream_protocol" in updated:
            if ctx.options.upstream_protocol not in PROTOCOLS:
                raise exceptions.OptionsError(
                    f"upstream_protocol must be one of {', '.join(PROTOCOLS)}, "
                    f"not {ctx.options.upstream_protocol!r}"
                )
            self.upstream_protocol = ctx.options.upstream_protocol
        if "upstream_cooldown" in updated:
            if ctx.options.upstream_cooldown < 0:
                raise exceptions.OptionsError(
                    f"upstream_cooldown must be 0 or more seconds, not {ctx.options.upstream_cooldown}"
                )
            self.health.rest_s = ctx.options.upstream_cooldown
        if "models" in updated:
            ids = parse_model_list(ctx.options.models)
            if not ids:
                raise exceptions.OptionsError(
                    "models must name at least one model id (comma-separated), e.g. "
                    "'claude-sonnet-4-5-20250929,claude-opus-4-6'"
                )
            self.model_ids = ids
        if "routes" in updated:
            self.use_table(self.file.load(ctx.options.routes))

    # -- the routes file

    @staticmethod
    def read_table(path: Path) -> RoutingTable:
        base = path.parent

        def read_text(name: str) -> str:
            return (base / Path(name).expanduser()).read_text(encoding="utf-8")

        try:
            return parse_routes(read_utf8(path), read_text)
        except RoutesFileError as exc:
            raise FileProblem(exc.line, exc.message) from None

    def refusal(self, table: RoutingTable) -> str | None:
        """A routes file whose keys an open listener would give away is refused."""
        has_keys = any(upstream.keys for upstream in table.upstreams.values())
        return self.keys.open_relay_problem(has_keys) if has_keys else None

    def use_table(self, table: RoutingTable | None) -> None:
        self._table = table
        upstreams = table.upstreams if table is not None else {}
        self.keys.pools.set_upstream_keys({name: upstream.keys for name, upstream in upstreams.items()})
        self.health.forget_all_but(set(upstreams) | {REVERSE_TARGET})

    def table(self) -> RoutingTable | None:
        table = self.file.current()
        if table is not self._table:
            self.use_table(table)
        return table

    @property
    def has_table(self) -> bool:
        return self._table is not None

    def declared_upstreams(self) -> list[Upstream]:
        return list(self._table.upstreams.values()) if self._table is not None else []

    def upstream_names(self) -> list[str]:
        """Every upstream requests may go to, the reverse target first."""
        table = self._table
        names = [REVERSE_TARGET] if table is None or self.uses_default(table) else []
        return names + ([name for name in table.upstreams if name != REVERSE_TARGET] if table else [])

    @staticmethod
    def uses_default(table: RoutingTable) -> bool:
        return REVERSE_TARGET in table.upstreams or any(
            target.upstream == REVERSE_TARGET for rule in table.rules for target in rule.targets
        )

    # -- hooks

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        route = classify(flow.request.method, flow.request.path, flow.request.headers)
        state = state_of(flow)
        state.route = route
        state.upstream_protocol = self.upstream_protocol
        if route.client_protocol:
            state.client_protocol = route.client_protocol

    def request(self, flow: http.HTTPFlow) -> None:
        state = state_of(flow)
        if state.client_protocol is None:
            return
        call = lift_path_fields(flow)
        if call is not None:
            state.model, state.stream = call.model, call.streams
        else:
            # Scanned, not parsed: a body passed through is never parsed just for the log line.
            content = flow.request.get_content(strict=False) or b""
            state.model = scanned_model(content)
            state.stream = scanned_stream(content)
        if flow.response is not None:
            return
        table = self.table()
        if table is None:
            return
        choice = state.target or self.choose(flow, table)
        if choice is None:
            answer_locally(flow, error_response(state.client_protocol, self.no_route(flow, table)))
            return
        self.apply(state, choice)

    def choose(self, flow: http.HTTPFlow, table: RoutingTable) -> Choice | None:
        rule = table.choose(self.facts(flow, table))
        if rule is None:
            return None
        names = [target.upstream for target in rule.targets]
        order = self.health.in_trying_order(names, time.time())
        targets = tuple(rule.targets[i] for i in order)
        return Choice(rule, targets, 0, table.upstream_of(targets[0]))

    def facts(self, flow: http.HTTPFlow, table: RoutingTable) -> RequestFacts:
        state = state_of(flow)
        protocol = state.client_protocol
        assert protocol is not None
        if not table.needs_body_facts:
            return facts_from_model(state.model, protocol)
        body = request_json(flow)
        if not isinstance(body, dict):
            return facts_from_model(state.model, protocol)
        try:
            return facts_of(protocol_named(protocol).codec.decode_request(body), protocol)
        except Exception:  # a body the codec refuses is refused by Translation, with a reason
            return facts_from_model(state.model, protocol)

    def apply(self, state: FlowState, choice: Choice) -> None:
        state.target = choice
        state.rule = choice.rule.name
        state.upstream = choice.upstream_name
        state.upstream_protocol = choice.upstream.protocol if choice.upstream else self.upstream_protocol

    def no_route(self, flow: http.HTTPFlow, table: RoutingTable) -> ProxyError:
        served = self.served_models()
        model = state_of(flow).model
        asked = f"model {model!r}" if model else "a request without a model"
        listed = ", ".join(served) if served else "none listed (every route matches on something else)"
        return ProxyError(
            404,
            f"no route of the routes file serves {asked}; models served: {listed}",
            "not_found_error",
        )

    def served_models(self) -> list[str]:
        """Every model a client can be told of: those the routes name, then the `models` option."""
        table = self._table
        return table.listed_models(self.model_ids) if table is not None else list(self.model_ids)

    # -- fallbacks, for `Attempts`

    def has_fallback(self, flow: http.HTTPFlow) -> bool:
        choice = state_of(flow).target
        return choice is not None and choice.position + 1 < len(choice.targets)

    def take_fallback(self, flow: http.HTTPFlow) -> None:
        state = state_of(flow)
        choice = state.target
        table = self._table
        assert choice is not None and table is not None
        position = choice.position + 1
        state.target = Choice(choice.rule, choice.targets, position, table.upstream_of(choice.targets[position]))

    def record_attempt(self, flow: http.HTTPFlow) -> None:
        """Counts the attempt that just ended for the upstream it went to."""
        state = state_of(flow)
        if state.local or state.client_protocol is None:
            return
        response = flow.response
        message = state.upstream_error or (flow.error.msg if flow.error is not None else "")
        seconds = None
        if response is not None and response.timestamp_end:
            seconds = response.timestamp_end - flow.request.timestamp_start
        self.health.record(
            self.upstream_label(state), outcome_of(flow), failed=upstream_failed(flow), seconds=seconds, now=time.time(),
            message=message,
        )

    def response(self, flow: http.HTTPFlow) -> None:
        self.record_attempt(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.record_attempt(flow)

    @staticmethod
    def upstream_label(state: FlowState) -> str:
        return state.upstream or REVERSE_TARGET


class UpstreamAddress:
    """Sends the request to the upstream its route chose: the path its protocol wants (the
    model and method in it, for Gemini), scheme, host, port, and the base URL's path before
    the API's path. After every rewrite, so header rules see the API's own path and the model
    map's name reaches a path; the reverse target needs no address."""

    phase = Phase.ADDRESS

    def request(self, flow: http.HTTPFlow) -> None:
        lower_path_fields(flow)
        upstream = chosen_upstream(state_of(flow))
        if flow.response is not None or upstream is None:
            return
        request = flow.request
        request.scheme, request.host, request.port = upstream.scheme, upstream.host, upstream.port
        # An option of mitmproxy's proxy server (absent where it is not loaded, as in tests).
        if not ("keep_host_header" in ctx.options and ctx.options.keep_host_header):
            request.host_header = host_with_port(upstream.scheme, upstream.host, upstream.port)
        request.path = joined_path(upstream.path_prefix, request.path)


def joined_path(prefix: str, path: str) -> str:
    """The API's path under a base URL's path: `/api` + `/v1/messages` → `/api/v1/messages`;
    a base that ends in the API's version is not repeated: `/openai/v1` + `/v1/chat/completions`
    → `/openai/v1/chat/completions`."""
    if not prefix:
        return path
    version = prefix.rsplit("/", 1)[-1]
    if _API_VERSION.fullmatch(version) and path.startswith(f"/{version}/"):
        path = path[len(version) + 1:]
    return prefix + path


_API_VERSION = re.compile(r"v\d+(?:alpha|beta)?\d*")