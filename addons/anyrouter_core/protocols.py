"""The registry of protocols: every "which protocol is this" decision is made here or in a
codec, nowhere else.

A `Protocol` names its codec (request, answer, stream and error forms, where its bodies hold
the system prompt and the model name, its model list and stream summary) and the facts the
proxy needs around it: the client paths it owns (so classifying a request is a look-up here),
the path its requests go to upstream, the header an upstream key travels in, the headers that
mark its clients and those only its clients send, the headers its upstream requires, what its
upstream needs or lacks, and how to read the facts of a client's request that answering it
needs. Adding a protocol is writing its codec and one entry in `PROTOCOLS`. Where each of its
answers and streams says how many tokens it took is its codec's `usage` module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from operator import attrgetter
from types import SimpleNamespace

from .codecs import anthropic, gemini, openai_chat, responses
from .codecs.anthropic.stream_decoder import AnthropicStreamDecoder
from .codecs.anthropic.stream_encoder import AnthropicStreamEncoder
from .codecs.anthropic.token_estimate import estimate_input_tokens
from .codecs.base import Exchange
from .codecs.exchange import exchange_from_body
from .codecs.gemini import paths as gemini_paths
from .codecs.gemini.exchange import gemini_exchange
from .codecs.gemini.model_list import models_at as gemini_models_at
from .codecs.gemini.stream_decoder import GeminiStreamDecoder
from .codecs.gemini.stream_encoder import GeminiStreamEncoder
from .codecs.gemini.token_estimate import estimate_input_tokens as estimate_gemini_input_tokens
from .codecs.openai_chat.stream_decoder import OpenAIChatStreamDecoder
from .codecs.openai_chat.stream_encoder import OpenAIChatStreamEncoder
from .codecs.responses.exchange import responses_exchange
from .codecs.responses.stream_decoder import ResponsesStreamDecoder
from .codecs.responses.stream_encoder import ResponsesStreamEncoder
from .routes import LOCAL_ROUTES, Route, RouteKind, bare_path, by_path

ANTHROPIC = anthropic.NAME
OPENAI = openai_chat.NAME
RESPONSES = responses.NAME
GEMINI = gemini.NAME


@dataclass(frozen=True, slots=True)
class PathCalls:
    """How the proxy reads and writes a request whose path names its model and method."""

    # The route of a request, from its method and its path without the query, instead of by
    # `client_routes`' fixed paths. (Headers are given where they are known: a path may be
    # another protocol's as well.)
    route: Callable[[str, str, Mapping[str, str]], Route | None]
    call: Callable[[str], object | None]  # the call a path names, or None
    # The body with the call's model and stream form as fields (which every step reads).
    lift: Callable[[object, dict], dict]
    # The path a lifted body names (for the client's call, if any), and the body without them.
    lowered: Callable[[dict, object | None], tuple[str, dict]]
    # The answer of a model-list route at a path: the list, or the one model it names.
    models_at: Callable[[str, list[str], datetime], dict]
    # Whether the call's client reads its stream as one JSON array, not as an event stream.
    array_stream: Callable[[object], bool]


@dataclass(frozen=True, slots=True)
class Protocol:
    name: str
    title: str  # the protocol as people call it, for views and messages
    request_noun: str  # what a request of the protocol is called, for error messages
    codec: SimpleNamespace
    client_routes: tuple[Route, ...]  # the POST routes its clients call, with their paths
    upstream_path: str
    key_header: str
    key_scheme: str  # what precedes the key in its header ("Bearer " or nothing)
    # Request headers that tell a client of this protocol from others (an API client on a
    # path no protocol owns, a model list): the first protocol whose mark a request has wins.
    client_marks: tuple[str, ...]
    client_only_headers: tuple[str, ...]
    upstream_headers: tuple[tuple[str, str], ...]
    exchange_of: Callable[[dict, int], Exchange]
    stream_fields: tuple[str, ...]  # the request fields that ask for a stream
    requires_max_tokens: bool  # its upstream refuses a conversation request without max_tokens
    counts_tokens: bool  # its upstream has an endpoint that counts a request's input tokens
    # A high estimate of a client request's input tokens, where its clients may need one
    # before (or instead of) the upstream's count.
    estimate_input_tokens: Callable[[dict], int] | None
    answer_model_field: str = "model"  # the top-level field of its answers that names the model
    # The field of its count-tokens answer that holds the count, where it has that route.
    count_field: str | None = None
    # For a protocol whose paths name the model and the method (Gemini).
    path_calls: PathCalls | None = None

    @property
    def model_in_path(self) -> bool:
        return self.path_calls is not None

    def credential_header(self, key: str) -> tuple[str, str]:
        """The one header that carries `key` to an upstream speaking this protocol."""
        return self.key_header, f"{self.key_scheme}{key}"

    def without_streaming(self, body: dict) -> dict:
        return {name: value for name, value in body.items() if name not in self.stream_fields}

    def marks(self, headers: Mapping[str, str]) -> bool:
        """Whether request `headers` (looked up by lower-case name) come from a client of it."""
        return any(name in headers for name in self.client_marks)


def _codec(package: str, stream_decoder: type, stream_encoder: type) -> SimpleNamespace:
    """A codec as one object: what each of its modules (`codecs/<package>/…`) provides."""
    modules = {name: import_module(f".codecs.{package}.{name}", __package__) for name in _CODEC_MODULES}
    return SimpleNamespace(
        decode_request=modules["request_decode"].decode_request,
        encode_request=modules["request_encode"].encode_request,
        decode_answer=modules["answer"].decode_answer,
        encode_answer=modules["answer"].encode_answer,
        stream_decoder=stream_decoder,
        stream_encoder=stream_encoder,
        render_error=modules["errors"].render_error,
        error_event=modules["errors"].error_event,
        is_error_body=modules["errors"].is_error_body,
        with_system_prompt=modules["system_prompt"].with_system_prompt,
        model_event_marker=modules["model_name"].MODEL_EVENT_MARKER,
        rename_model_in_event=modules["model_name"].rename_model_in_event,
        model_list=modules["model_list"].model_list,
        is_stream_event=modules["stream_view"].is_stream_event,
        summarise_stream=modules["stream_view"].summarise_stream,
        answer_usage=modules["usage"].answer_usage,
        usage_event_names=modules["usage"].USAGE_EVENT_NAMES,  # None: its events have no names
        usage_marker=modules["usage"].USAGE_MARKER,
        may_carry_usage=modules["usage"].may_carry_usage,
        event_usage=modules["usage"].event_usage,
        token_count_usage=modules["usage"].token_count_usage,
    )


_CODEC_MODULES = (
    "request_decode", "request_encode", "answer", "errors", "system_prompt", "model_name", "model_list", "stream_view",
    "usage",
)


def _anthropic_exchange(body: dict, created: int) -> Exchange:
    return exchange_from_body(
        body, created=created, stop_field="stop_sequences",
        # Only an Anthropic stream must say its input tokens before the upstream has: the
        # estimate walks the whole body, so it is made for streamed requests only.
        estimated_input_tokens=estimate_input_tokens(body) if body.get("stream") is True else 0,
    )


def _openai_exchange(body: dict, created: int) -> Exchange:
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    return exchange_from_body(body, created=created, stop_field="stop", include_usage=include_usage)


GEMINI_GENERATE = Route("gemini-generate", RouteKind.CONVERSATION, GEMINI)
GEMINI_COUNT_TOKENS = Route("gemini-count-tokens", RouteKind.COUNT_TOKENS, GEMINI)
GEMINI_MODELS = Route("gemini-models", RouteKind.MODELS, GEMINI)


def _gemini_route(method: str, bare: str, headers: Mapping[str, str]) -> Route | None:
    if method == "POST":
        call = gemini_paths.parse_call(bare)
        if call is None:
            return None
        return GEMINI_COUNT_TOKENS if call.action == gemini_paths.COUNT_TOKENS else GEMINI_GENERATE
    if method not in ("GET", "HEAD"):
        return None
    listed = gemini_paths.model_path(bare)
    if listed is None:
        return None
    # `GET /v1/models/{id}` is OpenAI's too: only a Gemini client gets Gemini's answer there.
    if listed[0] == "v1" and client_protocol_of(headers) != GEMINI:
        return None
    return GEMINI_MODELS


PROTOCOLS: dict[str, Protocol] = {
    ANTHROPIC: Protocol(
        name=ANTHROPIC,
        title="Anthropic Messages",
        request_noun="a Messages request",
        codec=_codec("anthropic", AnthropicStreamDecoder, AnthropicStreamEncoder),
        client_routes=(
            Route("anthropic-messages", RouteKind.CONVERSATION, ANTHROPIC, ("/v1/messages",)),
            Route("anthropic-count-tokens", RouteKind.COUNT_TOKENS, ANTHROPIC, ("/v1/messages/count_tokens",)),
        ),
        upstream_path="/v1/messages",
        key_header="x-api-key",
        key_scheme="",
        client_marks=("x-api-key", "anthropic-version"),  # as the Anthropic SDKs and Claude Code send
        client_only_headers=("anthropic-version", "anthropic-beta", "anthropic-dangerous-direct-browser-access"),
        upstream_headers=(("anthropic-version", "2023-06-01"),),
        exchange_of=_anthropic_exchange,
        stream_fields=("stream",),
        requires_max_tokens=True,
        counts_tokens=True,
        estimate_input_tokens=estimate_input_tokens,
        count_field="input_tokens",
    ),
    OPENAI: Protocol(
        name=OPENAI,
        title="OpenAI Chat Completions",
        request_noun="a Chat Completions request",
        codec=_codec("openai_chat", OpenAIChatStreamDecoder, OpenAIChatStreamEncoder),
        client_routes=(
            Route("openai-chat", RouteKind.CONVERSATION, OPENAI, ("/v1/chat/completions", "/chat/completions")),
        ),
        upstream_path="/v1/chat/completions",
        key_header="authorization",
        key_scheme="Bearer ",
        client_marks=("authorization",),
        client_only_headers=("openai-organization", "openai-project", "openai-beta"),
        upstream_headers=(),
        exchange_of=_openai_exchange,
        stream_fields=("stream", "stream_options"),
        requires_max_tokens=False,
        counts_tokens=False,
        estimate_input_tokens=None,
    ),
    RESPONSES: Protocol(
        name=RESPONSES,
        title="OpenAI Responses",
        request_noun="a Responses request",
        codec=_codec("responses", ResponsesStreamDecoder, ResponsesStreamEncoder),
        client_routes=(
            Route("openai-responses", RouteKind.CONVERSATION, RESPONSES, ("/v1/responses", "/responses")),
            # Everything below those paths: stored responses, their input items, /compact.
            Route("openai-responses-stored", RouteKind.STORED_ANSWER, RESPONSES, ("/v1/responses/", "/responses/")),
        ),
        upstream_path="/v1/responses",
        key_header="authorization",
        key_scheme="Bearer ",
        # Codex's own headers. An OpenAI SDK client marks itself only by `authorization`,
        # which OpenAI's entry (first) claims: both get the same error and model-list shapes.
        client_marks=("originator",),
        client_only_headers=("openai-organization", "openai-project", "openai-beta"),
        upstream_headers=(),
        exchange_of=responses_exchange,
        stream_fields=("stream", "stream_options"),
        requires_max_tokens=False,
        counts_tokens=False,
        estimate_input_tokens=None,
    ),
    GEMINI: Protocol(
        name=GEMINI,
        title="Gemini API",
        request_noun="a generateContent request",
        codec=_codec("gemini", GeminiStreamDecoder, GeminiStreamEncoder),
        client_routes=(GEMINI_GENERATE, GEMINI_COUNT_TOKENS),
        # The model and the method are the request's: `gemini_paths.lowered` writes the real path.
        upstream_path=f"/{gemini_paths.DEFAULT_VERSION}/models",
        key_header="x-goog-api-key",
        key_scheme="",
        client_marks=("x-goog-api-key", "x-goog-api-client"),  # as Gemini CLI and google-genai send
        client_only_headers=("x-goog-api-client", "x-gemini-api-privileged-user-id"),
        upstream_headers=(),
        exchange_of=gemini_exchange,
        stream_fields=(gemini_paths.STREAM_FIELD, gemini_paths.ARRAY_STREAM_FIELD),
        requires_max_tokens=False,
        # Its :countTokens takes Gemini bodies only: another client's count is estimated.
        counts_tokens=False,
        estimate_input_tokens=estimate_gemini_input_tokens,
        answer_model_field="modelVersion",
        count_field="totalTokens",
        path_calls=PathCalls(
            route=_gemini_route,
            call=gemini_paths.parse_call,
            lift=gemini_paths.lift,
            lowered=gemini_paths.lowered,
            models_at=gemini_models_at,
            array_stream=attrgetter("array_stream"),
        ),
    ),
}
# What the proxy was made for: anyrouter.top speaks Messages.
DEFAULT_UPSTREAM = ANTHROPIC
# A client that marks itself as none of them gets the most widely spoken protocol's shapes.
UNMARKED_CLIENT = OPENAI

_CLIENT_ROUTES = tuple(route for protocol in PROTOCOLS.values() for route in protocol.client_routes)
_PATTERN_ROUTES = tuple(protocol.path_calls.route for protocol in PROTOCOLS.values() if protocol.path_calls)
ROUTES: tuple[Route, ...] = (*_CLIENT_ROUTES, *LOCAL_ROUTES, Route.PASSTHROUGH)
_STORED_ROUTES = tuple(route for route in _CLIENT_ROUTES if route.kind is RouteKind.STORED_ANSWER)
_POST_ROUTES = by_path(tuple(route for route in _CLIENT_ROUTES if route not in _STORED_ROUTES))
_GET_ROUTES = by_path(LOCAL_ROUTES)


def protocol_named(name: str) -> Protocol:
    """The protocol called `name`; ValueError for a name the registry does not know."""
    protocol = PROTOCOLS.get(name)
    if protocol is None:
        raise ValueError(f"unknown protocol {name!r}")
    return protocol


def classify(method: str, path: str, headers: Mapping[str, str] | None = None) -> Route:
    """The route of a request. `path` may carry a query string (`/v1/messages?beta=true`); it
    does not matter here. `headers` (looked up by lower-case name) tell the paths two
    protocols share apart."""
    method, bare = method.upper(), bare_path(path)
    if method == "POST" and bare in _POST_ROUTES:
        return _POST_ROUTES[bare]
    if method in ("GET", "HEAD") and bare in _GET_ROUTES:
        return _GET_ROUTES[bare]
    for route_of_path in _PATTERN_ROUTES:
        route = route_of_path(method, bare, headers or {})
        if route is not None:
            return route
    return next((route for route in _STORED_ROUTES if bare.startswith(route.paths)), Route.PASSTHROUGH)


def path_protocol(path: str) -> str | None:
    """The protocol whose clients call `path` (whatever the method), or None."""
    return classify("POST", path).client_protocol


def client_protocol_of(headers: Mapping[str, str]) -> str | None:
    """The protocol of a client, from its request headers alone; None when none marks it
    (a browser, a health check)."""
    return next((protocol.name for protocol in PROTOCOLS.values() if protocol.marks(headers)), None)
