"""Where a Gemini request says its model and whether it streams: in its path.

    POST /v1beta/models/{model}:generateContent
    POST /v1beta/models/{model}:streamGenerateContent?alt=sse   (SSE; without alt, a JSON array)
    POST /v1beta/models/{model}:countTokens
    (and the same under /v1/)

Every other step of the proxy (routing, the model map, translation, the usage log) reads the
model from the body, as the other protocols carry it. So the model and the stream form are
lifted into the body the proxy works on as three fields no Gemini body has (`lift`), and put
back into the path of a request to a Gemini upstream (`lowered`), which never sees them.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

MODEL_FIELD = "model"  # the model, without Gemini's `models/` prefix
STREAM_FIELD = "stream"  # True: the client called :streamGenerateContent
ARRAY_STREAM_FIELD = "array_stream"  # True: its stream is a JSON array (no `alt=sse`)
LIFTED_FIELDS = (MODEL_FIELD, STREAM_FIELD, ARRAY_STREAM_FIELD)

GENERATE = "generateContent"
STREAM_GENERATE = "streamGenerateContent"
COUNT_TOKENS = "countTokens"
ACTIONS = (GENERATE, STREAM_GENERATE, COUNT_TOKENS)
VERSIONS = ("v1beta", "v1")
DEFAULT_VERSION = "v1beta"

_CALL = re.compile(r"^/(v1beta|v1)/models/([^/:?#]+):([A-Za-z]+)/?(?:[?#].*)?$")
_MODEL = re.compile(r"^/(v1beta|v1)/models(?:/([^/:?#]+))?/?(?:[?#].*)?$")


@dataclass(frozen=True, slots=True)
class GeminiCall:
    """A POST to one of a model's methods."""

    version: str
    model: str
    action: str
    query: str  # without the leading "?"

    @property
    def streams(self) -> bool:
        return self.action == STREAM_GENERATE

    @property
    def array_stream(self) -> bool:
        return self.streams and "sse" not in urllib.parse.parse_qs(self.query).get("alt", [])


def parse_call(path: str) -> GeminiCall | None:
    """The call a path names, or None when it names none of `ACTIONS`."""
    found = _CALL.match(path)
    if found is None or found.group(3) not in ACTIONS:
        return None
    query = path.partition("?")[2].partition("#")[0]
    return GeminiCall(found.group(1), urllib.parse.unquote(found.group(2)), found.group(3), query)


def model_path(path: str) -> tuple[str, str | None] | None:
    """(version, model or None for the list) of a model-list path, else None."""
    found = _MODEL.match(path)
    if found is None:
        return None
    model = found.group(2)
    return found.group(1), urllib.parse.unquote(model) if model else None


def lift(call: GeminiCall, body: dict) -> dict:
    """`body` with the model and stream form of its path in it (a new dict)."""
    lifted = {key: value for key, value in body.items() if key not in LIFTED_FIELDS}
    lifted[MODEL_FIELD] = call.model
    if call.streams:
        lifted[STREAM_FIELD] = True
        if call.array_stream:
            lifted[ARRAY_STREAM_FIELD] = True
    return lifted


def lowered(body: dict, client_call: GeminiCall | None) -> tuple[str, dict]:
    """The path and body of a request to a Gemini upstream, for a body that has the lifted
    fields (a Gemini client's, lifted, or one an encoder wrote for Gemini).

    A Gemini client's call keeps its version, method and query (its own stream form, its
    other parameters); only the model may have changed. Any other client's request streams as
    SSE or not at all."""
    model = body.get(MODEL_FIELD)
    model = model if isinstance(model, str) and model else "unknown-model"
    model = model.removeprefix("models/")
    rest = {key: value for key, value in body.items() if key not in LIFTED_FIELDS}
    quoted = urllib.parse.quote(model, safe="")
    if client_call is not None and client_call.action == COUNT_TOKENS:
        return f"/{client_call.version}/models/{quoted}:{COUNT_TOKENS}{_query(client_call.query)}", rest
    streams = body.get(STREAM_FIELD) is True
    if client_call is not None:
        action = STREAM_GENERATE if streams else GENERATE
        return f"/{client_call.version}/models/{quoted}:{action}{_query(_upstream_query(client_call, streams))}", rest
    if streams:
        return f"/{DEFAULT_VERSION}/models/{quoted}:{STREAM_GENERATE}?alt=sse", rest
    return f"/{DEFAULT_VERSION}/models/{quoted}:{GENERATE}", rest


def _upstream_query(client_call: GeminiCall, streams: bool) -> str:
    """The client's query, asking for SSE when the upstream streams: an event stream is what
    the proxy streams, meters and renames event by event, and a client's JSON array is framed
    from it (`array_stream.EventsAsArray`)."""
    if streams != client_call.streams:
        return "alt=sse" if streams else ""
    if client_call.array_stream:
        kept = [field for field in client_call.query.split("&") if field and not field.startswith("alt=")]
        return "&".join([*kept, "alt=sse"])
    return client_call.query


def _query(query: str) -> str:
    return f"?{query}" if query else ""
