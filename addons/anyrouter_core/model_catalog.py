"""The models `GET /v1/models` lists, and what a model id tells of itself (release date, display
name); each codec shapes the list for its clients (`codecs/<protocol>/model_list.py`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

DEFAULT_MODELS = (
    "claude-haiku-4-5-20251001",
    "claude-3-5-haiku-20241022",
    "claude-3-5-sonnet-20241022",
    "claude-3-7-sonnet-20250219",
    "claude-sonnet-4-20250514",
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-6",
    "claude-opus-4-5-20251101",
    "claude-opus-4-6",
)

_DATE_SUFFIX = re.compile(r"-(\d{4})(\d{2})(\d{2})$")


def parse_model_list(text: str) -> list[str]:
    """Comma- or whitespace-separated ids, in order, without repeats."""
    ids: list[str] = []
    for part in re.split(r"[,\s]+", text):
        if part and part not in ids:
            ids.append(part)
    return ids


def release_time(model_id: str, fallback: datetime) -> datetime:
    """The date a model id carries as a `-YYYYMMDD` suffix, else `fallback`."""
    match = _DATE_SUFFIX.search(model_id)
    if match:
        try:
            return datetime(*map(int, match.groups()), tzinfo=UTC)
        except ValueError:
            pass
    return fallback


def display_name(model_id: str) -> str:
    """`claude-sonnet-4-5-20250929` → `Claude Sonnet 4.5`; other ids are kept as they are."""
    base = _DATE_SUFFIX.sub("", model_id)
    words = base.split("-")
    if words[0] != "claude":
        return model_id
    names: list[str] = []
    numbers: list[str] = []
    for word in words:
        (numbers if word.isdigit() else names).append(word)
    version = ".".join(numbers)
    label = " ".join(w.capitalize() for w in names)
    return f"{label} {version}".strip()
