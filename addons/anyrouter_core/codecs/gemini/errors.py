"""Errors for Gemini clients and from Gemini upstreams.

Gemini's error shape is Google's: `{"error":{"code","message","status"}}`, where `code` is the
HTTP status and `status` the error's meaning as a Google RPC code name (`INVALID_ARGUMENT`,
`RESOURCE_EXHAUSTED`, `UNAVAILABLE` …), which is what Gemini CLI and the google-genai SDKs
tell errors apart by. A stream reports an error as a last `data:` event holding that body
(the google-genai SDKs raise it when a chunk starts with `{"error":`).

Choices:
- The status name is the error's own code when that is one of Google's names (a Gemini
  upstream's error, read by `anyrouter_core.errors`, keeps it), else the name of its HTTP
  status (`STATUS_BY_HTTP`); another 4xx is `INVALID_ARGUMENT`, another 5xx `INTERNAL`.
- 529 (Anthropic's "overloaded") is 503 `UNAVAILABLE`, the status Gemini says it with;
  402 (out of credit) stays 402, as `FAILED_PRECONDITION`, the name Google gives a request
  that cannot succeed until the account changes (not `RESOURCE_EXHAUSTED`, which Gemini
  CLI waits and retries).
- `error_event` writes SSE: the proxy asks every Gemini upstream for `alt=sse`, and a
  client's JSON-array stream is written by `stream_encoder`.
"""

from __future__ import annotations

from ...errors import ProxyError
from ..error_vocabulary import ErrorVocabulary
from ..event_stream import crlf_json_event

STATUS_BY_HTTP = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    402: "FAILED_PRECONDITION",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# Google's RPC code names that an error may carry as its own (besides those above).
GOOGLE_STATUSES = frozenset({*STATUS_BY_HTTP.values(), "OUT_OF_RANGE", "ALREADY_EXISTS", "DATA_LOSS", "UNKNOWN"})
VOCABULARY = ErrorVocabulary(STATUS_BY_HTTP, server_error="INTERNAL", own_status={529: 503}, client_error="INVALID_ARGUMENT")


def render_error(error: ProxyError) -> tuple[int, dict]:
    status = VOCABULARY.client_status(error.status)
    name = error.code if error.code in GOOGLE_STATUSES else VOCABULARY.type_for(status)
    return status, {"error": {"code": status, "message": error.message, "status": name}}


def error_event(error: ProxyError) -> bytes:
    return crlf_json_event(render_error(error)[1])


def is_error_body(body: object) -> bool:
    """Whether a parsed body is an error in this shape already (then it passes unchanged)."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return False
    error = body["error"]
    return isinstance(error.get("message"), str) and isinstance(error.get("status"), str)
