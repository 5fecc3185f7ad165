"""Hop-by-hop header names (RFC 9110 §7.6.1) that a proxy must not forward."""

from __future__ import annotations

from collections.abc import Iterable

# Transfer-Encoding is hop-by-hop too, but mitmproxy's HTTP/1 layer frames bodies from it on
# each side itself, so it is left to mitmproxy rather than removed here.
STANDARD_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "upgrade",
    }
)

_MANAGED_BY_MITMPROXY = frozenset({"transfer-encoding", "content-length", "host"})


def hop_by_hop_names(connection_values: Iterable[str]) -> set[str]:
    """Every lower-case header name to drop, given the values of all `Connection` headers."""
    names = set(STANDARD_HOP_BY_HOP)
    for value in connection_values:
        for token in value.split(","):
            token = token.strip().lower()
            if token and token not in _MANAGED_BY_MITMPROXY:
                names.add(token)
    return names


def is_upgrade_request(connection_values: Iterable[str], upgrade: str | None) -> bool:
    """A protocol switch (WebSocket) needs its Connection/Upgrade pair kept for that hop."""
    if not upgrade:
        return False
    return any("upgrade" in value.lower() for value in connection_values)
