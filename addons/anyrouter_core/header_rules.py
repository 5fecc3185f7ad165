"""Header rules: set, add and remove request headers on the way to the upstream (sans-IO).

The rules live in a JSON or YAML file (the addon reads it; this module only parses text and
applies rules to a list of header pairs). Two forms are accepted.

**Flat** — one mapping, every entry sets a header (the header-override file of the tool this
project replaces)::

    {"User-Agent": "my-tool/1.0", "X-Team": "research", "__note": "comments start with __"}

**Structured** — a top-level `rules` list; each rule may say where it applies and what it
does::

    __about: keys starting with __ are comments, at any level
    rules:
      - set: {User-Agent: my-tool/1.0}           # every forwarded request
      - match: {route: openai→anthropic}          # only OpenAI clients translated to Anthropic
        add: {anthropic-beta: prompt-caching-2024-07-31}
      - match: {route: [passthrough], path: "^/v1/models"}
        remove: [X-Stainless-Lang, X-Stainless-OS]

- `set: {name: value}` replaces every header of that name (compared case-insensitively) by
  one header, where the first one was, or appends it when there was none.
- `add: {name: value}` appends one more header, keeping those already there.
- `remove: [name, …]` (or one name as a string) deletes every header of that name.
- Within a rule: remove, then set, then add. Rules run in file order, each seeing what the
  previous ones left.
- `match` (optional; no match = every forwarded request): `route` is one name or a list of
  names, the rule applies when any of them is the flow's route (`openai-chat`,
  `anthropic-messages`, `anthropic-count-tokens`, `openai-responses`,
  `openai-responses-stored`, `gemini-generate`, `gemini-count-tokens`, `passthrough`) or its
  translation (`openai→anthropic`, `gemini→anthropic`, `anthropic→gemini` … any two of
  anthropic, openai, responses and gemini; `->` may be written for `→`). `path` is a regular
  expression searched (`re.search`) in the path the upstream receives, after translation,
  query string included. Both given = both must hold.
- Keys starting with `__` are comments wherever a key can stand (top level, rules, `match`,
  `set`, `add`); YAML files may also use `#` comments.
- Values are strings. Anything else, numbers included, is an error asking to quote it: YAML
  reads `1.10` as the number 1.1 and `007` as 7, and a header must not silently become
  something other than what the file says.
- Names are HTTP tokens and values hold no CR, LF or NUL. The credential headers
  (`keys.CREDENTIAL_HEADERS`: `authorization`, `x-api-key`, `x-goog-api-key`, `api-key`,
  `cookie`) belong to key handling (`upstream_keys`) and are never shown in flows, hop-by-hop
  headers are never forwarded and `content-length` / `transfer-encoding` frame the body that
  mitmproxy writes: a rule naming any of them is an error.

An error is a `HeaderRuleError` carrying the 1-based line of the file it is about.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import permutations

from .hop_headers import STANDARD_HOP_BY_HOP
from .keys import CREDENTIAL_HEADERS
from .protocols import PROTOCOLS, ROUTES
from .yaml_lines import FileLineError, describe, is_comment, item_line, key_line, load_document, own_line, value_line

Pair = tuple[str, str]

_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE_CHARACTER = re.compile(r"[\r\n\x00]")

ROUTE_NAMES = frozenset(
    {route.value for route in ROUTES if not route.is_local}
    | {f"{client}→{upstream}" for client, upstream in permutations(PROTOCOLS, 2)}
)

_RULE_KEYS = ("match", "set", "add", "remove")
_MATCH_KEYS = ("route", "path")


class HeaderRuleError(FileLineError):
    """A mistake in header rules, on the 1-based line of the file that holds them."""


def forbidden_reason(name: str) -> str | None:
    """Why a rule may not name this header, or None when it may."""
    lower = name.lower()
    if lower in CREDENTIAL_HEADERS:
        return f"{name!r} is a credential header, owned by key handling: use upstream_keys"
    if lower in STANDARD_HOP_BY_HOP:
        return f"{name!r} is a hop-by-hop header, which is never forwarded"
    if lower in _FRAMING_HEADERS:
        return f"{name!r} frames the body, which mitmproxy does itself"
    return None


@dataclass(frozen=True, slots=True)
class HeaderRule:
    line: int = 1
    routes: frozenset[str] = frozenset()
    path: re.Pattern[str] | None = None
    set: tuple[Pair, ...] = ()
    add: tuple[Pair, ...] = ()
    remove: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (*(n for n, _ in self.set), *(n for n, _ in self.add), *self.remove):
            reason = forbidden_reason(name)
            if reason:
                raise ValueError(reason)

    def matches(self, routes: Collection[str], path: str) -> bool:
        if self.routes and self.routes.isdisjoint(routes):
            return False
        return self.path is None or self.path.search(path) is not None

    def apply(self, fields: Iterable[Pair]) -> list[Pair]:
        removed = {name.lower() for name in self.remove}
        result = [(n, v) for n, v in fields if n.lower() not in removed]
        for name, value in self.set:
            result = _set(result, name, value)
        result.extend(self.add)
        return result


def _set(fields: list[Pair], name: str, value: str) -> list[Pair]:
    lower = name.lower()
    result: list[Pair] = []
    placed = False
    for n, v in fields:
        if n.lower() != lower:
            result.append((n, v))
        elif not placed:
            result.append((name, value))
            placed = True
    if not placed:
        result.append((name, value))
    return result


def apply_header_rules(
    rules: Sequence[HeaderRule], fields: Iterable[Pair], routes: Collection[str], path: str
) -> list[Pair]:
    """The header pairs after every rule that matches `routes` and `path`, in order."""
    result = list(fields)
    for rule in rules:
        if rule.matches(routes, path):
            result = rule.apply(result)
    return result


# Parsing ------------------------------------------------------------------------------------


def parse_header_rules(text: str) -> tuple[HeaderRule, ...]:
    """The rules in a file's text (JSON or YAML). Raises HeaderRuleError with a line number."""
    return header_rules_from_document(load_document(text, HeaderRuleError))


