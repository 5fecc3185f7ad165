"""API key handling that must never leak a key: fingerprints, key lists, access tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator


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


def client_credential(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key a client sent, in whichever of the two protocols' headers it used."""
    if x_api_key and x_api_key.strip():
        return x_api_key.strip()
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None


def credential_header(protocol: str, key: str) -> tuple[str, str]:
    """The one header that carries `key` to an upstream speaking `protocol`."""
    if protocol == "anthropic":
        return "x-api-key", key
    return "authorization", f"Bearer {key}"


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
    if space and scheme.lower() in ("bearer", "basic", "token"):
        return f"{scheme} {redact_credential(rest)}"
    return ",".join(fingerprint(part) for part in value.split(",") if part.strip()) or "-"
