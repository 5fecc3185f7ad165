"""The facts of a Responses client's request that answering it needs, read leniently (see
`codecs/exchange.py`): besides the common ones, which of its tools are custom tools and which
sit in a namespace, so that calls of them go back as the client declared them."""

from __future__ import annotations

from dataclasses import replace

from ...neutral import CUSTOM_TOOL
from ..base import Exchange
from ..exchange import exchange_from_body


def responses_exchange(body: dict, created: int) -> Exchange:
    custom: set[str] = set()
    namespaces: list[tuple[str, str]] = []
    for tool, namespace in _tools(body.get("tools")):
        name = tool.get("name")
        if not isinstance(name, str):
            continue
        if tool.get("type") == CUSTOM_TOOL:
            custom.add(name)
        if namespace is not None:
            namespaces.append((name, namespace))
    exchange = exchange_from_body(body, created=created, stop_field="stop")
    return replace(exchange, custom_tools=frozenset(custom), tool_namespaces=tuple(namespaces))


def _tools(tools: object) -> list[tuple[dict, str | None]]:
    """(tool, the name of its namespace or None) for every tool, namespaces opened."""
    found: list[tuple[dict, str | None]] = []
    for tool in tools if isinstance(tools, list) else ():
        if not isinstance(tool, dict):
            continue
        if tool.get("type") == "namespace" and isinstance(tool.get("name"), str):
            inner = tool.get("tools")
            found += [(item, tool["name"]) for item in inner if isinstance(item, dict)] if isinstance(inner, list) else []
        else:
            found.append((tool, None))
    return found
