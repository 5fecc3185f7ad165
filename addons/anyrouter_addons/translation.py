"""Translates requests, responses and event streams between the client's and upstream's protocol.

The core does the translating (`anyrouter_core.translation`, over the codecs); this addon only decides when,
and moves bodies, paths and headers in and out of the flow. A finished answer it replaces has its usage
read first (`usage_meter.note_answer_usage`): after this step the body is the client's, not the upstream's.
"""

from __future__ import annotations

import json
import logging

from mitmproxy import ctx, http

from anyrouter_core.call_signatures import CallSignatures
from anyrouter_core.codecs.base import EncodeOptions, Exchange
from anyrouter_core.errors import ProxyError, RequestRejected
from anyrouter_core.json_body import body_problem, json_kind
from anyrouter_core.routes import RouteKind
from anyrouter_core.stream_translation import StreamTranslator
from anyrouter_core.translation import Direction
from anyrouter_core.usage_meter import usage_of_answer, usage_of_stream_body

from .body_defaults import BodyDefaults
from .flow_state import replace_request_json, request_json, route_of, state_of
from .responses import answer_locally, error_response, replace_json_body
from .streaming import (
    EventSizeLimit,
    is_event_stream,
    is_successful_event_stream,
    note_stream_error,
    prepare_for_new_body,
    translating_stream,
)
from .phases import Phase
from .usage_meter import note_answer_usage

log = logging.getLogger("anyrouter")


def adapt_headers(headers: http.Headers, direction: Direction) -> None:
    for name in direction.client.client_only_headers:
        headers.pop(name, None)
    headers["content-type"] = "application/json"
    for name, value in direction.upstream.upstream_headers:
        headers.setdefault(name, value)


def not_a_json_object(direction: Direction, content: bytes = b"") -> ProxyError:
    problem = body_problem(content) or "is not a JSON object"
    return ProxyError(
        400,
        f"the request body must be a JSON object ({direction.client.request_noun}), but it {problem}",
        "invalid_request_error",
    )


def answer_not_an_object(what_it_is: str = "") -> RequestRejected:
    return RequestRejected(
        ProxyError(502, f"the upstream answered with a body that is not a JSON object{what_it_is}", "api_error")
    )


class _Exchange:
    """What the response side of one translated flow needs."""

    __slots__ = ("direction", "facts")

    def __init__(self, direction: Direction, facts: Exchange) -> None:
        self.direction = direction
        self.facts = facts


