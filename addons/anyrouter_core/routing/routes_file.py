"""Parsing a routes file (the `routes` option): one proxy in front of many upstreams (sans-IO).

The file, JSON or YAML, declares named `upstreams` and an ordered list of `routes`::

    upstreams:
      relay:  {url: "https://anyrouter.top", protocol: anthropic}
      local:  {url: "http://127.0.0.1:8080", protocol: openai, keys: "sk-local"}
      backup: {url: "https://api.example.com", protocol: openai, keys: "@backup-keys.txt"}
    routes:
      - match: {model: "claude-*haiku*"}
        to: local
        model: smollm2
      - match: {thinking: true}
        to: [relay, backup]
      - name: gpt
        match: {model: "gpt-*"}
        to: backup
      - to: [relay, backup]

- An upstream: `url` (http or https, a path is a prefix for every request), `protocol` (as the
  `upstream_protocol` option), and optional `keys`, `headers`, `system_prompt`,
  `system_prompt_mode`, `timeout` (`upstream_entry.py` says what each takes).
- A route: `to`, the upstream it sends to, or a list of them, first choice first, the others
  its fallbacks in order; an item of the list may be `{upstream: name, model: rename}`. `model`
  beside `to` renames the model for every target that does not rename it itself. `default`
  names the proxy's reverse target, unless the file declares an upstream of that name. `name`
  (optional) is what logs and the dashboard call the route; else `#N`, its place in the list.
- `match` (optional): `model` (a glob or a list, ignoring case, against the whole name),
  `client` (the protocol the client speaks, or a list), `thinking` (true/false), `tool` (a
  tool name or glob, or a list: the request offers such a tool), `tools` (true/false: it
  offers any tool), `input_tokens_above` (the estimate is strictly above), `background`
  (true/false: a Claude Code background call, `request_facts.is_background_call`). All
  given must hold; none given matches every request, and nothing may follow such a route.
- The first route whose match holds chooses; when none holds there is no choice
  (`RoutingTable.choose` returns None). Keys starting with `__` are comments at every level.

Errors are `RoutesFileError`s carrying the file's 1-based line, as header rules' errors do. An
empty file is one: a routes file with no routes would send nothing anywhere.
"""

from __future__ import annotations

from ..protocols import PROTOCOLS
from ..yaml_lines import describe, item_line, key_line, load_document, own_line, value_line
from .file_values import (
    ReadText,
    RoutesFileError,
    bool_at,
    check_keys,
    checked_string,
    entries,
    mapping_at,
    required_string,
    string_at,
    strings_at,
    whole_number_at,
)
from .matching import Match
from .table import REVERSE_TARGET, RoutingRule, RoutingTable, Target, Upstream
from .upstream_entry import upstream_from_entry, upstream_name

__all__ = ["RoutesFileError", "parse_routes"]

TOP_KEYS = ("upstreams", "routes")
ROUTE_KEYS = ("name", "match", "to", "model")
MATCH_KEYS = ("model", "client", "thinking", "input_tokens_above", "tool", "tools", "background")
TARGET_KEYS = ("upstream", "model")


def parse_routes(text: str, read_text: ReadText) -> RoutingTable:
    """The table a routes file's text declares. `read_text(path)` returns the text of a file
    a `@path` value names (an OSError from it becomes an error on that value's line)."""
    document = load_document(text, RoutesFileError)
    if document is None:
        raise RoutesFileError(
            1, "the routes file is empty: it needs `upstreams` (where requests can go) and `routes` (which goes where)"
        )
    if not isinstance(document, dict):
        raise RoutesFileError(
            own_line(document), f"a routes file holds a mapping with `upstreams` and `routes`, not {describe(document)}"
        )
    check_keys(document, TOP_KEYS, "a routes file")
    upstreams = _upstreams(document, read_text)
    return RoutingTable(upstreams, _rules(document, upstreams))


# Upstreams ----------------------------------------------------------------------------------


def _upstreams(document: dict, read_text: ReadText) -> dict[str, Upstream]:
    node = mapping_at(document, "upstreams", "`upstreams`", "a mapping of names to upstreams")
    if node is None:
        raise RoutesFileError(_line_of_key(document, "upstreams"), "the routes file needs `upstreams`: name at least one")
    upstreams: dict[str, Upstream] = {}
    for name, entry in entries(node):
        line = key_line(node, name)
        name = upstream_name(name, line)
        upstreams[name] = upstream_from_entry(name, entry, line, read_text)
    if not upstreams:
        raise RoutesFileError(value_line(document, "upstreams"), "`upstreams` declares none: name at least one")
    return upstreams


def _line_of_key(mapping: dict, key: str) -> int:
    return key_line(mapping, key) if key in mapping else own_line(mapping)


# Routes -------------------------------------------------------------------------------------


