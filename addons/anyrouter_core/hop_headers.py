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


def without_hop_by_hop(fields: tuple[tuple[bytes, bytes], ...], keep_upgrade: bool) -> tuple | None:
    """`fields` (raw header fields) without the hop-by-hop ones, in one pass over them; None
    when there is nothing to drop, the common case, so that the headers are left as they are."""
    connection = [value.decode("latin-1") for name, value in fields if name.lower() == b"connection"]
    names = hop_by_hop_names(connection)
    if keep_upgrade:
        names -= {"connection", "upgrade"}
    dropped = {name.encode("latin-1") for name in names}
    kept = tuple(field for field in fields if field[0].lower() not in dropped)
    return kept if len(kept) != len(fields) else None


def asks_for_upgrade(fields: tuple[tuple[bytes, bytes], ...]) -> bool:
    connection = [value.decode("latin-1") for name, value in fields if name.lower() == b"connection"]
    upgrade = next((value.decode("latin-1") for name, value in fields if name.lower() == b"upgrade"), None)
    return is_upgrade_request(connection, upgrade)
