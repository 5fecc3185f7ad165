"""What a request body says about itself, found without parsing it (sans-IO).

A request passed through unchanged needs its body only for the log line and the stats (the
model, whether it streams), and parsing a 64 KB Claude Code body costs more than the rest of
the proxy's work on it. So these scans look at the bytes: `"model": "<name>"` and
`"stream": true|false`. Inside a JSON string a quote is always escaped, so the pattern can only
match a key with a string value; the first match is taken, which is the top-level field in
every client seen (they write `model` and `stream` before or instead of any nested object
holding such keys). What must be exact (a model to rename, a field to add) parses the body.
"""

from __future__ import annotations

import json
import re

_MODEL = re.compile(rb'"model"\s*:\s*"((?:[^"\\]|\\.)*)"')
_STREAM = re.compile(rb'"stream"\s*:\s*(true|false)\b')


def scanned_model(content: bytes) -> str | None:
    match = _MODEL.search(content)
    if match is None:
        return None
    try:
        value = json.loads(b'"' + match.group(1) + b'"')
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def scanned_stream(content: bytes) -> bool:
    match = _STREAM.search(content)
    return match is not None and match.group(1) == b"true"


def mentions(content: bytes, text: str) -> bool:
    """False only when the body certainly holds no JSON string `text`, as a key or a value,
    at any depth (`text` being one that JSON writes without escapes, as field and model names)."""
    return f'"{text}"'.encode() in content
