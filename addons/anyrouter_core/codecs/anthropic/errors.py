"""Anthropic's error shape: `{"type":"error","error":{"type","message"}}`, the error types
its SDKs know, and 529 for an overloaded upstream (503 elsewhere).

A stream reports an error as its last event, `event: error` with the same body.
"""

from __future__ import annotations

import json

from ...errors import ProxyError
from ...sse import encode_event
from ..error_vocabulary import ErrorVocabulary

TYPE_BY_STATUS = {
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
# 529 is how Anthropic says "overloaded"; other APIs say 503.
VOCABULARY = ErrorVocabulary(TYPE_BY_STATUS, server_error="api_error", own_status={503: 529})


def render_error(error: ProxyError) -> tuple[int, dict]:
    status = VOCABULARY.client_status(error.status)
    return status, {"type": "error", "error": {"type": _type_of(error.type, status), "message": error.message}}


def error_event(error: ProxyError) -> bytes:
    return encode_event(json.dumps(render_error(error)[1], ensure_ascii=False), "error")


def is_error_body(body: object) -> bool:
    """Whether a parsed body is an error in this shape already (then it passes unchanged)."""
    return isinstance(body, dict) and isinstance(body.get("error"), dict) and body.get("type") == "error"


def _type_of(kind: str | None, status: int) -> str:
    if status == 529:
        return "overloaded_error"
    if VOCABULARY.knows(kind):
        return kind  # type: ignore[return-value]
    return VOCABULARY.type_for(status)