def header_rules_from_document(document: object) -> tuple[HeaderRule, ...]:
    """The rules in a document already loaded by `yaml_lines.load_document`, or in a mapping
    inside a larger one (a routes file's `headers`): the lines its errors carry are those of
    the file it was loaded from."""
    if document is None:
        return ()
    if not isinstance(document, dict):
        raise HeaderRuleError(
            own_line(document),
            "the file must hold a mapping: header names to values, or a 'rules' list",
        )
    if "rules" in document:
        for key in document:
            if key != "rules" and not is_comment(key):
                raise HeaderRuleError(
                    key_line(document, key),
                    f"unexpected key {key!r} beside 'rules' (a file is either a flat mapping "
                    "of headers to set or a 'rules' list)",
                )
        rules = document["rules"]
        if rules is None:
            return ()
        if not isinstance(rules, list):
            raise HeaderRuleError(value_line(document, "rules"), "'rules' must be a list of rules")
        return tuple(_rule(rules, index) for index in range(len(rules)))
    pairs = _header_values(document, "header")
    return (HeaderRule(line=own_line(document), set=pairs),) if pairs else ()


def _header_name(name: object, line: int) -> str:
    if not isinstance(name, str) or not _TOKEN.fullmatch(name):
        raise HeaderRuleError(line, f"{name!r} is not a valid header name")
    reason = forbidden_reason(name)
    if reason:
        raise HeaderRuleError(line, reason)
    return name


