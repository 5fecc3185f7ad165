"""API keys through a real mitmdump: rotation, failover with cooldown, access tokens, /stats.

aimock run with AIMOCK_API_KEYS refuses every other key with a 401; a recording relay in
front of it shows which key each upstream request really carried.
"""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from harness import GOOD_UPSTREAM_KEYS, LOOPBACK, http_get

BAD_KEY = "sk-ant-bad-key-000000001"
ROTATING = ("sk-ant-rot-key-0000000a", "sk-ant-rot-key-0000000b", "sk-ant-rot-key-0000000c")


def ask(proxy, api_key: str, text: str, **kwargs) -> anthropic.types.Message:
    client = anthropic.Anthropic(base_url=proxy.url, api_key=api_key, max_retries=0)
    return client.messages.create(
        model="claude-sonnet-4-6", max_tokens=50, messages=[{"role": "user", "content": text}], **kwargs
    )


def stats_of(proxy, token: str | None = None) -> tuple[int, dict, bytes]:
    headers = {"x-api-key": token} if token else {}
    status, body, _ = http_get(LOOPBACK, proxy.port, "/stats", headers)
    return status, json.loads(body), body


def assert_no_key_material(text: bytes | str, keys) -> None:
    text = text.decode() if isinstance(text, bytes) else text
    for key in keys:
        assert key not in text
        # Pieces of eight: shorter ones ("0000") turn up in any log, in a port number say.
        assert key[4:12] not in text and key[-8:] not in text


def test_first_key_refused_then_the_next_key_answers(new_proxy, keyed_relay):
    proxy = new_proxy(keyed_relay.url)
    pool = ",".join((BAD_KEY, *GOOD_UPSTREAM_KEYS))
    message = ask(proxy, pool, "keys hello after a refused key")
    assert message.content[0].text == "Hello from the key tests."
    sent = keyed_relay.find("keys hello after a refused key")
    assert [r.headers["x-api-key"] for r in sent] == [BAD_KEY, GOOD_UPSTREAM_KEYS[0]]
    assert all("authorization" not in r.headers for r in sent)

    status, stats, raw = stats_of(proxy)
    assert status == 200
    bad = stats["keys"]["sk-…0001"]
    assert bad["requests"] == 1 and bad["successes"] == 0
    assert bad["failures"] == {"401": 1}
    assert bad["last_error"]["status"] == "401"
    assert bad["cooling_for_s"] > 3500
    assert stats["keys"]["sk-…0002"]["successes"] == 1
    assert_no_key_material(raw, (BAD_KEY, *GOOD_UPSTREAM_KEYS))

    log_line = next(l for l in proxy.log_text().splitlines() if "keys hello" not in l and "status=200" in l and "/v1/messages" in l)
    assert "key=sk-…0002 retries=1 status=200" in log_line


def test_streamed_request_is_retried_before_streaming_starts(new_proxy, keyed_relay):
    proxy = new_proxy(keyed_relay.url)
    client = anthropic.Anthropic(base_url=proxy.url, api_key=f"{BAD_KEY},{GOOD_UPSTREAM_KEYS[1]}", max_retries=0)
    with client.messages.stream(
        model="claude-sonnet-4-6", max_tokens=50, messages=[{"role": "user", "content": "keys hello, streamed retry"}]
    ) as stream:
        events = [event.type for event in stream]
        message = stream.get_final_message()
    assert message.content[0].text == "Hello from the key tests."
    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert [r.headers["x-api-key"] for r in keyed_relay.find("keys hello, streamed retry")] == [
        BAD_KEY, GOOD_UPSTREAM_KEYS[1],
    ]


