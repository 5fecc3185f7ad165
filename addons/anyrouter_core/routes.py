"""What a request is for: a route, named as logs, stats and header rules name it.

The routes of the LLM APIs belong to their protocols and are declared in the registry
(`anyrouter_core.protocols`, which also classifies a request); the proxy's own endpoints
(`/health`, `/v1/models`, `/stats` with the usage export and the dashboard's data) and
pass-through are here, since no protocol owns them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar


class RouteKind(enum.Enum):
    CONVERSATION = "conversation"  # a model's answer to a conversation (Messages, Chat)
    COUNT_TOKENS = "count-tokens"
    # Reading, deleting or compacting an answer the upstream stored (`GET /v1/responses/{id}`):
    # the proxy stores none, so only the same protocol's upstream can answer it.
    STORED_ANSWER = "stored-answer"
    HEALTH = "health"
    MODELS = "models"
    STATS = "stats"
    DASHBOARD = "dashboard"  # the page only: it holds no data, so it is never protected
    PASSTHROUGH = "passthrough"


@dataclass(frozen=True, slots=True)
class Route:
    value: str  # the route's name, as logs, stats, saved flows and header rules show it
    kind: RouteKind
    client_protocol: str | None = None  # the protocol whose clients call it
    paths: tuple[str, ...] = ()

    HEALTH: ClassVar[Route]
    MODELS: ClassVar[Route]
    STATS: ClassVar[Route]
    DASHBOARD: ClassVar[Route]
    PASSTHROUGH: ClassVar[Route]

    @property
    def is_local(self) -> bool:
        return self.kind in _LOCAL_KINDS


_LOCAL_KINDS = (RouteKind.HEALTH, RouteKind.MODELS, RouteKind.STATS, RouteKind.DASHBOARD)
Route.HEALTH = Route("health", RouteKind.HEALTH, paths=("/health",))
Route.MODELS = Route("models", RouteKind.MODELS, paths=("/v1/models", "/models"))
Route.STATS = Route("stats", RouteKind.STATS, paths=("/stats", "/stats/usage", "/dashboard/data"))
Route.PASSTHROUGH = Route("passthrough", RouteKind.PASSTHROUGH)
Route.DASHBOARD = Route("dashboard", RouteKind.DASHBOARD, paths=("/dashboard",))
LOCAL_ROUTES = (Route.HEALTH, Route.MODELS, Route.STATS, Route.DASHBOARD)


def bare_path(path: str) -> str:
    """`path` without its query, fragment and trailing slash: `/v1/messages/?beta=true` →
    `/v1/messages`. The query does not decide a route."""
    bare = path.split("?", 1)[0].split("#", 1)[0]
    return bare.rstrip("/") if len(bare) > 1 else bare


def by_path(routes: tuple[Route, ...]) -> dict[str, Route]:
    return {path: route for route in routes for path in route.paths}
