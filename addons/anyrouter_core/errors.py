"""Errors in protocol-neutral form, and the reading of whatever error an upstream sent.

Clients only understand errors shaped by their own protocol, so the proxy keeps an error as a
neutral `ProxyError` until it knows whom it answers; each codec renders it in its protocol's
shape (`codecs/<protocol>/errors.py`). Whatever the upstream sent (any protocol's shape, an
HTML page from a gateway, plain text, nothing) is read into a `ProxyError` here.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass

from .sse import EventTooLarge


@dataclass(frozen=True, slots=True)
class ProxyError:
    """An error in protocol-neutral form, ready to be rendered for any protocol's client."""

    status: int
    message: str
    type: str | None = None
    param: str | None = None
    code: str | None = None


def event_too_large(overflow: EventTooLarge) -> ProxyError:
    """An upstream event past the decoder's bound: the upstream's fault, like any garbage."""
    return ProxyError(502, str(overflow), "api_error")


def parse_upstream_error(status: int, content_type: str, body: bytes) -> ProxyError:
    """Read whatever error an upstream returned into a `ProxyError` that keeps its meaning."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return ProxyError(status, f"upstream answered HTTP {status} with an empty body")
    parsed = _json_or_none(text)
    if isinstance(parsed, dict):
        found = _error_from_json(status, parsed)
        if found is not None:
            return found
    if "html" in content_type.lower() or text.lstrip().startswith("<"):
        return ProxyError(status, f"upstream answered HTTP {status} with an HTML page: {_html_summary(text)}")
    return ProxyError(status, f"upstream answered HTTP {status}: {_shorten(text)}")


def _error_from_json(status: int, body: dict) -> ProxyError | None:
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        kind = error.get("type")
        code = error.get("code")
        # Google's errors give the HTTP status as `code` and their meaning as `status`
        # ("RESOURCE_EXHAUSTED"): the meaning is the code worth keeping, and a Gemini client
        # gets it back as it was.
        google_status = error.get("status")
        if isinstance(google_status, str) and google_status:
            code = google_status
        return ProxyError(
            status,
            str(message) if message else f"upstream answered HTTP {status}",
            kind if isinstance(kind, str) else None,
            error.get("param") if isinstance(error.get("param"), str) else None,
            str(code) if code is not None else None,
        )
    if isinstance(error, str):
        return ProxyError(status, error)
    message = body.get("message") or body.get("detail")
    if isinstance(message, str):
        return ProxyError(status, message)
    return None


def _json_or_none(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _html_summary(text: str) -> str:
    title = _TITLE.search(text)
    if title:
        summary = title.group(1)
    else:
        without_scripts = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", text, flags=re.I | re.S)
        summary = _TAG.sub(" ", without_scripts)
    return _shorten(html.unescape(_SPACE.sub(" ", summary)).strip() or "no readable text")


def _shorten(text: str, limit: int = 300) -> str:
    text = _SPACE.sub(" ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RequestRejected(Exception):
    """A request the proxy answers itself with an error, e.g. a parameter it cannot carry."""

    def __init__(self, error: ProxyError) -> None:
        super().__init__(error.message)
        self.error = error


def invalid_request(message: str, param: str | None = None, status: int = 400) -> RequestRejected:
    return RequestRejected(ProxyError(status, message, "invalid_request_error", param))