class Translation:
    phase = Phase.TRANSLATE

    def __init__(self, event_limit: EventSizeLimit, body_defaults: BodyDefaults) -> None:
        self.event_limit = event_limit
        self.body_defaults = body_defaults  # its default_max_tokens, for the encoders
        # For every flow: the signatures of tool calls that a Chat Completions client loses.
        self.signatures = CallSignatures()

    def load(self, loader) -> None:
        loader.add_option(
            "force_non_stream",
            bool,
            False,
            "Call the upstream without streaming; clients that asked for a stream still get "
            "one, built from the finished answer.",
        )

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response or route_of(flow).kind is not RouteKind.CONVERSATION:
            return
        state = state_of(flow)
        client = state.client_protocol
        direction = Direction(client, state.upstream_protocol, self.signatures)
        if not direction.translates and not ctx.options.force_non_stream:
            return
        body = request_json(flow)
        if not isinstance(body, dict):
            content = flow.request.get_content(strict=False) or b""
            answer_locally(flow, error_response(client, not_a_json_object(direction, content)))
            return
        try:
            facts = direction.exchange_of(body, int(flow.request.timestamp_start))
            upstream_body = self.upstream_body(direction, body, facts)
        except RequestRejected as rejected:
            answer_locally(flow, error_response(client, rejected.error))
            return
        except Exception as exc:  # a translator bug must not send the client's body on untranslated
            log.exception("could not translate the client's request")
            error = ProxyError(500, f"anyrouter could not translate the request: {exc!r}", "api_error")
            answer_locally(flow, error_response(client, error))
            return
        replace_request_json(flow, upstream_body)
        state.exchange = _Exchange(direction, facts)
        if direction.translates:
            flow.request.path = direction.upstream_path(flow.request.path)
            adapt_headers(flow.request.headers, direction)
            state.translation = direction.label
            # Saved flows show both sides: the upstream's request, and what the client sent.
            state.client_request = flow.request.get_text(strict=False)

    def upstream_body(self, direction: Direction, body: dict, facts: Exchange) -> dict:
        upstream_body = body
        if direction.translates:
            translated = direction.translate_request(body, EncodeOptions(self.body_defaults.default_max_tokens))
            if translated.dropped:
                log.info(
                    "%s: left out parameters with no upstream equivalent: %s",
                    direction.label, ", ".join(translated.dropped),
                )
            upstream_body = translated.body
        if ctx.options.force_non_stream and facts.stream:
            upstream_body = direction.without_streaming(upstream_body)
        return upstream_body

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        exchange = state_of(flow).exchange
        response = flow.response
        assert response
        if exchange is None or not exchange.direction.translates:
            return
        if is_successful_event_stream(response):
            prepare_for_new_body(response)
            response.stream = translating_stream(flow, self.stream_translator(exchange))
            state_of(flow).upstream_event_stream = True  # for the meter: the client's type may differ
            response.headers["content-type"] = exchange.facts.stream_content_type

    def stream_translator(self, exchange: _Exchange) -> StreamTranslator:
        return exchange.direction.stream_translator(exchange.facts, self.event_limit.max_bytes)

    def response(self, flow: http.HTTPFlow) -> None:
        exchange = state_of(flow).exchange
        response = flow.response
        if exchange is None or response is None or response.status_code >= 400:
            return
        if response.stream or (is_event_stream(response) and not exchange.direction.translates):
            return  # streamed live, or an event stream that needs no translation
        try:
            self.answer_client(flow, exchange)
        except RequestRejected as rejected:
            flow.response = error_response(exchange.direction.client.name, rejected.error)
        except Exception as exc:  # a translator bug must still leave the client a usable error
            log.exception("could not translate the upstream's answer")
            error = ProxyError(502, f"anyrouter could not translate the upstream's answer: {exc}", "api_error")
            flow.response = error_response(exchange.direction.client.name, error)

    def answer_client(self, flow: http.HTTPFlow, exchange: _Exchange) -> None:
        response = flow.response
        assert response
        upstream = exchange.direction.upstream.name
        if is_event_stream(response):
            # A whole event stream: the answer of a retry, which could not be streamed live.
            content = response.get_content(strict=False) or b""
            note_answer_usage(flow, usage_of_stream_body(upstream, content, self.event_limit.max_bytes))
            translator = self.stream_translator(exchange)
            response.content = translator.feed(content) + translator.end()
            response.headers["content-type"] = exchange.facts.stream_content_type
            note_stream_error(flow, translator)
            return
        body = self.upstream_answer(flow)
        # Read before the body is replaced: the client's answer is not the upstream's.
        note_answer_usage(flow, usage_of_answer(upstream, body))
        if exchange.facts.stream:
            response.headers.pop("content-encoding", None)
            response.headers["content-type"] = exchange.facts.stream_content_type
            response.content = exchange.direction.stream_from_answer(body, exchange.facts)
        elif exchange.direction.translates:
            replace_json_body(response, response.status_code, exchange.direction.translate_answer(body, exchange.facts))

    @staticmethod
    def upstream_answer(flow: http.HTTPFlow) -> dict:
        assert flow.response
        try:
            body = json.loads(flow.response.get_content(strict=False) or b"")
        except ValueError:
            raise answer_not_an_object() from None
        if not isinstance(body, dict):
            # Worth naming: an array is what a Gemini stream looks like without alt=sse.
            raise answer_not_an_object(f" (it is {json_kind(body)})")
        return body
