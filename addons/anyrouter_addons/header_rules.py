"""Header rules from a JSON or YAML file, applied to the request the upstream receives.

The file format is described in `anyrouter_core.header_rules`. The file is read when the
`header_rules` option is set (a bad file is an option error naming the file and line) and
read again when it changes: on a request, at most once a second, its modification time, size
and inode are compared with the last read's. A bad edit is logged with the file and line and
the previous rules stay in force until the file is fixed.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

from mitmproxy import ctx, exceptions, http

from anyrouter_core.header_rules import HeaderRule, HeaderRuleError, apply_header_rules, parse_header_rules

from .flow_state import route_of, state_of
from .phases import Phase

log = logging.getLogger("anyrouter")

CHECK_INTERVAL_S = 1.0
_MISSING = ("missing",)


def _signature(stat: os.stat_result) -> tuple:
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def read_rules(path: Path) -> tuple[tuple[HeaderRule, ...], tuple]:
    """The rules in `path` and the file's signature; OSError or HeaderRuleError."""
    signature = _signature(path.stat())
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HeaderRuleError(raw.count(b"\n", 0, exc.start) + 1, "the file is not UTF-8 text") from None
    return parse_header_rules(text), signature


class HeaderRules:
    phase = Phase.REWRITE

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.path: Path | None = None
        self.rules: tuple[HeaderRule, ...] = ()
        self._signature: tuple | None = None
        self._checked_at = -math.inf

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
        if "header_rules" not in updated:
            return
        value = ctx.options.header_rules
        if not value:
            self.path, self.rules, self._signature = None, (), None
            return
        path = Path(value).expanduser()
        try:
            rules, signature = read_rules(path)
        except OSError as exc:
            raise exceptions.OptionsError(f"header_rules: cannot read {path}: {exc.strerror}") from None
        except HeaderRuleError as exc:
            raise exceptions.OptionsError(f"header_rules: {path} line {exc.line}: {exc.message}") from None
        self.path, self.rules, self._signature = path, rules, signature
        self._checked_at = self.clock()
        log.info("header_rules: %d rule%s from %s", len(rules), "" if len(rules) == 1 else "s", path)

    def reload_if_changed(self) -> None:
        path = self.path
        now = self.clock()
        if path is None or now - self._checked_at < CHECK_INTERVAL_S:
            return
        self._checked_at = now
        try:
            signature = _signature(path.stat())
        except OSError as exc:
            if self._signature != _MISSING:
                self._signature = _MISSING
                log.error("header_rules: cannot read %s: %s; keeping the previous rules", path, exc.strerror)
            return
        if signature == self._signature:
            return
        try:
            rules, signature = read_rules(path)
        except OSError as exc:
            self._signature = _MISSING
            log.error("header_rules: cannot read %s: %s; keeping the previous rules", path, exc.strerror)
            return
        except HeaderRuleError as exc:
            self._signature = signature  # logged once per bad version of the file
            log.error("header_rules: %s line %d: %s; keeping the previous rules", path, exc.line, exc.message)
            return
        self.rules, self._signature = rules, signature
        log.info("header_rules: reloaded %d rule%s from %s", len(rules), "" if len(rules) == 1 else "s", path)

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response or self.path is None:
            return
        self.reload_if_changed()
        if not self.rules:
            return
        routes = {route_of(flow).value}
        translation = state_of(flow).translation
        if translation:
            routes.add(translation)
        headers = flow.request.headers
        fields = list(headers.items(multi=True))
        changed = apply_header_rules(self.rules, fields, routes, flow.request.path)
        if changed != fields:
            headers.fields = tuple(
                (name.encode("utf-8", "surrogateescape"), value.encode("utf-8", "surrogateescape"))
                for name, value in changed
            )
