"""The arithmetic of the proxy's token estimates, shared by every estimator so that all of them
say the same of the same request (see `codecs/anthropic/token_estimate.py` for the formula)."""

from __future__ import annotations

import json
import math

BASE_TOKENS = 16
TOKENS_PER_MESSAGE = 8
TOKENS_PER_TOOL = 16
TOKENS_PER_IMAGE = 1600
TOKENS_PER_PDF = 3000
PDF_BASE64_CHARS_PER_UNIT = 100_000

_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def pdf_tokens(base64_chars: int) -> int:
    return TOKENS_PER_PDF * max(math.ceil(base64_chars / PDF_BASE64_CHARS_PER_UNIT), 1)


def characters(value: object) -> int:
    """The characters of `value` as compact JSON, about, counted without recursion."""
    count, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            count += 2 + sum(len(str(key)) + 3 for key in item)
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            count += 2 + len(item)
            pending.extend(item)
        else:
            count += len(str(item))
    return count


def compact_json(value: object) -> str:
    try:
        return _COMPACT.encode(value)
    except (RecursionError, ValueError):
        # Nested deeper than the encoder follows (or not JSON at all): one character per
        # character of it, counted without recursion, is still a high estimate.
        return "x" * characters(value)


class TokenCounter:
    """Tokens counted so far, and the text seen: about 3 ASCII characters a token, and one
    token for every other character, rounded up."""

    def __init__(self) -> None:
        self.tokens = 0
        self.ascii_chars = 0
        self.other_chars = 0

    def total(self) -> int:
        return self.tokens + math.ceil(self.ascii_chars / 3) + self.other_chars

    def text(self, text: str) -> None:
        if text.isascii():
            self.ascii_chars += len(text)
            return
        other = sum(1 for char in text if not char.isascii())
        self.other_chars += other
        self.ascii_chars += len(text) - other
