"""Error bodies in each protocol's own shape, and the conversion of any upstream error.

Clients only understand errors shaped by their own protocol: Anthropic
`{"type":"error","error":{"type","message"}}` or OpenAI
`{"error":{"message","type","param","code"}}`. Whatever the upstream sent (either shape, an
HTML page from a gateway, plain text, nothing) is turned into one of those.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass

from .sse import EventTooLarge, encode_event

ANTHROPIC = "anthropic"
OPENAI = "openai"
PROTOCOLS = (ANTHROPIC, OPENAI)

_ANTHROPIC_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}

_OPENAI_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_quota",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "timeout_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    502: "server_error",
    503: "service_unavailable_error",
    504: "timeout_error",
}


@dataclass(frozen=True, slots=True)
class ProxyError:
    """An error in protocol-neutral form, ready to be rendered for either kind of client."""

    status: int
    message: str
    type: str | None = None
    param: str | None = None
    code: str | None = None


def error_type_for(protocol: str, status: int) -> str:
    if protocol == ANTHROPIC:
        default = "api_error" if status >= 500 else "invalid_request_error"
        return _ANTHROPIC_TYPE_BY_STATUS.get(status, default)
    default = "server_error" if status >= 500 else "invalid_request_error"
    return _OPENAI_TYPE_BY_STATUS.get(status, default)


def client_status(protocol: str, status: int) -> int:
    """The status a client of `protocol` should see: 529 is Anthropic-only, 503 its twin."""
    if protocol == OPENAI and status == 529:
        return 503
    if protocol == ANTHROPIC and status == 503:
        return 529
    return status


def render_error(protocol: str, error: ProxyError) -> tuple[int, dict]:
    """(status, body) for a client speaking `protocol`."""
    status = client_status(protocol, error.status)
    if protocol == ANTHROPIC:
        kind = _anthropic_type(error.type, status)
        return status, {"type": "error", "error": {"type": kind, "message": error.message}}
    kind = _openai_type(error.type, status)
    return status, {
        "error": {
            "message": error.message,
            "type": kind,
            "param": error.param,
            "code": error.code,
        }
    }


def error_event(protocol: str, error: ProxyError) -> bytes:
    """The error as a stream's last event: Anthropic `event: error`, an OpenAI error chunk."""
    _, body = render_error(protocol, error)
    data = json.dumps(body, ensure_ascii=False)
    return encode_event(data, "error") if protocol == ANTHROPIC else encode_event(data)


def event_too_large(overflow: EventTooLarge) -> ProxyError:
    """An upstream event past the decoder's bound: the upstream's fault, like any garbage."""
    return ProxyError(502, str(overflow), "api_error")


_ANTHROPIC_TYPES = frozenset(_ANTHROPIC_TYPE_BY_STATUS.values())
_ANTHROPIC_ONLY_TYPES = frozenset({"api_error", "overloaded_error", "request_too_large", "billing_error"})


def _anthropic_type(kind: str | None, status: int) -> str:
    if status == 529:
        return "overloaded_error"
    if kind in _ANTHROPIC_TYPES:
        return kind  # type: ignore[return-value]
    return error_type_for(ANTHROPIC, status)


def _openai_type(kind: str | None, status: int) -> str:
    if kind and kind not in _ANTHROPIC_ONLY_TYPES:
        return kind
    return error_type_for(OPENAI, status)


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
