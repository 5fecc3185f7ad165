"""Routes files in mitmproxy's test context: the upstream chosen per request, what the chosen
upstream's request carries, fallbacks as another attempt, reloads, and the open-relay refusal."""

from __future__ import annotations

import json
import logging

import pytest
from addon_flows import request_flow, send_request
from mitmproxy import exceptions, http
from mitmproxy.flow import Error
from mitmproxy.proxy.layers.http import HttpErrorHook, HttpResponseHeadersHook, HttpResponseHook
from mitmproxy.test import tutils

from anyrouter_addons.attempts import Attempts
from anyrouter_addons.mitmproxy_compat import AnotherAttemptHook
from anyrouter_addons.routing import Routing, joined_path

CLAUDE = {"model": "claude-haiku-4-5", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
THINKING = {**CLAUDE, "model": "claude-opus-4-6", "thinking": {"type": "enabled", "budget_tokens": 1024}}
GPT = {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}

ROUTES = """\
__about: the issue's example, with a system prompt and header rules on one upstream
upstreams:
  relay:  {url: "https://relay.test", protocol: anthropic}
  local:  {url: "http://127.0.0.1:8080", protocol: openai, keys: "sk-local-key-0001"}
  backup:
    url: "https://backup.test/api/v1"
    protocol: openai
    keys: "@backup-keys.txt"
    headers: {X-Team: research}
    system_prompt: "Backup prompt."
    timeout: 7
routes:
  - name: haiku
    match: {model: "claude-*haiku*"}
    to: local
    model: smollm2
  - name: thinking
    match: {thinking: true}
    to: [relay, backup]
  - name: gpt
    match: {model: "gpt-*"}
    to: backup
  - to: [relay, backup]
"""


@pytest.fixture
def routed(chain, tmp_path):
    (tmp_path / "backup-keys.txt").write_text("# the backup's pool\nsk-backup-key-0002\nsk-backup-key-0003\n")
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES)
    chain.configure(routes=str(routes))
    return chain


def flow_for(path: str, body: dict, headers: dict | None = None) -> http.HTTPFlow:
    headers = {"content-type": "application/json", "x-api-key": "sk-client-key-0009", **(headers or {})}
    return request_flow("POST", path, headers, json.dumps(body).encode())


def sent(chain, flow: http.HTTPFlow) -> http.HTTPFlow:
    send_request(chain, flow)
    return flow


def body_of(flow: http.HTTPFlow) -> dict:
    return json.loads(flow.request.content)


def test_a_model_route_sends_the_request_to_its_upstream_translated_renamed_and_with_its_key(routed):
    flow = sent(routed, flow_for("/v1/messages?beta=true", CLAUDE))
    request = flow.request
    assert (request.scheme, request.host, request.port, request.path) == ("http", "127.0.0.1", 8080, "/v1/chat/completions")
    assert request.host_header == "127.0.0.1:8080"
    assert body_of(flow)["model"] == "smollm2"
    assert request.headers["authorization"] == "Bearer sk-…0001"
    assert "x-api-key" not in request.headers
    shown = flow.metadata["anyrouter"]
    assert (shown["rule"], shown["upstream"], shown["upstream_protocol"], shown["upstream_model"]) == (
        "haiku", "local", "openai", "smollm2",
    )


def test_a_thinking_request_goes_to_the_first_of_its_fallbacks_in_its_own_protocol(routed):
    flow = sent(routed, flow_for("/v1/messages", THINKING))
    assert (flow.request.host, flow.request.path) == ("relay.test", "/v1/messages")
    assert body_of(flow)["thinking"] == THINKING["thinking"]
    assert flow.request.headers["x-api-key"] == "sk-…0009"  # no keys of its own: the client's
    assert flow.metadata["anyrouter"]["rule"] == "thinking"


