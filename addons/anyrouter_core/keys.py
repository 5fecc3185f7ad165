"""API key handling that must never leak a key: fingerprints, key lists, access tokens, and
the one list of places a client can put a credential (its carriers)."""

from __future__ import annotations

import hashlib
import hmac
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Carrier:
    """A request header or a query parameter that can carry a credential."""

    kind: Literal["header", "query"]
    name: str  # lower case


# Every place a client can put a credential; each is kept out of flows (shown as fingerprints).
CREDENTIAL_CARRIERS: tuple[Carrier, ...] = (
    Carrier("header", "x-api-key"),  # Anthropic
    Carrier("header", "authorization"),  # OpenAI and most others: Bearer
    Carrier("header", "x-goog-api-key"),  # Gemini
    Carrier("query", "key"),  # Gemini, `?key=`
    Carrier("header", "api-key"),  # Azure OpenAI
    Carrier("header", "cookie"),  # browser sessions
)
CREDENTIAL_HEADERS = frozenset(c.name for c in CREDENTIAL_CARRIERS if c.kind == "header")
CREDENTIAL_QUERY_PARAMETERS = frozenset(c.name for c in CREDENTIAL_CARRIERS if c.kind == "query")
# The carriers a client presents its API key (or key list, or access token) in, in the order
# they are looked at; api-key and cookie only pass through to the upstream.
KEY_CARRIERS = CREDENTIAL_CARRIERS[:4]


def fingerprint(key: str) -> str:
    """`sk-…a1b2`: the public `sk-` prefix when present and the last four characters.

    Keys shorter than 12 characters show no tail at all: four characters of a short secret
    would give away too much of it.
    """
    key = key.strip()
    if not key:
        return "-"
    prefix = "sk-" if key.startswith("sk-") else ""
    tail = key[-4:] if len(key) >= 12 else ""
    return f"{prefix}…{tail}"


@dataclass(frozen=True, slots=True)
class Presented:
    """The credential a client sent, and the carrier it came in."""

    carrier: Carrier
    value: str


def client_credential(headers: Mapping[str, str], path: str) -> Presented | None:
    """The key a client sent: in `x-api-key`, `Authorization: Bearer`, `x-goog-api-key` or a
    `key` query parameter of `path`, the first of them that holds one.

    `headers` is looked up by lower-case name (mitmproxy's headers ignore case anyway).
    """
    for carrier in KEY_CARRIERS:
        if carrier.kind == "query":
            value = next(iter(query_values(path, carrier.name)), None)
        else:
            value = headers.get(carrier.name)
        if carrier.name == "authorization" and value:
            scheme, _, value = value.strip().partition(" ")
            if scheme.lower() != "bearer":
                continue
        if value and value.strip():
            return Presented(carrier, value.strip())
    return None


def query_values(path: str, name: str) -> list[str]:
    """The decoded values of query parameter `name` in a request path, in order."""
    query = path.partition("?")[2]
    return [value for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True) if key == name]


_SEPARATORS = re.compile(r"[\s,]+")
# Visible ASCII only: anything else cannot travel in an HTTP header, and is most often a
# zero-width space or a typographic quote picked up by copy and paste.
_NOT_A_KEY_CHARACTER = re.compile(r"[^\x21-\x7e]")


def parse_key_list(text: str) -> list[str]:
    """Keys from `k1,k2 k3` or from a file's text with one key a line and `#` comments.

    A `#` starting an entry comments out the rest of its line (`abc#def` stays a key). Blank
    entries are skipped and repeated keys kept once, in first-seen order. An entry holding a
    character that cannot be sent in a header raises ValueError naming it by fingerprint.
    """
    keys: dict[str, None] = {}
    for position, entry in enumerate(_entries(text), start=1):
        bad = _NOT_A_KEY_CHARACTER.search(entry)
        if bad:
            raise ValueError(
                f"key {position} ({fingerprint(entry)}) contains U+{ord(bad.group()):04X}, "
                "which cannot be sent in an HTTP header"
            )
        keys.setdefault(entry)
    return list(keys)


def is_well_formed_key(key: str) -> bool:
    """Whether `key` is one or more visible ASCII characters, as every key parse_key_list returns."""
    return bool(key) and not _NOT_A_KEY_CHARACTER.search(key)


def _entries(text: str) -> Iterator[str]:
    for line in text.splitlines():
        for entry in _SEPARATORS.split(line):
            if entry.startswith("#"):
                break
            if entry:
                yield entry


