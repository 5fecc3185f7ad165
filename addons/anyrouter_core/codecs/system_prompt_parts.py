"""What the system-prompt rules of every codec share (`codecs/<protocol>/system_prompt.py`):
the error that sends a body on unchanged, and text blocks with their cache marks."""

from __future__ import annotations


class UnexpectedBody(ValueError):
    """The body's system prompt is not shaped as expected; the body should go unchanged."""


def text_block(text: str) -> dict:
    return {"type": "text", "text": text}


def is_text_part(part: object) -> bool:
    return isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)


def last_cache_control(parts: list) -> object | None:
    found = None
    for part in parts:
        if isinstance(part, dict) and part.get("cache_control") is not None:
            found = part["cache_control"]
    return found
