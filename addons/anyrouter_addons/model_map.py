"""Model names mapped on the way up (`model_map`, or the route's `model` in a routes file,
which comes first), and the client's own name on the way back.

Runs after translation, so the upstream body's `model` is the client's name and is replaced
by the mapped one. Translated flows answer with the client's name already; for flows passed
through in the same protocol the answer is rewritten here: a JSON body whole, an event stream
event by event (`anyrouter_core.model_map.ModelRenameStream`), never buffered (a Gemini
client's JSON-array stream is one too upstream: `ArrayStreams` frames it after the rename).
Placed before `SSEPassthrough`, which streams only what no one else has claimed.
"""

from __future__ import annotations

import json

from mitmproxy import ctx, exceptions, http

from anyrouter_core.body_scan import mentions
from anyrouter_core.model_map import ModelRenameStream, parse_model_map, rename_model_in_body

from .flow_state import mark_request_json_changed, request_json, route_of, state_of
from .responses import replace_json_body
from .streaming import (
    EventSizeLimit,
    is_event_stream,
    is_successful_event_stream,
    note_stream_error,
    prepare_for_new_body,
    translating_stream,
)
from .phases import Phase
from .routing import chosen_model

class _Renamed:
    __slots__ = ("protocol", "client_model")

    def __init__(self, protocol: str, client_model: str) -> None:
        self.protocol = protocol
        self.client_model = client_model


class ModelMap:
    phase = Phase.REWRITE

    def __init__(self, event_limit: EventSizeLimit) -> None:
        self.event_limit = event_limit
        self.mapping: dict[str, str] = {}

    def load(self, loader) -> None:
        loader.add_option(
            "model_map",
            str,
            "",
            "Model names to replace before the request goes upstream: client-name=upstream-name "
            "pairs, comma-separated. Clients see their own name in the answer.",
        )

    def configure(self, updated: set[str]) -> None:
        if "model_map" in updated:
            try:
                self.mapping = parse_model_map(ctx.options.model_map)
            except ValueError as exc:
                raise exceptions.OptionsError(f"model_map: {exc}") from None

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response or route_of(flow).client_protocol is None:
            return
        state = state_of(flow)
        routed = chosen_model(state)
        if routed is None:
            if not self.mapping:
                return
            if state.model not in self.mapping and not self._mentioned(flow):
                return  # no mapped name in the path or anywhere in the body: nothing to parse for
        body = request_json(flow)
        if not isinstance(body, dict):
            return
        client_model = body.get("model")
        if not isinstance(client_model, str):
            return
        upstream_model = routed or self.mapping.get(client_model)
        if upstream_model is None or upstream_model == client_model:
            return
        body["model"] = upstream_model
        mark_request_json_changed(flow)
        state.upstream_model = upstream_model
        if not state.translation:
            # A pass-through flow: its answer must carry the client's model name again.
            state.renamed = _Renamed(state.upstream_protocol, client_model)

    def _mentioned(self, flow: http.HTTPFlow) -> bool:
        content = flow.request.get_content(strict=False) or b""
        return any(mentions(content, name) for name in self.mapping)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        renamed = state_of(flow).renamed
        response = flow.response
        if renamed is None or response is None or response.stream:
            return
        if is_successful_event_stream(response):
            prepare_for_new_body(response)
            response.stream = translating_stream(flow, self.rename_stream(renamed))

    def response(self, flow: http.HTTPFlow) -> None:
        renamed = state_of(flow).renamed
        response = flow.response
        if renamed is None or response is None or response.stream or response.status_code >= 400:
            return
        content = response.get_content(strict=False) or b""
        if is_event_stream(response):
            # A whole event stream: a retry's answer, or a stream built from a finished answer.
            rename = self.rename_stream(renamed)
            response.headers.pop("content-encoding", None)
            response.content = rename.feed(content) + rename.end()
            note_stream_error(flow, rename)
            return
        try:
            body = json.loads(content)
        except ValueError:
            return
        if isinstance(body, dict) and rename_model_in_body(renamed.protocol, body, renamed.client_model):
            replace_json_body(response, response.status_code, body)

    def rename_stream(self, renamed: _Renamed) -> ModelRenameStream:
        return ModelRenameStream(renamed.protocol, renamed.client_model, self.event_limit.max_bytes)
