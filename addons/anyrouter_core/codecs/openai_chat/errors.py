"""OpenAI's error shape: `{"error":{"message","type","param","code"}}`, the error types its
SDKs know, and 503 for an overloaded upstream (Anthropic's 529).

A stream reports an error as a last chunk holding that body, without an event name.
"""

from __future__ import annotations

import json

from ...errors import ProxyError
from ...sse import encode_event
from ..error_vocabulary import ErrorVocabulary

TYPE_BY_STATUS = {
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
# Types only Anthropic uses: an OpenAI client gets the type of the status instead.
_FOREIGN_TYPES = frozenset({"api_error", "overloaded_error", "request_too_large", "billing_error"})
# 529 is Anthropic's "overloaded": OpenAI clients know it as 503.
VOCABULARY = ErrorVocabulary(TYPE_BY_STATUS, server_error="server_error", own_status={529: 503})


def render_error(error: ProxyError) -> tuple[int, dict]:
    status = VOCABULARY.client_status(error.status)
    kind = error.type if error.type and error.type not in _FOREIGN_TYPES else VOCABULARY.type_for(status)
    return status, {"error": {"message": error.message, "type": kind, "param": error.param, "code": error.code}}


def error_event(error: ProxyError) -> bytes:
    return encode_event(json.dumps(render_error(error)[1], ensure_ascii=False))


def is_error_body(body: object) -> bool:
    """Whether a parsed body is an error in this shape already (then it passes unchanged)."""
    return isinstance(body, dict) and isinstance(body.get("error"), dict) and "message" in body["error"]
