"""The proxy's features on the Responses protocol, as on the others: the configured system
prompt (as `instructions`), the model name in streams, the Event Stream view's summary."""

from __future__ import annotations

import json

import pytest

from anyrouter_core.codecs.base import Exchange
from anyrouter_core.model_map import ModelRenameStream
from anyrouter_core.stream_view import view_stream
from anyrouter_core.system_prompt import with_system_prompt
from anyrouter_core.translation import Direction
from anyrouter_core.sse import encode_event
from unit.test_anthropic_stream_to_openai import text_events

CODEX_LIKE = {"model": "gpt-5", "input": [{"type": "message", "role": "developer", "content": "Be a coder."}]}


@pytest.mark.parametrize(("mode", "instructions"), [
    ("replace-first", "Proxy rules."), ("replace-all", "Proxy rules."),
    ("prepend", "Proxy rules.\n\nClient rules."), ("append", "Client rules.\n\nProxy rules."),
])
def test_the_system_prompt_goes_into_instructions(mode, instructions):
    body = {**CODEX_LIKE, "instructions": "Client rules."}
    changed = with_system_prompt("responses", body, "Proxy rules.", mode)
    assert changed["instructions"] == instructions
    assert changed["input"] == CODEX_LIKE["input"]  # developer messages stay in the conversation
    assert body["instructions"] == "Client rules."  # the client's body is not changed


def test_a_request_without_instructions_gets_the_prompt():
    assert with_system_prompt("responses", CODEX_LIKE, "Proxy rules.", "append")["instructions"] == "Proxy rules."


def responses_stream() -> bytes:
    """A real Responses stream as the proxy writes it, from an Anthropic upstream's events."""
    upstream = b"".join(encode_event(json.dumps(event), event["type"]) for event in text_events("Hello", " there"))
    translator = Direction("responses", "anthropic").stream_translator(Exchange(model="gpt-5-upstream"))
    return translator.feed(upstream) + translator.end()


def test_every_model_name_in_a_responses_stream_is_the_clients():
    body = responses_stream()
    assert b'"gpt-5-upstream"' in body
    rename = ModelRenameStream("responses", "claude-sonnet-4-6")
    renamed = rename.feed(body[:97]) + rename.feed(body[97:]) + rename.end()
    assert b"gpt-5-upstream" not in renamed
    models = [json.loads(line[6:])["response"]["model"] for line in renamed.split(b"\n")
              if line.startswith(b"data: ") and b'"response":' in line]
    assert models and set(models) == {"claude-sonnet-4-6"}


def test_the_event_stream_view_summarises_a_responses_stream():
    view = view_stream(responses_stream())
    assert view.summary is not None and view.summary.protocol == "responses"
    assert view.rows[0].event == "response.created"
    assert (view.summary.model, view.summary.text, view.summary.stop_reason) == ("gpt-5-upstream", "Hello there", "completed")
    assert (view.summary.usage["input_tokens"], view.summary.usage["output_tokens"]) == (12, 7)
    assert view.summary.errors == []
