"""Header rules from a JSON or YAML file, applied to the request the upstream receives.

The file format is described in `anyrouter_core.header_rules`; the file is read at start and
again when it changes (`WatchedFile`). The rules of the upstream a routes file chose apply
after these.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from mitmproxy import ctx, http

from anyrouter_core.header_rules import HeaderRule, HeaderRuleError, apply_header_rules, parse_header_rules

from .flow_state import route_of, state_of
from .phases import Phase
from .routing import upstream_header_rules
from .watched_file import FileProblem, WatchedFile, read_utf8

log = logging.getLogger("anyrouter")


def read_rules(path: Path) -> tuple[HeaderRule, ...]:
    """The rules in `path`; OSError or FileProblem."""
    try:
        return parse_header_rules(read_utf8(path))
    except HeaderRuleError as exc:
        raise FileProblem(exc.line, exc.message) from None


def describe_rules(rules: tuple[HeaderRule, ...]) -> str:
    return f"{len(rules)} rule{'' if len(rules) == 1 else 's'}"


class HeaderRules:
    phase = Phase.REWRITE

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.file = WatchedFile("header_rules", "rules", read_rules, describe_rules, clock)

    def load(self, loader) -> None:
        loader.add_option(
            "header_rules",
            str,
            "",
            "Path to a JSON or YAML file of header rules (set, add, remove; optionally per "
            "route or path) applied to every request sent upstream; re-read when it changes. "
            "Empty: no rules.",
        )

    def configure(self, updated: set[str]) -> None:
        if "header_rules" in updated:
            self.file.load(ctx.options.header_rules)

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response:
            return
        rules = (self.file.current() or ()) + upstream_header_rules(state_of(flow))
        if not rules:
            return
        routes = {route_of(flow).value}
        translation = state_of(flow).translation
        if translation:
            routes.add(translation)
        headers = flow.request.headers
        fields = list(headers.items(multi=True))
        changed = apply_header_rules(rules, fields, routes, flow.request.path)
        if changed != fields:
            headers.fields = tuple(
                (name.encode("utf-8", "surrogateescape"), value.encode("utf-8", "surrogateescape"))
                for name, value in changed
            )
