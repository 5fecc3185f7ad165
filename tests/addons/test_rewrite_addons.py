"""Header rules, system prompt and model map in mitmproxy's test context: options, reloads, bodies, streams."""

from __future__ import annotations

import json
import logging
import os

import pytest
from addon_flows import request_flow, send_request
from mitmproxy import exceptions, http
from mitmproxy.proxy.layers.http import (
    HttpResponseHeadersHook,
    HttpResponseHook,
)
from mitmproxy.test import tutils

from anyrouter_addons.header_rules import HeaderRules
from anyrouter_addons.model_map import ModelMap
from anyrouter_addons.system_prompt import SystemPrompt

ANTHROPIC_BODY = {"model": "claude-sonnet-4-6", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
OPENAI_BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


def flow_for(path: str, body: dict | bytes, headers: dict | None = None, method: str = "POST") -> http.HTTPFlow:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return request_flow(method, path, {"content-type": "application/json", **(headers or {})}, content)


send = send_request


def sent_body(flow) -> dict:
    return json.loads(flow.request.content)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def write(path, text: str, bump: int) -> None:
    """Writes the file and moves its mtime on, so a change is seen whatever the filesystem's resolution."""
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


# header rules: options ---------------------------------------------------------------------


def test_header_rules_file_that_cannot_be_read(chain, tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(exceptions.OptionsError, match=rf"header_rules: cannot read {missing}: No such file"):
        chain.tctx.configure(chain.addon(HeaderRules), header_rules=str(missing))


def test_bad_header_rules_file_is_an_option_error_naming_file_and_line(chain, tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text('{\n  "User-Agent": "ok",\n  "X-Api-Key": "sk-nope"\n}\n')
    with pytest.raises(exceptions.OptionsError) as caught:
        chain.tctx.configure(chain.addon(HeaderRules), header_rules=str(rules))
    assert str(caught.value) == (
        f"header_rules: {rules} line 3: 'X-Api-Key' is a credential header, owned by key handling: use upstream_keys"
    )


def test_header_rules_file_that_is_not_utf8(chain, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(b"A: b\nB: \xff\n")
    with pytest.raises(exceptions.OptionsError, match=rf"header_rules: {rules} line 2: the file is not UTF-8 text"):
        chain.tctx.configure(chain.addon(HeaderRules), header_rules=str(rules))


# header rules: requests ---------------------------------------------------------------------


def test_rules_apply_after_translation_and_match_on_the_translation(chain, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - set: {User-Agent: rules/1}\n"
        "  - match: {route: openai->anthropic}\n"
        "    set: {anthropic-version: '2099-01-01'}\n"
        "    add: {X-Translated: 'yes'}\n"
        "  - match: {route: anthropic-messages}\n"
        "    add: {X-Native: 'yes'}\n"
        "  - match: {path: '^/v1/messages$'}\n"
        "    remove: [X-Drop]\n"
    )
    chain.configure(header_rules=str(rules), upstream_protocol="anthropic")
    translated = flow_for("/v1/chat/completions", OPENAI_BODY, {"user-agent": "openai-sdk", "x-drop": "1"})
    send(chain, translated)
    headers = translated.request.headers
    assert translated.request.path == "/v1/messages"
    assert headers.get_all("user-agent") == ["rules/1"]
    assert headers.get_all("anthropic-version") == ["2099-01-01"]  # Translation put 2023-06-01 there first
    assert headers.get_all("x-translated") == ["yes"]
    assert "x-native" not in headers and "x-drop" not in headers

    native = flow_for("/v1/messages?beta=true", ANTHROPIC_BODY, {"x-drop": "1", "anthropic-version": "2023-06-01"})
    send(chain, native)
    headers = native.request.headers
    assert headers.get_all("x-native") == ["yes"]
    assert headers.get_all("anthropic-version") == ["2023-06-01"]
    assert headers.get_all("x-drop") == ["1"]  # the path has a query: ^/v1/messages$ does not match


def test_rules_do_not_touch_keys_or_locally_answered_requests(chain, tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text('{"X-Everywhere": "1"}')
    chain.configure(header_rules=str(rules), upstream_protocol="anthropic")
    flow = flow_for("/v1/messages", ANTHROPIC_BODY, {"x-api-key": "sk-client-key-00000042"})
    send(chain, flow)
    assert flow.request.headers["x-api-key"] == "sk-…0042"  # the flow shows a fingerprint
    assert b"\r\nx-api-key: sk-client-key-00000042\r\n" in bytes(flow.request.headers)  # the wire, the key
    assert flow.request.headers["x-everywhere"] == "1"
    health = flow_for("/health", b"", method="GET")
    send(chain, health)
    assert health.response is not None and "x-everywhere" not in health.request.headers


def anyrouter_errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "anyrouter" and r.levelno == logging.ERROR]


def test_rules_file_is_reloaded_when_it_changes_at_most_once_a_second(chain, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="anyrouter")
    rules = tmp_path / "rules.yaml"
    write(rules, "X-Version: one\n", 0)
    addon = chain.addon(HeaderRules)
    clock = addon.file.clock = Clock()
    chain.configure(header_rules=str(rules))

    def version() -> list[str]:
        flow = flow_for("/v1/messages", ANTHROPIC_BODY)
        send(chain, flow)
        return flow.request.headers.get_all("x-version")

    assert version() == ["one"]
    write(rules, "X-Version: two\n", 1)
    clock.now += 0.5
    assert version() == ["one"]  # checked less than a second ago
    clock.now += 0.6
    assert version() == ["two"]
    assert f"header_rules: reloaded 1 rule from {rules}" in caplog.text

    # A broken edit: logged with file and line, the previous rules stay.
    write(rules, "X-Version: three\nrules:\n  - set: {a: b}\n", 2)
    clock.now += 1.1
    assert version() == ["two"]
    assert [r.getMessage() for r in anyrouter_errors(caplog)] == [
        f"header_rules: {rules} line 1: unexpected key 'X-Version' beside 'rules' (a file is either a flat "
        "mapping of headers to set or a 'rules' list); keeping the previous rules"
    ]
    clock.now += 1.1
    assert version() == ["two"]
    assert len(anyrouter_errors(caplog)) == 1  # logged once per bad version

    # The file is gone: logged once, rules kept. Back again: read again.
    rules.unlink()
    clock.now += 1.1
    assert version() == ["two"]
    assert f"header_rules: cannot read {rules}: No such file or directory; keeping the previous rules" in caplog.text
    write(rules, "rules:\n  - add: {X-Version: four}\n", 3)
    clock.now += 1.1
    assert version() == ["four"]


def test_clearing_the_option_drops_the_rules(chain, tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text('{"X-A": "1"}')
    chain.configure(header_rules=str(rules))
    chain.configure(header_rules="")
    flow = flow_for("/v1/messages", ANTHROPIC_BODY)
    send(chain, flow)
    assert "x-a" not in flow.request.headers


# system prompt ------------------------------------------------------------------------------


def test_system_prompt_mode_is_validated(chain):
    with pytest.raises(exceptions.OptionsError, match="replace-first, replace-all, prepend, append"):
        chain.tctx.configure(chain.addon(SystemPrompt), system_prompt_mode="replace")


def test_system_prompt_file_problems(chain, tmp_path):
    missing = tmp_path / "missing.txt"
    with pytest.raises(exceptions.OptionsError, match=rf"system_prompt: cannot read {missing}: No such file"):
        chain.tctx.configure(chain.addon(SystemPrompt), system_prompt=f"@{missing}")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(exceptions.OptionsError, match=rf"system_prompt: {empty} is empty"):
        chain.tctx.configure(chain.addon(SystemPrompt), system_prompt=f"@{empty}")


def test_system_prompt_from_a_file_goes_into_the_translated_body(chain, tmp_path):
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Line one.\nLine two.\n")
    chain.configure(system_prompt=f"@{prompt}", system_prompt_mode="append", upstream_protocol="anthropic")
    body = {**OPENAI_BODY, "messages": [{"role": "system", "content": "Be brief."}, *OPENAI_BODY["messages"]]}
    flow = flow_for("/v1/chat/completions", body)
    send(chain, flow)
    assert sent_body(flow)["system"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": "Line one.\nLine two."},
    ]
    assert flow.metadata["anyrouter"]["system_prompt"] == "append"


def test_system_prompt_on_count_tokens_and_not_on_other_paths(chain):
    chain.configure(system_prompt="Counted too.", upstream_protocol="openai")
    flow = flow_for("/v1/messages/count_tokens", {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    send(chain, flow)
    assert sent_body(flow)["system"] == "Counted too."
    other = flow_for("/v1/embeddings", {"model": "m", "input": "x", "system": "keep"})
    raw = other.request.content
    send(chain, other)
    assert other.request.content == raw


def test_unset_system_prompt_changes_nothing(chain):
    flow = flow_for("/v1/messages", {**ANTHROPIC_BODY, "system": [{"type": "text", "text": "mine"}]})
    raw = flow.request.content
    send(chain, flow)
    assert flow.request.content == raw


def test_unexpected_body_is_sent_unchanged_with_one_info_line(chain, caplog):
    caplog.set_level(logging.INFO, logger="anyrouter")
    chain.configure(system_prompt="New.", upstream_protocol="anthropic")
    flow = flow_for("/v1/messages", {**ANTHROPIC_BODY, "system": [{"type": "image", "source": {}}]})
    raw = flow.request.content
    send(chain, flow)
    assert flow.request.content == raw
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("system_prompt:")]
    assert lines == ["system_prompt: POST /v1/messages sent unchanged: 'system' block 0 is not a text block"]
    assert "system_prompt" not in flow.metadata["anyrouter"]


# model map ----------------------------------------------------------------------------------


def test_model_map_is_validated(chain):
    with pytest.raises(exceptions.OptionsError, match=r"model_map: entry 2 \('gpt-4o'\) must be client-name=upstream-name"):
        chain.tctx.configure(chain.addon(ModelMap), model_map="a=b,gpt-4o")


def sse_response(flow, body: bytes = None) -> None:
    flow.response = tutils.tresp(
        headers=http.Headers([(b"content-type", b"text/event-stream"), (b"content-length", b"999")]), content=body
    )


def test_pass_through_stream_is_renamed_event_by_event(chain):
    chain.configure(model_map="claude-sonnet-4-6=claude-upstream-1", upstream_protocol="anthropic")
    flow = flow_for("/v1/messages", {**ANTHROPIC_BODY, "stream": True})
    send(chain, flow)
    assert sent_body(flow)["model"] == "claude-upstream-1"
    assert flow.metadata["anyrouter"]["upstream_model"] == "claude-upstream-1"
    sse_response(flow)
    chain.run(HttpResponseHeadersHook, flow)
    assert callable(flow.response.stream)
    assert "content-length" not in flow.response.headers
    start = b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"claude-upstream-1"}}\n\n'
    assert flow.response.stream(start[:30]) == []
    assert flow.response.stream(start[30:]) == (
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"claude-sonnet-4-6"}}\n\n'
    )
    assert flow.response.stream(b"") == b""


def test_translated_flow_is_mapped_but_gets_no_rename_stream(chain):
    chain.configure(model_map="gpt-4o=claude-upstream-1", upstream_protocol="anthropic")
    flow = flow_for("/v1/chat/completions", {**OPENAI_BODY, "stream": True})
    send(chain, flow)
    assert sent_body(flow)["model"] == "claude-upstream-1"
    sse_response(flow)
    chain.run(HttpResponseHeadersHook, flow)
    out = flow.response.stream(
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-upstream-1",'
        b'"usage":{"input_tokens":1,"output_tokens":0}}}\n\n'
    )
    assert b'"model":"gpt-4o"' in out  # the translator answers with the client's model


def test_unmapped_model_gets_nothing_installed(chain):
    chain.configure(model_map="other=x", upstream_protocol="anthropic")
    flow = flow_for("/v1/messages", {**ANTHROPIC_BODY, "stream": True})
    raw = flow.request.content
    send(chain, flow)
    assert flow.request.content == raw
    sse_response(flow)
    chain.run(HttpResponseHeadersHook, flow)
    piece = b'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-reported-2"}}\n\n'
    stream = flow.response.stream
    assert stream is True or stream(piece) == piece  # streamed as it comes (other addons may wrap it)


def test_pass_through_json_answer_is_renamed(chain):
    chain.configure(model_map="gpt-4o=qwen2.5-7b", upstream_protocol="openai")
    flow = flow_for("/v1/chat/completions", OPENAI_BODY)
    send(chain, flow)
    assert sent_body(flow)["model"] == "qwen2.5-7b"
    completion = {"id": "c", "object": "chat.completion", "model": "qwen2.5-7b-instruct", "choices": []}
    flow.response = tutils.tresp(headers=http.Headers([(b"content-type", b"application/json")]),
                                 content=json.dumps(completion).encode())
    chain.run(HttpResponseHeadersHook, flow)
    chain.run(HttpResponseHook, flow)
    assert json.loads(flow.response.content) == {**completion, "model": "gpt-4o"}


def test_whole_event_stream_answer_is_renamed_in_the_response_hook(chain):
    # What a key retry leaves: a finished event stream that was never streamed.
    chain.configure(model_map="gpt-4o=qwen2.5-7b", upstream_protocol="openai")
    flow = flow_for("/v1/chat/completions", {**OPENAI_BODY, "stream": True})
    send(chain, flow)
    body = b'data: {"id":"c","model":"qwen2.5-7b","choices":[]}\n\ndata: [DONE]\n\n'
    flow.response = tutils.tresp(headers=http.Headers([(b"content-type", b"text/event-stream")]), content=body)
    chain.run(HttpResponseHook, flow)
    assert flow.response.content == b'data: {"id":"c","model":"gpt-4o","choices":[]}\n\ndata: [DONE]\n\n'


def test_force_non_stream_pass_through_builds_the_stream_with_the_clients_name(chain):
    chain.configure(model_map="claude-sonnet-4-6=claude-upstream-1", upstream_protocol="anthropic", force_non_stream=True)
    flow = flow_for("/v1/messages", {**ANTHROPIC_BODY, "stream": True})
    send(chain, flow)
    assert "stream" not in sent_body(flow)
    assert sent_body(flow)["model"] == "claude-upstream-1"
    message = {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-upstream-1",
        "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    flow.response = tutils.tresp(headers=http.Headers([(b"content-type", b"application/json")]),
                                 content=json.dumps(message).encode())
    chain.run(HttpResponseHeadersHook, flow)
    chain.run(HttpResponseHook, flow)
    assert flow.response.headers["content-type"] == "text/event-stream"
    first = flow.response.content.split(b"\n\n")[0].split(b"data: ", 1)[1]
    assert json.loads(first)["message"]["model"] == "claude-sonnet-4-6"
    assert b"claude-upstream-1" not in flow.response.content


def test_error_answers_are_left_alone(chain):
    chain.configure(model_map="gpt-4o=qwen2.5-7b", upstream_protocol="openai")
    flow = flow_for("/v1/chat/completions", OPENAI_BODY)
    send(chain, flow)
    error = {"error": {"message": "model qwen2.5-7b not found", "type": "invalid_request_error", "param": None,
                       "code": None}, "model": "qwen2.5-7b"}
    flow.response = tutils.tresp(status_code=404, headers=http.Headers([(b"content-type", b"application/json")]),
                                 content=json.dumps(error).encode())
    chain.run(HttpResponseHeadersHook, flow)
    chain.run(HttpResponseHook, flow)
    assert json.loads(flow.response.content)["model"] == "qwen2.5-7b"
