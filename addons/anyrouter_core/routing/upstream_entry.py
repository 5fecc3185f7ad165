"""One entry of a routes file's `upstreams`: where it is, what it speaks, what it is sent.

    upstreams:
      relay:  {url: "https://anyrouter.top", protocol: anthropic}
      local:  {url: "http://127.0.0.1:8080/llm", protocol: openai, keys: "sk-local", timeout: 600}
      backup:
        url: https://api.example.com
        protocol: openai
        keys: "@backup-keys.txt"          # one key a line, # comments (as upstream_keys)
        headers: {User-Agent: my-tool/1}  # header rules, inline or "@rules.yaml"
        system_prompt: "@prompt.txt"      # text, or @file
        system_prompt_mode: append        # else the system_prompt_mode option

A value `@path` names a file; the parser is given the function that reads it (relative paths
are the caller's to resolve, against the routes file's folder).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..header_rules import HeaderRule, HeaderRuleError, header_rules_from_document, parse_header_rules
from ..keys import fingerprint, parse_key_list
from ..protocols import PROTOCOLS
from ..system_prompt import MODES
from ..yaml_lines import describe, item_line, value_line
from .file_values import (
    ReadText,
    RoutesFileError,
    check_keys,
    checked_string,
    file_reference,
    read_referenced,
    required_string,
    string_at,
    whole_number_at,
)
from .table import Upstream

UPSTREAM_KEYS = ("url", "protocol", "keys", "headers", "system_prompt", "system_prompt_mode", "timeout")
_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def upstream_name(name: object, line: int) -> str:
    if not isinstance(name, str):
        raise RoutesFileError(line, f"an upstream's name must be a string, not {describe(name)}: quote it")
    if not _NAME.fullmatch(name):
        raise RoutesFileError(line, f"upstream name {name!r} may hold only letters, digits, '_', '.' and '-'")
    return str(name)


def upstream_from_entry(name: str, entry: object, line: int, read_text: ReadText) -> Upstream:
    """The upstream `name: entry` declares; `line` is where its name stands."""
    where = f"upstream {name!r}"
    if not isinstance(entry, dict):
        raise RoutesFileError(line, f"{where} must be a mapping with url and protocol, not {describe(entry)}")
    check_keys(entry, UPSTREAM_KEYS, where)
    url = required_string(entry, "url", f"the url of {where}", where)
    scheme, host, port, path_prefix = _address(url, value_line(entry, "url"), where)
    return Upstream(
        name=name,
        url=url,
        scheme=scheme,
        host=host,
        port=port,
        path_prefix=path_prefix,
        protocol=_protocol(entry, where),
        keys=_keys(entry, read_text, where),
        header_rules=_header_rules(entry, read_text, where),
        system_prompt=_system_prompt(entry, read_text, where),
        system_prompt_mode=_system_prompt_mode(entry, where),
        timeout=whole_number_at(entry, "timeout", f"the timeout of {where} (seconds)", minimum=1),
        line=line,
    )


def _address(url: str, line: int, where: str) -> tuple[str, str, int, str]:
    """The scheme, host, port and path prefix of an upstream's URL, once it is known to name
    only a place to send requests to: no credentials, no query, no fragment."""
    if any(character.isspace() for character in url):
        raise RoutesFileError(line, f"the url of {where} holds a space")
    try:
        parts = urlsplit(url)
        port = parts.port  # reading it checks it
    except ValueError as exc:
        raise RoutesFileError(line, f"the url of {where} is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise RoutesFileError(line, f"the url of {where} must start with http:// or https:// (it is {url!r})")
    if "@" in parts.netloc:
        raise RoutesFileError(line, f"the url of {where} holds a user or password: put keys in `keys`, not in the URL")
    if parts.query or "?" in url:
        raise RoutesFileError(line, f"the url of {where} holds a query ('?'): each request brings its own; remove it")
    if parts.fragment or "#" in url:
        raise RoutesFileError(line, f"the url of {where} holds a fragment ('#'), which is never sent: remove it")
    if not parts.hostname:
        raise RoutesFileError(line, f"the url of {where} names no host (it is {url!r})")
    if port == 0:
        raise RoutesFileError(line, f"the url of {where} names port 0")
    return scheme, parts.hostname, port or _DEFAULT_PORTS[scheme], parts.path.rstrip("/")


def _protocol(entry: dict, where: str) -> str:
    written = required_string(entry, "protocol", f"the protocol of {where}", where)
    protocol = written.strip().lower()
    if protocol not in PROTOCOLS:
        raise RoutesFileError(
            value_line(entry, "protocol"),
            f"unknown protocol {written!r} for {where} (known: {', '.join(PROTOCOLS)})",
        )
    return protocol


def _keys(entry: dict, read_text: ReadText, where: str) -> tuple[str, ...]:
    value = entry.get("keys")
    if value is None:
        return ()
    line = value_line(entry, "keys")
    if isinstance(value, list):
        keys = _listed_keys(value, where)
    elif isinstance(value, str):
        keys = _written_keys(value, line, read_text, where)
    else:
        raise RoutesFileError(
            line,
            f"the keys of {where} must be a string (keys separated by commas, or @file) or a list, "
            f"not {describe(value)}: quote it",
        )
    if not keys:
        raise RoutesFileError(line, f"{where} is given no keys: leave `keys` out to pass the client's key on")
    return keys


def _written_keys(value: str, line: int, read_text: ReadText, where: str) -> tuple[str, ...]:
    path = file_reference(value)
    text = value if path is None else read_referenced(read_text, path, line, f"the keys of {where}")
    try:
        return tuple(parse_key_list(text))
    except ValueError as exc:  # the message names the key by its fingerprint only
        source = "" if path is None else f" in {path}"
        raise RoutesFileError(line, f"the keys of {where}{source}: {exc}") from None


def _listed_keys(items: list, where: str) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for index, item in enumerate(items):
        line = item_line(items, index)
        key = checked_string(item, line, f"key {index + 1} of {where}")
        if not _is_one_key(key):
            raise RoutesFileError(
                line,
                f"key {index + 1} of {where} ({fingerprint(key)}) is not one key: a key is visible ASCII "
                "characters without commas",
            )
        keys.setdefault(key)
    return tuple(keys)


def _is_one_key(text: str) -> bool:
    """Whether `text` is a single key as the key-list form reads keys (no separator, no `#`)."""
    try:
        return parse_key_list(text) == [text]
    except ValueError:
        return False


def _header_rules(entry: dict, read_text: ReadText, where: str) -> tuple[HeaderRule, ...]:
    value = entry.get("headers")
    if value is None:
        return ()
    line = value_line(entry, "headers")
    if isinstance(value, dict):
        try:
            return header_rules_from_document(value)
        except HeaderRuleError as exc:  # its line is already one of this file
            raise RoutesFileError(exc.line, f"the headers of {where}: {exc.message}") from None
    path = file_reference(value) if isinstance(value, str) else None
    if path is None:
        raise RoutesFileError(
            line, f"the headers of {where} must be header rules (a mapping) or '@file', not {describe(value)}"
        )
    text = read_referenced(read_text, path, line, f"the headers of {where}")
    try:
        return parse_header_rules(text)
    except HeaderRuleError as exc:
        raise RoutesFileError(line, f"the headers of {where}: {path} line {exc.line}: {exc.message}") from None


def _system_prompt(entry: dict, read_text: ReadText, where: str) -> str:
    value = string_at(entry, "system_prompt", f"the system_prompt of {where}")
    if value is None:
        return ""
    path = file_reference(value)
    if path is None:
        return value.rstrip("\r\n")  # a YAML block (`|`) ends in a line break nobody meant to send
    line = value_line(entry, "system_prompt")
    prompt = read_referenced(read_text, path, line, f"the system_prompt of {where}").rstrip("\r\n")
    if not prompt.strip():
        raise RoutesFileError(line, f"the system_prompt of {where}: {path} is empty")
    return prompt


def _system_prompt_mode(entry: dict, where: str) -> str | None:
    mode = string_at(entry, "system_prompt_mode", f"the system_prompt_mode of {where}")
    if mode is not None and mode not in MODES:
        raise RoutesFileError(
            value_line(entry, "system_prompt_mode"),
            f"unknown system_prompt_mode {mode!r} for {where} (allowed: {', '.join(MODES)})",
        )
    return mode
