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
