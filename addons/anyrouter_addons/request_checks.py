"""Requests refused before anything is sent upstream: a wrong method (405), a body too big (413).

Both are answered in the protocol the path belongs to (`/v1/chat/completions` is OpenAI's,
`/v1/messages` and `/v1/messages/count_tokens` are Anthropic's: `protocols.path_protocol`),
whatever the request says.

Wrong method: on a path whose requests anyrouter translates (the client's protocol is not the
upstream's), anything but POST gets a 405 with `Allow: POST`. OPTIONS, a browser's CORS
preflight, passes through. When client and upstream speak the same protocol the path is the
upstream's own and every method passes through (OpenAI lists stored completions at
`GET /v1/chat/completions`).

Body size: the proxy holds a request body on those paths whole to parse and translate it, so
`max_body_size` bounds it (mitmproxy's own `body_size_limit` bounds every request and every
response alike, and answers with an HTML page and a closed connection). A `content-length`
above the limit is answered before any of the body is read; a body without one (chunked) is
answered as soon as it grows past the limit, and what had arrived is dropped. The rest of the
body is then read and thrown away, and the connection closed after it (HTTP/1): clients that
send their whole body before they read the answer, as most do, get the 413 rather than a reset
connection. mitmproxy reads bodies before any addon sees them, so the check sits where
mitmproxy checks `body_size_limit`, while this addon is loaded
(`mitmproxy_compat.install_request_body_check`).
"""

from __future__ import annotations

import logging

from mitmproxy import ctx, exceptions, http

from anyrouter_core.errors import ProxyError
from anyrouter_core.protocols import path_protocol
from anyrouter_core.routes import RouteKind
from anyrouter_core.sizes import describe_size

from .mitmproxy_compat import install_request_body_check, parse_mitmproxy_size, uninstall_request_body_check
from .responses import answer_locally, error_response
from .flow_state import route_of, state_of
from .phases import Phase

log = logging.getLogger("anyrouter")

DEFAULT_MAX_BODY_SIZE = "32m"
_ALWAYS_ALLOWED_METHODS = ("POST", "OPTIONS")


def parse_size(value: str) -> int:
    """Bytes in a size option: a whole number of bytes, or with a k, m or g suffix (KiB, MiB,
    GiB; any case). 0 means no limit. ValueError otherwise."""
    text = value.strip().lower()
    if text.endswith("ib"):
        text = text[:-2]  # "32MiB" reads as "32m"
    try:
        size = parse_mitmproxy_size(text)
    except ValueError:
        size = None
    if size is None or size < 0:
        raise ValueError(value)
    return size


def read_size_option(name: str, example: str) -> int:
    """The option `name` read with `parse_size`; OptionsError naming the option otherwise."""
    value = getattr(ctx.options, name)
    try:
        return parse_size(value)
    except ValueError:
        raise exceptions.OptionsError(
            f"{name} must be a number of bytes, or one with a k, m or g suffix "
            f"(e.g. {example}), or 0 for no limit; not {value!r}"
        ) from None


def declared_length(request: http.Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


class RequestChecks:
    phase = Phase.CHECK

    def __init__(self) -> None:
        self.max_body_size = parse_size(DEFAULT_MAX_BODY_SIZE)

    def load(self, loader) -> None:
        loader.add_option(
            "max_body_size",
            str,
            DEFAULT_MAX_BODY_SIZE,
            "Largest request body accepted on the LLM routes (/v1/chat/completions, /v1/messages, "
            "/v1/messages/count_tokens, /v1/responses, Gemini's /v1beta/models/{model}:generateContent, "
            ":streamGenerateContent and :countTokens): bytes, or with a k, m or g suffix (32m = 32 MiB); 0 for "
            "no limit. A bigger body gets a 413 in the client's protocol.",
        )
        install_request_body_check(self.too_large, answer_locally)

    def done(self) -> None:
        uninstall_request_body_check()

    def configure(self, updated: set[str]) -> None:
        if "max_body_size" in updated:
            self.max_body_size = read_size_option("max_body_size", "32m")

    # ------------------------------------------------------------------ wrong method

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response:
            return
        if route_of(flow).kind is RouteKind.STORED_ANSWER:
            self.refuse_stored_answer(flow)
            return
        request = flow.request
        protocol = path_protocol(request.path)
        method = request.method.upper()
        if protocol is None or method in _ALWAYS_ALLOWED_METHODS:
            return
        if protocol == state_of(flow).upstream_protocol:
            return  # the upstream's own path: it knows which methods it serves
        bare_path = request.path.split("?", 1)[0]
        error = ProxyError(405, f"{method} is not allowed on {bare_path}: use POST", "invalid_request_error")
        response = error_response(protocol, error, {"allow": "POST"})
        if method == "HEAD":
            response.content = b""
        answer_locally(flow, response)

    @staticmethod
    def refuse_stored_answer(flow: http.HTTPFlow) -> None:
        """A stored answer exists only upstream, in its protocol: passed through when the
        upstream speaks the client's protocol, a 404 that says why when it does not."""
        state = state_of(flow)
        if state.client_protocol == state.upstream_protocol:
            return
        request = flow.request
        bare_path = request.path.split("?", 1)[0]
        error = ProxyError(
            404,
            f"{request.method.upper()} {bare_path}: anyrouter stores no answers (`store` is ignored) and "
            f"its upstream speaks another protocol, so there is nothing to read, delete or compact here; "
            f"send the whole conversation in `input` instead (Codex does, and compacts locally, with a "
            f"custom model_provider)",
            "not_found_error",
        )
        answer_locally(flow, error_response(state.client_protocol, error))

    # ------------------------------------------------------------------ body size

    def too_large(self, flow: http.HTTPFlow, buffered: int) -> http.Response | None:
        """The 413 for a request whose body is bigger than allowed, else None. `buffered` is
        how much of the body has arrived (0 before any of it has)."""
        limit = self.max_body_size
        protocol = path_protocol(flow.request.path)
        if not limit or protocol is None:
            return None
        if buffered:
            if buffered <= limit:
                return None
            message = f"request body too large: it is bigger than the {describe_size(limit)} allowed (max_body_size)"
        else:
            declared = declared_length(flow.request)
            if declared is None or declared <= limit:
                return None
            message = (
                f"request body too large: content-length is {describe_size(declared)}, "
                f"more than the {describe_size(limit)} allowed (max_body_size)"
            )
        log.info("%s %s: %s", flow.request.method, flow.request.path, message)
        return error_response(protocol, ProxyError(413, message, "request_too_large"))
