"""Flows saved with `mitmdump -w` hold no key, while the upstream received the real one."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest
from mitmproxy import io

from harness import GOOD_UPSTREAM_KEYS

CLIENT_POOL = ("sk-ant-saved-flow-key-000a", "sk-ant-saved-flow-key-000b")
TOKEN = "team-access-token-5e6f7a8b"


def read_flows(path):
    """The saved flows, less the /health polls that waited for the proxy to be ready."""
    with open(path, "rb") as file:
        return [flow for flow in io.FlowReader(file).stream() if flow.request.path != "/health"]


def assert_no_secret(raw: bytes, secrets) -> None:
    for secret in secrets:
        assert secret.encode() not in raw, secret
        # no telling piece either: anything beyond the last four characters
        assert secret[3:-4].encode() not in raw, secret


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_client_key_pool_never_reaches_the_saved_file(new_proxy, relay, tmp_path, stream):
    saved = tmp_path / "flows.mitm"
    proxy = new_proxy(relay.url, extra_args=["-w", str(saved), "--set", "store_streamed_bodies=true"])
    client = anthropic.Anthropic(base_url=proxy.url, api_key=",".join(CLIENT_POOL), max_retries=0)
    marker = f"keys hello saved flow {'stream' if stream else 'plain'}"
    for i in range(2):
        params = dict(model="claude-sonnet-4-6", max_tokens=20, messages=[{"role": "user", "content": f"{marker} {i}"}])
        if stream:
            with client.messages.stream(**params) as s:
                assert s.get_final_message().content[0].text == "Hello from the key tests."
        else:
            assert client.messages.create(**params).content[0].text == "Hello from the key tests."
    proxy.stop()  # mitmdump writes and closes the file

    assert [relay.only(f"{marker} {i}").headers["x-api-key"] for i in range(2)] == list(CLIENT_POOL)
    raw = saved.read_bytes()
    assert_no_secret(raw, CLIENT_POOL)
    flows = read_flows(saved)
    assert [f.request.headers["x-api-key"] for f in flows] == ["sk-…000a", "sk-…000b"]
    # aimock's Messages answers report 0 input and 0 output tokens when a fixture gives no usage.
    assert flows[0].comment == "anthropic-messages · claude-sonnet-4-6 · key sk-…000a · 0 retries · in 0 out 0"
    if stream:
        assert b"message_stop" in flows[0].response.content  # the streamed body is kept


def test_translated_flow_keeps_both_sides_and_no_server_key_or_token(new_proxy, keyed_relay, tmp_path):
    saved = tmp_path / "flows.mitm"
    proxy = new_proxy(
        keyed_relay.url,
        upstream_keys=",".join(GOOD_UPSTREAM_KEYS),
        access_tokens=TOKEN,
        extra_args=["-w", str(saved), "--set", "store_streamed_bodies=true"],
    )
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key=TOKEN, max_retries=0)
    chunks = list(client.chat.completions.create(
        model="claude-sonnet-4-6", stream=True, messages=[{"role": "user", "content": "keys hello translated and saved"}]
    ))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from the key tests."
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-wrong-token-00000001", max_retries=0).chat.completions.create(
            model="claude-sonnet-4-6", messages=[{"role": "user", "content": "keys hello refused"}]
        )
    proxy.stop()

    assert keyed_relay.only("keys hello translated and saved").headers["x-api-key"] == GOOD_UPSTREAM_KEYS[0]
    raw = saved.read_bytes()
    assert_no_secret(raw, (*GOOD_UPSTREAM_KEYS, TOKEN, "sk-wrong-token-00000001"))
    translated, refused = read_flows(saved)
    assert translated.request.path == "/v1/messages"
    assert json.loads(translated.request.content)["messages"][0]["content"][0]["text"] == "keys hello translated and saved"
    client_side = json.loads(translated.metadata["anyrouter"]["client_request"])
    assert client_side["messages"] == [{"role": "user", "content": "keys hello translated and saved"}]
    assert translated.comment == "openai→anthropic · claude-sonnet-4-6 · key sk-…0002 · 0 retries · in 0 out 0"
    assert b"data: [DONE]" in translated.response.content
    assert not translated.marked
    assert refused.response.status_code == 401
    assert refused.request.headers["authorization"] == "Bearer sk-…0001"


def test_failed_upstream_flow_is_marked(new_proxy, relay, tmp_path):
    saved = tmp_path / "flows.mitm"
    proxy = new_proxy(relay.url, key_retries="0", extra_args=["-w", str(saved)])
    with pytest.raises(anthropic.RateLimitError):
        anthropic.Anthropic(base_url=proxy.url, api_key="sk-ant-marked-key-0000001", max_retries=0).messages.create(
            model="claude-sonnet-4-6", max_tokens=20, messages=[{"role": "user", "content": "keys always rate limited, saved and marked"}]
        )
    proxy.stop()
    [flow] = read_flows(saved)
    assert flow.marked == ":warning:"
    assert flow.comment == (
        "anthropic-messages · claude-sonnet-4-6 · key sk-…0001 · 0 retries · upstream error: Too many requests"
    )
