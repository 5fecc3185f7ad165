"""API key handling that must never leak a key: fingerprints."""

from __future__ import annotations


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
