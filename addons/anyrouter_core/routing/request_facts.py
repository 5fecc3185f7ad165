"""What routing knows of a request: the facts a routes file's `match` can ask about.

Routing is a pure function of these facts and the routes table, so it is tested without a
proxy. Two ways to get them: `facts_from_model` for what the addon knows without reading the
body (the model and the protocol the client speaks), and `facts_of` for everything, from the
neutral request a codec decoded from the body. The addon decodes the body for routing only
when a rule asks about more than the model and the client (`RoutingTable.needs_body_facts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..neutral.request import Reasoning, Request, Tool
from .token_estimate import estimate_tokens

__all__ = ["RequestFacts", "asks_for_thinking", "estimate_tokens", "facts_from_model", "facts_of",
           "is_background_call", "tool_names"]


@dataclass(frozen=True, slots=True)
class RequestFacts:
    model: str | None  # as the client named it; None when its request names none
    client_protocol: str
    thinking: bool = False  # the request asks the model to think (reason) before answering
    input_tokens: int = 0  # a high estimate (`estimate_tokens`)
    tool_names: tuple[str, ...] = ()  # the tools it offers the model
    background: bool = False  # `is_background_call`


def is_background_call(model: str | None) -> bool:
    """Whether a request is one of Claude Code's background calls, told by its model alone.

    Claude Code sends the work it does for itself (a conversation's title, summaries, checking
    whether a message starts a new topic) to its "small fast model", a Haiku model by default,
    and the conversation itself to the main model. A model name containing `haiku` (in any
    case) is taken as such a call, so a routes file can send that cheap, frequent traffic to
    a cheap upstream (`match: {background: true}`).
    """
    return model is not None and "haiku" in model.lower()


def facts_from_model(model: str | None, client_protocol: str) -> RequestFacts:
    """The facts known without decoding the body; the others keep their defaults."""
    return RequestFacts(model=model, client_protocol=client_protocol, background=is_background_call(model))


def facts_of(request: Request, client_protocol: str) -> RequestFacts:
    """Every fact of a decoded request (`protocol_named(p).codec.decode_request(body)`)."""
    return replace(
        facts_from_model(request.model, client_protocol),
        thinking=asks_for_thinking(request.reasoning),
        input_tokens=estimate_tokens(request),
        tool_names=tool_names(request.tools),
    )


# The neutral modes that ask for thinking. The decoders write a client's "none" (OpenAI's
# `reasoning_effort`, Responses' `reasoning.effort`) and Anthropic's `disabled` as "disabled".
_THINKING_MODES = ("enabled", "adaptive")


def asks_for_thinking(reasoning: Reasoning | None) -> bool:
    """Whether the client asked for thinking: a thinking mode, an effort or a budget.

    A mode of "disabled" wins over an effort: Anthropic's `output_config.effort` beside
    `thinking: {type: disabled}` sets how much the model writes, not that it thinks. A
    Responses `reasoning` holding only a `summary` sets no effort and asks nothing.
    """
    if reasoning is None or reasoning.mode == "disabled":
        return False
    if reasoning.mode in _THINKING_MODES:
        return True
    return reasoning.effort is not None or bool(reasoning.budget)


# A provider's built-in tool may come without a name; its kind then names it, without the
# version date some providers add (`web_search_20250305` is matched as `web_search`).
_VERSION_DATE = re.compile(r"_\d{8}$")


def tool_names(tools: list[Tool]) -> tuple[str, ...]:
    """The names of the tools a request offers, in order, as `match: {tool: …}` sees them."""
    return tuple(tool.name or _VERSION_DATE.sub("", tool.kind) for tool in tools)
