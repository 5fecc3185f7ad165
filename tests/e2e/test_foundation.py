"""The foundation end to end: real clients → a real mitmdump with the addon → real upstreams.

Same protocol on both sides here (Anthropic client, Anthropic upstream): the proxy passes
requests through, and answers /health and /v1/models itself.
"""

from __future__ import annotations

import http.client
import json

import anthropic
import openai
import pytest

from harness import LOOPBACK, PEERS_BIN, clean_env, free_port, http_get, run_client

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def anthropic_client(proxy) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key="sk-ant-test-key-0001", max_retries=0)


def upstream_requests(aimock, containing: str) -> list[dict]:
    return [entry for entry in aimock.journal() if containing in str(entry.get("body"))]


def test_anthropic_sdk_text_passes_through(anthropic_proxy, aimock):
    message = anthropic_client(anthropic_proxy).messages.create(
        model="claude-sonnet-4-6",
        max_tokens=100,
        messages=[{"role": "user", "content": "pass-through hello"}],
    )
    assert isinstance(message, anthropic.types.Message)
    assert message.content[0].type == "text"
    assert message.content[0].text == "Hello through the proxy."
    assert message.stop_reason == "end_turn"
    [received] = upstream_requests(aimock, "pass-through hello")[-1:]
    assert received["path"] == "/v1/messages"
    assert received["method"] == "POST"


def test_anthropic_sdk_stream_passes_through(anthropic_proxy, aimock):
    client = anthropic_client(anthropic_proxy)
    with client.messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=100,
        messages=[{"role": "user", "content": "pass-through hello, streamed"}],
    ) as stream:
        event_types = [event.type for event in stream]
        message = stream.get_final_message()
    assert message.content[0].text == "Hello through the proxy."
    assert event_types[0] == "message_start"
    assert event_types[-1] == "message_stop"
    assert "content_block_delta" in event_types


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_anthropic_sdk_tool_round_trip(anthropic_proxy, aimock, stream):
    client = anthropic_client(anthropic_proxy)
    question = {"role": "user", "content": f"pass-through weather ({'stream' if stream else 'plain'})"}

    def ask(messages):
        if not stream:
            return client.messages.create(
                model="claude-sonnet-4-6", max_tokens=200, tools=[WEATHER_TOOL], messages=messages
            )
        with client.messages.stream(
            model="claude-sonnet-4-6", max_tokens=200, tools=[WEATHER_TOOL], messages=messages
        ) as s:
            return s.get_final_message()

    first = ask([question])
    assert first.stop_reason == "tool_use"
    [call] = [block for block in first.content if block.type == "tool_use"]
    assert call.name == "get_weather"
    assert call.input == {"city": "Paris"}
    assert call.id == "toolu_weather_1"

    second = ask(
        [
            question,
            {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in first.content]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "22°C, clear sky"}],
            },
        ]
    )
    assert second.stop_reason == "end_turn"
    assert second.content[0].text == "It is sunny in Paris."


def test_query_string_and_host_reach_the_upstream(anthropic_proxy, aimock):
    client = anthropic_client(anthropic_proxy)
    client.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=50,
        messages=[{"role": "user", "content": "pass-through hello with beta query"}],
        extra_query={"beta": "true"},
    )
    [received] = upstream_requests(aimock, "pass-through hello with beta query")
    assert received["path"] == "/v1/messages?beta=true"
    assert received["headers"]["host"] == f"{LOOPBACK}:{aimock.port}"