def _rules(document: dict, upstreams: dict[str, Upstream]) -> tuple[RoutingRule, ...]:
    node = document.get("routes")
    if node is None:
        raise RoutesFileError(_line_of_key(document, "routes"), "the routes file needs `routes`: a list of at least one")
    if not isinstance(node, list):
        raise RoutesFileError(value_line(document, "routes"), f"`routes` must be a list of routes, not {describe(node)}")
    if not node:
        raise RoutesFileError(value_line(document, "routes"), "`routes` is empty: give at least one route")
    rules: list[RoutingRule] = []
    catch_all_line: int | None = None
    for index, item in enumerate(node):
        line = item_line(node, index)
        if catch_all_line is not None:
            raise RoutesFileError(line, f"unreachable: the route on line {catch_all_line} matches every request")
        rule = _rule(item, index, line, upstreams)
        _check_name_is_new(rule, rules, item)
        rules.append(rule)
        if rule.match.is_catch_all:
            catch_all_line = line
    return tuple(rules)


def _check_name_is_new(rule: RoutingRule, earlier: list[RoutingRule], item: dict) -> None:
    for other in earlier:
        if other.name == rule.name:
            raise RoutesFileError(
                _line_of_key(item, "name"), f"route name {rule.name!r} is used twice (first on line {other.line})"
            )


def _rule(item: object, index: int, line: int, upstreams: dict[str, Upstream]) -> RoutingRule:
    where = f"route #{index + 1}"
    if not isinstance(item, dict):
        raise RoutesFileError(line, f"{where} must be a mapping with `to` (and `match`, `model`, `name`), not {describe(item)}")
    check_keys(item, ROUTE_KEYS, where)
    name = string_at(item, "name", f"the name of {where}") or f"#{index + 1}"
    rename = string_at(item, "model", f"the model {where} asks for")
    return RoutingRule(
        name=name, match=_match(item, where), targets=_targets(item, where, rename, upstreams), line=line
    )


# Match --------------------------------------------------------------------------------------


def _match(item: dict, where: str) -> Match:
    node = mapping_at(item, "match", f"the match of {where}", f"a mapping ({', '.join(MATCH_KEYS)})")
    if node is None:
        return Match()
    what = f"the match of {where}"
    check_keys(node, MATCH_KEYS, what)
    return Match(
        models=tuple(pattern for pattern, _ in strings_at(node, "model", f"a model pattern in {what}")),
        client_protocols=_client_protocols(node, what),
        thinking=bool_at(node, "thinking", f"`thinking` in {what}"),
        input_tokens_above=whole_number_at(node, "input_tokens_above", f"`input_tokens_above` in {what}", minimum=0),
        tools=tuple(pattern for pattern, _ in strings_at(node, "tool", f"a tool name in {what}")),
        has_tools=bool_at(node, "tools", f"`tools` in {what} (whether the request offers any tool)"),
        background=bool_at(node, "background", f"`background` in {what}"),
    )


def _client_protocols(node: dict, what: str) -> frozenset[str]:
    protocols = set()
    for written, line in strings_at(node, "client", f"a client protocol in {what}"):
        protocol = written.strip().lower()
        if protocol not in PROTOCOLS:
            raise RoutesFileError(line, f"unknown client protocol {written!r} in {what} (known: {', '.join(PROTOCOLS)})")
        protocols.add(protocol)
    return frozenset(protocols)


# Targets ------------------------------------------------------------------------------------


def _targets(item: dict, where: str, rename: str | None, upstreams: dict[str, Upstream]) -> tuple[Target, ...]:
    value = item.get("to")
    if value is None:
        raise RoutesFileError(
            _line_of_key(item, "to"), f"{where} needs `to`: the upstream it sends to, or a list of them (first choice first)"
        )
    if isinstance(value, list):
        if not value:
            raise RoutesFileError(value_line(item, "to"), f"`to` of {where} is an empty list: name at least one upstream")
        written = [(target, item_line(value, index)) for index, target in enumerate(value)]
    else:
        written = [(value, value_line(item, "to"))]
    targets: list[Target] = []
    for target, line in written:
        chosen = _target(target, line, where, rename, upstreams)
        if chosen in targets:
            raise RoutesFileError(line, f"{where} names upstream {chosen.upstream!r} twice")
        targets.append(chosen)
    return tuple(targets)


def _target(value: object, line: int, where: str, rename: str | None, upstreams: dict[str, Upstream]) -> Target:
    if isinstance(value, dict):
        what = f"a target of {where}"
        check_keys(value, TARGET_KEYS, what)
        name = required_string(value, "upstream", f"the upstream of {what}", what)
        line = value_line(value, "upstream")
        rename = string_at(value, "model", f"the model {what} asks for") or rename
    else:
        name = checked_string(value, line, f"a target of {where} (an upstream's name, or {{upstream, model}})")
    _check_upstream_is_known(name, line, upstreams)
    return Target(upstream=name, model=rename)


def _check_upstream_is_known(name: str, line: int, upstreams: dict[str, Upstream]) -> None:
    if name in upstreams or name == REVERSE_TARGET:
        return
    raise RoutesFileError(
        line,
        f"unknown upstream {name!r} (declared: {', '.join(upstreams)}; "
        f"{REVERSE_TARGET!r} is the proxy's reverse target)",
    )
