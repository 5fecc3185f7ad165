"""What every codec's error shape (`codecs/<protocol>/errors.py`) is built on: the error types a
protocol's clients know, by HTTP status, and the statuses it says differently from others."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ErrorVocabulary:
    type_by_status: Mapping[int, str]
    server_error: str  # the type of a 5xx the table does not name
    # Another protocol's status for the same condition → this protocol's (529 ↔ 503).
    own_status: Mapping[int, int] = field(default_factory=dict)
    client_error: str = "invalid_request_error"  # the type of a 4xx the table does not name

    def type_for(self, status: int) -> str:
        return self.type_by_status.get(status, self.server_error if status >= 500 else self.client_error)

    def client_status(self, status: int) -> int:
        return self.own_status.get(status, status)

    def knows(self, kind: str | None) -> bool:
        return kind in self.type_by_status.values()
