"""What a request translator hands back to the addon layer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class TranslatedRequest:
    body: dict
    # Client parameters with no equivalent upstream that were left out, named for the log line.
    dropped: list[str] = field(default_factory=list)