def test_the_chosen_upstreams_base_path_header_rules_and_system_prompt_apply_to_it_only(routed):
    flow = sent(routed, flow_for("/v1/chat/completions", GPT))
    assert (flow.request.host, flow.request.path) == ("backup.test", "/api/v1/chat/completions")
    assert flow.request.headers["x-team"] == "research"
    assert body_of(flow)["messages"][0] == {"role": "system", "content": "Backup prompt."}
    assert flow.request.headers["authorization"] == "Bearer sk-…0002"
    other = sent(routed, flow_for("/v1/messages", THINKING))
    assert "x-team" not in other.request.headers
    assert "system" not in body_of(other)


def test_no_route_is_a_404_in_the_clients_protocol_naming_the_models_served(chain, tmp_path):
    routes = tmp_path / "routes.json"
    routes.write_text(json.dumps({
        "upstreams": {"relay": {"url": "https://relay.test", "protocol": "anthropic"}},
        "routes": [{"match": {"model": ["claude-opus-4-6", "claude-*"]}, "to": "relay"}],
    }))
    chain.configure(routes=str(routes), models="extra-model")
    flow = sent(chain, flow_for("/v1/chat/completions", GPT))
    assert flow.response.status_code == 404
    assert json.loads(flow.response.content)["error"] == {
        "message": "no route of the routes file serves model 'gpt-5'; models served: claude-opus-4-6, extra-model",
        "type": "not_found_error",
        "param": None,
        "code": None,
    }
    assert chain.addon(Routing).served_models() == ["claude-opus-4-6", "extra-model"]


def answer(flow: http.HTTPFlow, status: int, body: bytes = b"{}", content_type: str = "application/json") -> None:
    flow.response = tutils.tresp(status_code=status, content=body, headers=http.Headers(content_type=content_type))


def test_a_529_falls_back_to_the_next_upstream_in_its_protocol(routed):
    flow = sent(routed, flow_for("/v1/messages", THINKING))
    answer(flow, 529, b'{"type":"error","error":{"type":"overloaded_error","message":"busy"}}')
    routed.run(HttpResponseHeadersHook, flow)
    attempts = routed.addon(Attempts)
    assert attempts.wants_another_attempt(flow)
    routed.run(AnotherAttemptHook, flow)
    assert flow.response is None
    assert (flow.request.host, flow.request.path) == ("backup.test", "/api/v1/chat/completions")
    assert body_of(flow)["model"] == "claude-opus-4-6"
    assert body_of(flow)["messages"][-1] == {"role": "user", "content": "hi"}
    shown = flow.metadata["anyrouter"]
    assert (shown["upstream"], shown["retries"], shown["attempts"]) == ("backup", 1, ["relay key sk-…0009: 529"])
    assert flow.metadata["anyrouter"]["translation"] == "anthropic→openai"
    # The backup's answer is translated back for the client.
    answer(flow, 200, json.dumps({
        "id": "c1", "object": "chat.completion", "created": 1, "model": "claude-opus-4-6",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }).encode())
    routed.run(HttpResponseHeadersHook, flow)
    assert not attempts.wants_another_attempt(flow)
    routed.run(HttpResponseHook, flow)
    assert json.loads(flow.response.content)["content"] == [{"type": "text", "text": "hello"}]
    assert flow.comment == (
        "anthropic→openai · route thinking→backup · claude-opus-4-6 · key sk-…0002 · 1 retry · in 3 out 1"
    )
    # The usage is the backup's answer's: the attempt that failed had none.
    assert flow.metadata["anyrouter"]["usage"] == {
        "input": 3, "cache_read": 0, "cache_write": 0, "output": 1, "reasoning": None}


def test_a_refused_connection_falls_back_and_the_last_upstream_failing_is_the_end(routed):
    flow = sent(routed, flow_for("/v1/messages", THINKING))
    attempts = routed.addon(Attempts)
    flow.error = Error("Connection refused")
    assert attempts.wants_another_attempt(flow)
    routed.run(AnotherAttemptHook, flow)
    assert flow.error is None and flow.request.host == "backup.test"
    flow.error = Error("Connection refused")
    assert not attempts.wants_another_attempt(flow)  # no upstream left
    routed.run(HttpErrorHook, flow)
    assert flow.metadata["anyrouter"]["attempts"] == ["relay key sk-…0009: Connection refused"]


