"""Which client protocol a request speaks, decided from its method and path alone."""

from __future__ import annotations

import enum

from .errors import ANTHROPIC, OPENAI


class Route(enum.Enum):
    OPENAI_CHAT = "openai-chat"
    ANTHROPIC_MESSAGES = "anthropic-messages"
    ANTHROPIC_COUNT_TOKENS = "anthropic-count-tokens"
    HEALTH = "health"
    MODELS = "models"
    STATS = "stats"
    PASSTHROUGH = "passthrough"

    @property
    def client_protocol(self) -> str | None:
        return _CLIENT_PROTOCOL.get(self)

    @property
    def is_local(self) -> bool:
        return self in (Route.HEALTH, Route.MODELS, Route.STATS)


_CLIENT_PROTOCOL = {
    Route.OPENAI_CHAT: OPENAI,
    Route.ANTHROPIC_MESSAGES: ANTHROPIC,
    Route.ANTHROPIC_COUNT_TOKENS: ANTHROPIC,
}

_POST_ROUTES = {
    "/v1/chat/completions": Route.OPENAI_CHAT,
    "/chat/completions": Route.OPENAI_CHAT,
    "/v1/messages": Route.ANTHROPIC_MESSAGES,
    "/v1/messages/count_tokens": Route.ANTHROPIC_COUNT_TOKENS,
}

_GET_ROUTES = {
    "/health": Route.HEALTH,
    "/v1/models": Route.MODELS,
    "/models": Route.MODELS,
    "/stats": Route.STATS,
}


def classify(method: str, path: str) -> Route:
    """`path` may carry a query string (`/v1/messages?beta=true`); it does not matter here."""
    bare = path.split("?", 1)[0].split("#", 1)[0]
    if len(bare) > 1:
        bare = bare.rstrip("/")
    method = method.upper()
    if method == "POST":
        return _POST_ROUTES.get(bare, Route.PASSTHROUGH)
    if method in ("GET", "HEAD"):
        return _GET_ROUTES.get(bare, Route.PASSTHROUGH)
    return Route.PASSTHROUGH
