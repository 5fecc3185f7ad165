"""Errors for Responses clients and from Responses upstreams.

A whole answer's error has OpenAI's shape, `{"error":{"message","type","param","code"}}`,
with its error types and 529 → 503 (`openai_chat/errors.py`: one shape, one place). A stream
ends with `response.failed` whose `response.error.code` is one Codex classifies:
`rate_limit_exceeded` (Codex waits and retries; it reads the wait from "try again in Xs" in
the message), `context_length_exceeded` (Codex compacts or stops), `insufficient_quota`
(Codex stops and says so), else `server_error` (Codex retries).

Choices:
- The code comes from the error's own code when it is one of those, else from its status
  (429, 402) or, for a 400, from a message that says the prompt is too long (Anthropic's
  "prompt is too long", OpenAI's "context length", "context window").
- Read back (from a Responses upstream), each code gets the status it stands for, so that a
  client of another protocol hears the same condition: rate_limit_exceeded 429,
  context_length_exceeded and invalid_prompt 400, insufficient_quota 402, else 500.
- A passed-through stream that breaks off (`error_event`) ends with a `response.failed`
  numbered 0: the proxy has not read the stream's own numbering.
"""

from __future__ import annotations

import re

from ...errors import ProxyError
from ..event_stream import json_event_bytes
from ..openai_chat.errors import is_error_body, render_error

__all__ = ["error_event", "error_from_failure", "failed_response", "failure_code", "is_error_body", "render_error"]

RATE_LIMITED = "rate_limit_exceeded"
CONTEXT_TOO_LONG = "context_length_exceeded"
NO_QUOTA = "insufficient_quota"
SERVER_ERROR = "server_error"
_STATUS_BY_CODE = {RATE_LIMITED: 429, CONTEXT_TOO_LONG: 400, "invalid_prompt": 400, NO_QUOTA: 402}
_TOO_LONG = re.compile(r"prompt is too long|context length|context window|maximum context", re.IGNORECASE)


def failure_code(error: ProxyError) -> str:
    if error.code in (RATE_LIMITED, CONTEXT_TOO_LONG, NO_QUOTA):
        return error.code  # type: ignore[return-value]
    if error.status == 429:
        return RATE_LIMITED
    if error.status == 402 or error.type in (NO_QUOTA, "billing_error"):
        return NO_QUOTA
    if error.status in (400, 413) and _TOO_LONG.search(error.message):
        return CONTEXT_TOO_LONG
    return SERVER_ERROR


def error_from_failure(error: object, fallback: str) -> ProxyError:
    """The neutral error of a failed response's `error` object (`fallback`: the message when
    it has none)."""
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), str) else None
    message = error.get("message") if isinstance(error.get("message"), str) and error["message"] else fallback
    status = _STATUS_BY_CODE.get(code or "", 500)
    return ProxyError(status, message, None, None, code)


def failed_response(response: dict, error: ProxyError) -> dict:
    """`response` (a Response object) as it ends when `error` stopped it."""
    return {**response, "status": "failed", "error": {"code": failure_code(error), "message": error.message}}


def error_event(error: ProxyError) -> bytes:
    response = failed_response({"id": "resp_failed", "object": "response", "output": []}, error)
    return json_event_bytes({"type": "response.failed", "sequence_number": 0, "response": response}, "response.failed")