def _header_values(mapping: dict, what: str) -> tuple[Pair, ...]:
    pairs: list[Pair] = []
    seen: dict[str, str] = {}
    for name, value in mapping.items():
        if is_comment(name):
            continue
        line = key_line(mapping, name)
        name = _header_name(name, line)
        if not isinstance(value, str):
            raise HeaderRuleError(
                value_line(mapping, name),
                f"the value of {what} {name!r} is {describe(value)}; header values are "
                f"strings: quote it",
            )
        if _BAD_VALUE_CHARACTER.search(value):
            raise HeaderRuleError(
                value_line(mapping, name), f"the value of {what} {name!r} contains CR, LF or NUL"
            )
        if name.lower() in seen:
            raise HeaderRuleError(line, f"{name!r} is named twice (also as {seen[name.lower()]!r})")
        seen[name.lower()] = name
        pairs.append((name, value))
    return tuple(pairs)


def _rule(rules: list, index: int) -> HeaderRule:
    node = rules[index]
    line = item_line(rules, index)
    if not isinstance(node, dict):
        raise HeaderRuleError(line, f"rule {index + 1} must be a mapping with match/set/add/remove, not {describe(node)}")
    for key in node:
        if not is_comment(key) and key not in _RULE_KEYS:
            raise HeaderRuleError(
                key_line(node, key), f"unknown key {key!r} in a rule (allowed: {', '.join(_RULE_KEYS)})"
            )
    routes, path = _match(node)
    set_pairs = _section_mapping(node, "set")
    add_pairs = _section_mapping(node, "add")
    remove = _remove(node)
    if not (set_pairs or add_pairs or remove):
        raise HeaderRuleError(line, f"rule {index + 1} changes nothing: give it set, add or remove")
    return HeaderRule(line=line, routes=routes, path=path, set=set_pairs, add=add_pairs, remove=remove)


def _section_mapping(rule: dict, key: str) -> tuple[Pair, ...]:
    value = rule.get(key)
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise HeaderRuleError(value_line(rule, key), f"{key!r} must map header names to values")
    return _header_values(value, key)


def _remove(rule: dict) -> tuple[str, ...]:
    value = rule.get("remove")
    if value is None:
        return ()
    if isinstance(value, str):
        return (_header_name(value, value_line(rule, "remove")),)
    if not isinstance(value, list):
        raise HeaderRuleError(value_line(rule, "remove"), "'remove' must be a header name or a list of them")
    return tuple(_header_name(name, item_line(value, i)) for i, name in enumerate(value))


def _match(rule: dict) -> tuple[frozenset[str], re.Pattern[str] | None]:
    match = rule.get("match")
    if match is None:
        return frozenset(), None
    if not isinstance(match, dict):
        raise HeaderRuleError(value_line(rule, "match"), "'match' must be a mapping with route and/or path")
    for key in match:
        if not is_comment(key) and key not in _MATCH_KEYS:
            raise HeaderRuleError(
                key_line(match, key), f"unknown key {key!r} in match (allowed: {', '.join(_MATCH_KEYS)})"
            )
    return _routes(match), _path(match)


def _routes(match: dict) -> frozenset[str]:
    value = match.get("route")
    if value is None:
        return frozenset()
    if isinstance(value, str):
        items, lines = [value], [value_line(match, "route")]
    elif isinstance(value, list):
        items, lines = list(value), [item_line(value, i) for i in range(len(value))]
    else:
        raise HeaderRuleError(value_line(match, "route"), "'route' must be a route name or a list of them")
    routes = set()
    for item, line in zip(items, lines):
        name = item.strip().lower().replace("->", "→") if isinstance(item, str) else item
        if name not in ROUTE_NAMES:
            raise HeaderRuleError(
                line, f"unknown route {item!r} (known: {', '.join(sorted(ROUTE_NAMES))})"
            )
        routes.add(name)
    return frozenset(routes)


def _path(match: dict) -> re.Pattern[str] | None:
    value = match.get("path")
    if value is None:
        return None
    line = value_line(match, "path")
    if not isinstance(value, str):
        raise HeaderRuleError(line, "'path' must be a regular expression (a string)")
    try:
        return re.compile(value)
    except re.error as exc:
        raise HeaderRuleError(line, f"'path' is not a valid regular expression: {exc}") from None