def test_hop_by_hop_headers_do_not_reach_the_upstream(anthropic_proxy, aimock):
    conn = http.client.HTTPConnection(LOOPBACK, anthropic_proxy.port, timeout=10)
    body = b'{"model":"claude-sonnet-4-6","max_tokens":20,"messages":[{"role":"user","content":"pass-through hello hop"}]}'
    conn.request(
        "POST",
        "/v1/messages",
        body=body,
        headers={
            "content-type": "application/json",
            "anthropic-version": "2023-06-01",
            "connection": "keep-alive, x-private-hop",
            "x-private-hop": "must not be forwarded",
            "keep-alive": "timeout=5",
            "te": "trailers",
            "x-end-to-end": "kept",
            "accept-encoding": "gzip, br",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 200
    [received] = upstream_requests(aimock, "pass-through hello hop")
    headers = {k.lower(): v for k, v in received["headers"].items()}
    for name in ("x-private-hop", "keep-alive", "te"):
        assert name not in headers
    assert headers["x-end-to-end"] == "kept"
    # An LLM route may stream: the upstream must not compress what the proxy reads event by event.
    assert headers["accept-encoding"] == "identity"


def test_real_model_answers_through_the_proxy(start_proxy, llama):
    proxy = start_proxy(llama.url, upstream_protocol="anthropic")
    message = anthropic_client(proxy).messages.create(
        model="smollm2", max_tokens=24, messages=[{"role": "user", "content": "Say hello."}]
    )
    assert isinstance(message, anthropic.types.Message)
    assert message.content[0].type == "text"
    assert message.content[0].text.strip()
    assert message.usage.output_tokens > 0


def test_claude_code_completes_through_the_proxy(anthropic_proxy, aimock, tmp_path):
    env = clean_env(
        HOME=str(tmp_path),
        ANTHROPIC_BASE_URL=anthropic_proxy.url,
        ANTHROPIC_API_KEY="sk-ant-test-claude-code-0001",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
    )
    result = run_client([str(PEERS_BIN / "claude"), "-p", "claude code says hi"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Hello Claude Code, from aimock."
    received = upstream_requests(aimock, "claude code says hi")
    assert received and received[-1]["path"] == "/v1/messages?beta=true"


def test_health_answers_while_the_upstream_is_down(start_proxy):
    nothing_listens = f"http://{LOOPBACK}:{free_port()}"
    proxy = start_proxy(nothing_listens, upstream_protocol="openai")
    status, body, headers = http_get(LOOPBACK, proxy.port, "/health")
    assert status == 200
    assert headers["content-type"] == "application/json"
    health = json.loads(body)
    assert health["status"] == "degraded"
    assert health["upstream_reachable"] is False
    assert health["upstream"] == nothing_listens
    assert health["upstream_protocol"] == "openai"
    assert health["version"]


def test_health_is_ok_when_the_upstream_listens(anthropic_proxy, aimock):
    status, body, _ = http_get(LOOPBACK, anthropic_proxy.port, "/health")
    health = json.loads(body)
    assert (status, health["status"], health["upstream_reachable"]) == (200, "ok", True)


def test_models_in_openai_shape_parse_with_the_openai_sdk(anthropic_proxy, aimock):
    client = openai.OpenAI(base_url=anthropic_proxy.url + "/v1", api_key="sk-test-openai-0001", max_retries=0)
    models = list(client.models.list())
    assert [m.id for m in models][:2] == ["claude-haiku-4-5-20251001", "claude-3-5-haiku-20241022"]
    for model in models:
        openai.types.Model.model_validate(model.to_dict())
    assert all(m.object == "model" for m in models)
    assert models[0].owned_by == "anthropic"
    assert models[0].created == 1759276800  # 2025-10-01, from the id's date
    before = len(aimock.journal())
    list(client.models.list())
    assert len(aimock.journal()) == before, "/v1/models must not reach the upstream"


def test_models_in_anthropic_shape_parse_with_the_anthropic_sdk(anthropic_proxy):
    page = anthropic_client(anthropic_proxy).models.list()
    models = list(page)
    assert len(models) == 9
    for model in models:  # the SDK parses leniently; validate strictly against its own type
        anthropic.types.ModelInfo.model_validate(model.to_dict())
    assert all(m.type == "model" and m.lifecycle == "active" for m in models)
    first = models[0]
    assert (first.id, first.display_name) == ("claude-haiku-4-5-20251001", "Claude Haiku 4.5")
    assert first.created_at.isoformat() == "2025-10-01T00:00:00+00:00"
    assert page.has_more is False
    assert (page.first_id, page.last_id) == ("claude-haiku-4-5-20251001", "claude-opus-4-6")


def test_models_option_replaces_the_list(start_proxy, aimock):
    proxy = start_proxy(aimock.url, models="gpt-4o-mini, claude-opus-4-6")
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-test-openai-0001", max_retries=0)
    assert [(m.id, m.owned_by) for m in client.models.list()] == [
        ("gpt-4o-mini", "openai"),
        ("claude-opus-4-6", "anthropic"),
    ]


def test_one_access_line_per_request_without_key_material(start_proxy, aimock):
    proxy = start_proxy(aimock.url, models="claude-sonnet-4-6")
    key = "sk-ant-secret-value-9f8e7d6c"
    anthropic.Anthropic(base_url=proxy.url, api_key=key, max_retries=0).messages.create(
        model="claude-sonnet-4-6",
        max_tokens=20,
        messages=[{"role": "user", "content": "pass-through hello for the log"}],
    )
    log = proxy.log_text()
    lines = [line for line in log.splitlines() if "POST /v1/messages" in line and "model=" in line]
    assert len(lines) == 1
    assert "anthropic-messages POST /v1/messages upstream=127.0.0.1 model=claude-sonnet-4-6" in lines[0]
    assert "status=200" in lines[0]
    assert lines[0].rstrip().endswith("ms")
    assert "secret-value" not in log and key not in log
