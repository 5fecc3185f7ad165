"""Where a route is matched: a rule's `match` against the facts of one request.

Every key a `match` gives must hold (AND); a key it leaves out holds for any request, so an
empty match holds for every request (a catch-all). Model and tool names are compared with
`fnmatch`-style globs (`*`, `?`, `[...]`) against the whole name, ignoring case: clients
differ in how they spell model names, and a rule written `claude-*haiku*` should not miss
`Claude-3-5-Haiku`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from .request_facts import RequestFacts

_GLOB_CHARACTERS = frozenset("*?[")


def has_glob(pattern: str) -> bool:
    """Whether `pattern` can match more than the one name it spells."""
    return not _GLOB_CHARACTERS.isdisjoint(pattern)


def glob_matches(pattern: str, name: str) -> bool:
    """Whether `name` as a whole matches `pattern`, ignoring case."""
    return fnmatchcase(name.lower(), pattern.lower())


def _any_matches(patterns: Iterable[str], names: Iterable[str]) -> bool:
    names = tuple(names)
    return any(glob_matches(pattern, name) for pattern in patterns for name in names)


@dataclass(frozen=True, slots=True)
class Match:
    """The conditions of one rule; an empty tuple or set, or None, is a key the file left out."""

    models: tuple[str, ...] = ()  # globs; any of them may match the model
    client_protocols: frozenset[str] = frozenset()  # the protocol the client speaks, any of them
    thinking: bool | None = None
    input_tokens_above: int | None = None  # the estimate is strictly above it
    tools: tuple[str, ...] = ()  # globs; the request offers a tool one of them matches
    has_tools: bool | None = None  # the request offers some tool (True) or none (False)
    background: bool | None = None

    @property
    def is_catch_all(self) -> bool:
        """Whether it holds for every request: it gives no condition at all."""
        return self == _EVERYTHING

    @property
    def needs_body_facts(self) -> bool:
        """Whether it asks about more than the model and the client's protocol, which are
        known without decoding the request's body."""
        return bool(self.tools) or any(
            condition is not None
            for condition in (self.thinking, self.input_tokens_above, self.has_tools, self.background)
        )

    def holds(self, facts: RequestFacts) -> bool:
        return (
            self._model_holds(facts.model)
            and (not self.client_protocols or facts.client_protocol in self.client_protocols)
            and (self.thinking is None or facts.thinking == self.thinking)
            and (self.input_tokens_above is None or facts.input_tokens > self.input_tokens_above)
            and (not self.tools or _any_matches(self.tools, facts.tool_names))
            and (self.has_tools is None or bool(facts.tool_names) == self.has_tools)
            and (self.background is None or facts.background == self.background)
        )

    def _model_holds(self, model: str | None) -> bool:
        if not self.models:
            return True
        return model is not None and _any_matches(self.models, (model,))


_EVERYTHING = Match()
