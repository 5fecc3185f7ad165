"""The routes table: named upstreams, and the ordered rules that choose one for a request.

A routes file (`routes_file.py` parses it) declares where requests can go (`upstreams`:
address, protocol, keys, header rules, system prompt, timeout) and which request goes where
(`routes`: match → targets, the first rule that matches wins). A rule names one target or an
ordered list of them: the first is where the request goes, the others are its fallbacks, in
order. What to do with the choice (retarget the flow, encode for the upstream's protocol, pick
a key, fall back) is the addon's; this module only decides.

A target may name `default`, the proxy's reverse target (`--mode reverse:URL` and the
`upstream_protocol` option), without declaring it; a file that declares an upstream called
`default` means that one instead. `RoutingTable.upstream_of` tells the two apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..header_rules import HeaderRule
from .matching import Match, has_glob
from .request_facts import RequestFacts

__all__ = ["REVERSE_TARGET", "Match", "RoutingRule", "RoutingTable", "Target", "Upstream"]

# The name a target gives the proxy's own reverse target.
REVERSE_TARGET = "default"


@dataclass(frozen=True, slots=True)
class Upstream:
    name: str
    url: str  # as the file wrote it
    scheme: str  # "http" or "https"
    host: str
    port: int  # 80 or 443 when the URL names none
    path_prefix: str  # the URL's path without its trailing slash ("" for none): requests go below it
    protocol: str  # a name in `protocols.PROTOCOLS`
    # The upstream's own keys; () passes the client's key on. Never in a repr: reprs end up in logs.
    keys: tuple[str, ...] = field(default=(), repr=False)
    header_rules: tuple[HeaderRule, ...] = ()  # applied to requests sent to this upstream
    system_prompt: str = ""  # "" when it has none of its own
    system_prompt_mode: str | None = None  # one of `system_prompt.MODES`; None: the global option
    timeout: int | None = None  # seconds; None: the proxy's own
    line: int = 1  # where the file names it


@dataclass(frozen=True, slots=True)
class Target:
    upstream: str  # a declared upstream's name, or REVERSE_TARGET
    model: str | None = None  # the model the upstream is asked for; None: the client's


@dataclass(frozen=True, slots=True)
class RoutingRule:
    name: str  # as the file names it, else "#N", its 1-based place in `routes`
    match: Match
    targets: tuple[Target, ...]  # the first, then its fallbacks in order
    line: int = 1


@dataclass(frozen=True, slots=True)
class RoutingTable:
    upstreams: dict[str, Upstream]
    rules: tuple[RoutingRule, ...]

    def choose(self, facts: RequestFacts) -> RoutingRule | None:
        """The first rule whose match holds for the request, or None when none does."""
        return next((rule for rule in self.rules if rule.match.holds(facts)), None)

    @property
    def needs_body_facts(self) -> bool:
        """Whether choosing needs `facts_of` (the decoded body), not only `facts_from_model`."""
        return any(rule.match.needs_body_facts for rule in self.rules)

    def upstream_of(self, target: Target) -> Upstream | None:
        """The upstream a target names; None for the proxy's reverse target."""
        return self.upstreams.get(target.upstream)

    def listed_models(self, extra: Iterable[str] = ()) -> list[str]:
        """The models a client can be told of (`GET /v1/models`): each model a rule names
        without a glob, then `extra` (the `models` option), once each, in order.

        A target's `model` is what the upstream is asked for, not a name clients use: not
        listed. Names that differ only in case are one model, as matching sees them.
        """
        named = (pattern for rule in self.rules for pattern in rule.match.models if not has_glob(pattern))
        listed: dict[str, str] = {}
        for model in (*named, *extra):
            listed.setdefault(model.lower(), model)
        return list(listed.values())