def token_allowed(presented: str | None, tokens: Iterable[str]) -> bool:
    """Whether `presented` is one of `tokens`, compared so that timing tells nothing of them.

    Comparing digests hides the tokens' lengths too, and every token is compared so the
    time does not tell which one matched, or how close a guess came.
    """
    if not presented:
        return False
    presented_digest = _digest(presented)
    allowed = False
    for token in tokens:
        allowed |= hmac.compare_digest(presented_digest, _digest(token))
    return allowed


def _digest(secret: str) -> bytes:
    # Header values can carry undecodable bytes as lone surrogates: compare them, never raise.
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def redact_credential(value: str) -> str:
    """A credential header's value with every key in it replaced by its fingerprint.

    `Bearer k1,k2` → `Bearer sk-…0001,sk-…0002`: the scheme and the list stay readable.
    """
    scheme, space, rest = value.strip().partition(" ")
    if space and scheme.lower() in _SCHEMES:
        return f"{scheme} {redact_credential(rest)}"
    return ",".join(fingerprint(part) for part in value.split(",") if part.strip()) or "-"


_SCHEMES = ("bearer", "basic", "token")


def keys_in(value: str) -> list[str]:
    """The keys in a credential value, as `redact_credential` fingerprints them one by one."""
    scheme, space, rest = value.strip().partition(" ")
    if space and scheme.lower() in _SCHEMES:
        return keys_in(rest)
    return [part.strip() for part in value.split(",") if part.strip()]


def redact_cookie(value: str) -> str:
    """A `Cookie` header with each cookie's value replaced by its fingerprint, names kept.

    `a=1; session=0123456789abcdef` → `a=…; session=…cdef`. Each value on its own rather than
    the whole header: the names tell which cookies were sent, and a session token keeps the
    tail that tells it from another, as a key's fingerprint does.
    """
    cookies = []
    for cookie in value.split(";"):
        name, equals, cookie_value = cookie.strip().partition("=")
        cookies.append(f"{name}={fingerprint(cookie_value)}" if equals else fingerprint(name))
    return "; ".join(cookies)


def redact_carrier_value(header: str, value: str) -> str:
    """A credential header's value as flows show it: `header` is one of CREDENTIAL_HEADERS."""
    return redact_cookie(value) if header == "cookie" else redact_credential(value)


def redact_query(path: str) -> tuple[str, dict[str, str]]:
    """`path` with each credential query parameter's value fingerprinted, and what was there.

    `/v1beta/models?key=AIzaSy…&alt=sse` → `/v1beta/models?key=%E2%80%A6a1b2&alt=sse`: the
    fingerprint is percent-encoded, as anything in a request target must be. The second item
    maps each shown value back to the value as it was sent (both raw, still encoded), for
    `restore_query`. Everything else in the path stays byte for byte.
    """
    originals: dict[str, str] = {}

    def fingerprinted(raw: str) -> str:
        shown = urllib.parse.quote(redact_credential(urllib.parse.unquote_plus(raw)), safe=",")
        originals[shown] = raw
        return shown

    return _map_credential_parameters(path, fingerprinted), originals


def restore_query(path: str, originals: Mapping[str, str]) -> str:
    """`path` with the values `redact_query` fingerprinted put back, wherever they still are."""
    if not originals:
        return path
    return _map_credential_parameters(path, lambda raw: originals.get(raw, raw))


def without_query_parameter(path: str, name: str) -> str:
    """`path` without any `name` parameter (`/p?key=k&alt=sse` → `/p?alt=sse`)."""
    base, question, query = path.partition("?")
    if not question:
        return path
    kept = [part for part in query.split("&") if _parameter_name(part) != name]
    return f"{base}?{'&'.join(kept)}" if kept else base


def _map_credential_parameters(path: str, replace: Callable[[str], str]) -> str:
    base, question, query = path.partition("?")
    if not question:
        return path
    parts = query.split("&")
    for i, part in enumerate(parts):
        name, equals, raw = part.partition("=")
        if equals and _parameter_name(part) in CREDENTIAL_QUERY_PARAMETERS:
            parts[i] = f"{name}={replace(raw)}"
    return f"{base}?{'&'.join(parts)}"


def _parameter_name(part: str) -> str:
    return urllib.parse.unquote_plus(part.partition("=")[0]).lower()