def test_streamed_retry_is_translated_for_an_openai_client(new_proxy, keyed_relay):
    proxy = new_proxy(keyed_relay.url, upstream_protocol="anthropic")
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key=f"{BAD_KEY},{GOOD_UPSTREAM_KEYS[0]}", max_retries=0)
    chunks = list(client.chat.completions.create(
        model="claude-sonnet-4-6", stream=True, messages=[{"role": "user", "content": "keys hello, translated retry"}]
    ))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from the key tests."
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_rate_limited_key_is_cooled_for_its_retry_after(new_proxy, relay):
    proxy = new_proxy(relay.url)
    keys = "sk-ant-rate-key-0000000r,sk-ant-rate-key-0000000s"
    message = ask(proxy, keys, "keys rate limited once")
    assert message.content[0].text == "Answered by the second key."
    _, stats, _ = stats_of(proxy)
    first = stats["keys"]["sk-…000r"]
    assert first["failures"] == {"429": 1}
    assert 6 <= first["cooling_for_s"] <= 7
    assert stats["keys"]["sk-…000s"]["cooling_for_s"] == 0


def test_every_key_rate_limited_gives_the_client_the_final_429(new_proxy, relay):
    proxy = new_proxy(relay.url, key_retries="1")
    with pytest.raises(anthropic.RateLimitError) as caught:
        ask(proxy, "sk-ant-rate-key-0000000x,sk-ant-rate-key-0000000y,sk-ant-rate-key-0000000z", "keys always rate limited, retried once")
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "7"
    assert len(relay.find("keys always rate limited, retried once")) == 2  # one try and key_retries=1 retry


def test_round_robin_over_six_requests_hits_each_key_twice(new_proxy, relay):
    proxy = new_proxy(relay.url)
    for i in range(6):
        ask(proxy, ",".join(ROTATING), f"keys hello round robin {i}")
    sent = [relay.only(f"keys hello round robin {i}").headers["x-api-key"] for i in range(6)]
    assert sent == [*ROTATING, *ROTATING]


def test_openai_upstream_gets_the_key_as_a_bearer_token(new_proxy, relay):
    proxy = new_proxy(relay.url, upstream_protocol="openai")
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-openai-pool-key-0001", max_retries=0)
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "keys hello bearer"}])
    sent = relay.only("keys hello bearer")
    assert sent.headers["authorization"] == "Bearer sk-openai-pool-key-0001"
    assert "x-api-key" not in sent.headers


def test_access_tokens_guard_the_server_pool(new_proxy, keyed_relay, keyed_aimock):
    token = "team-token-7d1c2b9a"
    proxy = new_proxy(keyed_relay.url, upstream_keys=",".join(GOOD_UPSTREAM_KEYS), access_tokens=token)
    before = len(keyed_aimock.journal())
    with pytest.raises(anthropic.AuthenticationError) as caught:
        ask(proxy, "sk-ant-not-a-token-00001", "keys hello without a token")
    assert caught.value.status_code == 401
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "a valid access token is required (x-api-key or Authorization: Bearer)"},
    }
    assert len(keyed_aimock.journal()) == before
    assert keyed_relay.find("keys hello without a token") == []

    message = ask(proxy, token, "keys hello with a token")
    assert message.content[0].text == "Hello from the key tests."
    sent = keyed_relay.only("keys hello with a token")
    assert sent.headers["x-api-key"] in GOOD_UPSTREAM_KEYS
    assert token not in json.dumps(sent.headers)

    assert stats_of(proxy)[0] == 401
    status, stats, raw = stats_of(proxy, token)
    assert status == 200
    assert_no_key_material(raw, (*GOOD_UPSTREAM_KEYS, token))
    assert_no_key_material(proxy.log_text(), (*GOOD_UPSTREAM_KEYS, token))


def test_upstream_keys_from_a_file(new_proxy, keyed_relay, tmp_path):
    key_file = tmp_path / "keys.txt"
    key_file.write_text(f"# team keys\n{GOOD_UPSTREAM_KEYS[1]}\n\n{GOOD_UPSTREAM_KEYS[0]}  # second\n")
    proxy = new_proxy(keyed_relay.url, upstream_keys=f"@{key_file}")
    ask(proxy, "ignored-client-key-000001", "keys hello from the file pool")
    assert keyed_relay.only("keys hello from the file pool").headers["x-api-key"] == GOOD_UPSTREAM_KEYS[1]
