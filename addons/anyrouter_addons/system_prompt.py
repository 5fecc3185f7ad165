"""A configured system prompt in every LLM request the upstream receives (the option's, or
the one of the upstream a routes file chose).

Runs after translation, so the prompt goes into the upstream's protocol: the rules for each
protocol and mode are in `anyrouter_core.system_prompt`. A body that is not shaped as
expected is sent unchanged, with one info line saying why.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mitmproxy import ctx, exceptions, http

from anyrouter_core.routes import RouteKind
from anyrouter_core.system_prompt import DEFAULT_MODE, MODES, UnexpectedBody, with_system_prompt

from .flow_state import chosen_upstream, replace_request_json, request_json, route_of, state_of
from .phases import Phase

log = logging.getLogger("anyrouter")


def read_prompt_option(value: str) -> str:
    """The prompt text: the option itself, or the text of the file named by `@path`
    (line breaks at its end removed)."""
    if not value.startswith("@"):
        return value
    path = Path(value[1:]).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise exceptions.OptionsError(f"system_prompt: cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise exceptions.OptionsError(f"system_prompt: {path} is not UTF-8 text") from None
    text = text.rstrip("\r\n")
    if not text.strip():
        raise exceptions.OptionsError(f"system_prompt: {path} is empty")
    return text


class SystemPrompt:
    phase = Phase.REWRITE

    def __init__(self) -> None:
        self.prompt = ""

    def load(self, loader) -> None:
        loader.add_option(
            "system_prompt",
            str,
            "",
            "System prompt put into every LLM request sent upstream: the text, or @path to a "
            "file holding it. Empty: requests keep their own.",
        )
        loader.add_option(
            "system_prompt_mode",
            str,
            DEFAULT_MODE,
            "How system_prompt combines with the request's own system prompt: replace-first "
            "(the first system text), replace-all, prepend or append.",
            choices=MODES,
        )

    def configure(self, updated: set[str]) -> None:
        if "system_prompt_mode" in updated and ctx.options.system_prompt_mode not in MODES:
            raise exceptions.OptionsError(
                f"system_prompt_mode must be one of {', '.join(MODES)}, not {ctx.options.system_prompt_mode!r}"
            )
        if "system_prompt" in updated:
            self.prompt = read_prompt_option(ctx.options.system_prompt)

    def request(self, flow: http.HTTPFlow) -> None:
        upstream = chosen_upstream(state_of(flow))
        prompt = upstream.system_prompt if upstream is not None and upstream.system_prompt else self.prompt
        if flow.response or not prompt:
            return
        route = route_of(flow)
        if route.kind is RouteKind.COUNT_TOKENS:
            protocol = route.client_protocol  # counted in the client's protocol, whatever the upstream
        elif route.kind is RouteKind.CONVERSATION:
            protocol = state_of(flow).upstream_protocol
        else:
            return
        body = request_json(flow)
        mode = (upstream.system_prompt_mode if upstream is not None else None) or ctx.options.system_prompt_mode
        try:
            if not isinstance(body, dict):
                raise UnexpectedBody("the body is not a JSON object")
            changed = with_system_prompt(protocol, body, prompt, mode)
        except UnexpectedBody as exc:
            log.info("system_prompt: %s %s sent unchanged: %s", flow.request.method, flow.request.path, exc)
            return
        replace_request_json(flow, changed)
        state_of(flow).system_prompt = mode