def test_a_400_is_the_requests_fault_and_is_not_tried_elsewhere(routed):
    flow = sent(routed, flow_for("/v1/messages", THINKING))
    answer(flow, 400, b'{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}')
    assert not routed.addon(Attempts).wants_another_attempt(flow)


def test_an_html_page_where_an_api_answer_belongs_falls_back(routed):
    flow = sent(routed, flow_for("/v1/messages", THINKING))
    answer(flow, 403, b"<html>blocked</html>", "text/html; charset=utf-8")
    assert routed.addon(Attempts).wants_another_attempt(flow)


def test_a_failed_upstream_rests_and_is_tried_last(routed):
    flow = sent(routed, flow_for("/v1/messages", THINKING))
    answer(flow, 503)
    routed.run(AnotherAttemptHook, flow)
    later = sent(routed, flow_for("/v1/messages", THINKING))
    assert later.request.host == "backup.test"  # relay is resting
    health = routed.addon(Routing).health.snapshot(["relay", "backup"], 0)
    assert health["relay"]["by_outcome"] == {"503": 1}


def test_a_bad_routes_file_is_an_option_error_with_file_and_line(chain, tmp_path):
    routes = tmp_path / "routes.yaml"
    routes.write_text("upstreams:\n  relay: {url: 'https://relay.test', protocol: anthropic}\nroutes:\n  - to: nowhere\n")
    with pytest.raises(exceptions.OptionsError, match=rf"routes: {routes} line 4: "):
        chain.configure(routes=str(routes))


def test_a_bad_edit_keeps_the_previous_table(routed, tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="anyrouter")
    routing = routed.addon(Routing)
    clock = routing.file.clock = Clock()
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES.replace("protocol: anthropic}", "protocol: klingon}"))
    clock.now += 2
    flow = sent(routed, flow_for("/v1/messages", THINKING))
    assert flow.request.host == "relay.test"
    [error] = [r.getMessage() for r in caplog.records if r.name == "anyrouter"]
    assert error.startswith(f"routes: {routes} line 3: ") and error.endswith("; keeping the previous routes")


class Clock:
    def __init__(self) -> None:
        self.now = 10.0**9

    def __call__(self) -> float:
        return self.now


def test_server_keys_on_an_open_listener_without_tokens_are_refused(chain, tmp_path):
    chain.configure(listen_host="0.0.0.0")
    with pytest.raises(exceptions.OptionsError, match="refusing to serve server-side keys on 0.0.0.0 without access_tokens"):
        chain.configure(upstream_keys="sk-server-key-0001")
    chain.configure(open_relay=True, upstream_keys="sk-server-key-0001")


def test_routes_file_keys_count_as_server_keys_for_the_open_relay_rule(chain, tmp_path):
    (tmp_path / "backup-keys.txt").write_text("sk-backup-key-0001\n")
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES)
    chain.configure(listen_host="")
    with pytest.raises(exceptions.OptionsError, match="every address"):
        chain.configure(routes=str(routes))
    chain.configure(access_tokens="team-token-0001", routes=str(routes))


@pytest.mark.parametrize(("prefix", "path", "joined"), [
    ("", "/v1/messages", "/v1/messages"),
    ("/api", "/v1/messages", "/api/v1/messages"),
    ("/openai/v1", "/v1/chat/completions", "/openai/v1/chat/completions"),
    ("/v1beta", "/v1beta/models/x:generateContent", "/v1beta/models/x:generateContent"),
    ("/api", "/api/v1/x", "/api/api/v1/x"),
])
def test_a_base_path_goes_before_the_api_path_without_repeating_its_version(prefix, path, joined):
    assert joined_path(prefix, path) == joined
