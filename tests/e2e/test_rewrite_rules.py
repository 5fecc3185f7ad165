"""Header rules, system prompt and model map through a real mitmdump, with the anthropic and
openai SDKs as clients and aimock behind a recording relay as the upstream: the relay shows
exactly what the upstream received, the SDKs what the client got back."""

from __future__ import annotations

import http.client
import json
import time

import anthropic
import openai
import pytest

from fake_upstreams import GatedEventStream
from harness import LOOPBACK, read_until

ANTHROPIC_KEY = "sk-ant-rw-client-key-0001"
OPENAI_KEY = "sk-openai-rw-client-0002"


def anthropic_client(proxy) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key=ANTHROPIC_KEY, max_retries=0)


def openai_client(proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.url + "/v1", api_key=OPENAI_KEY, max_retries=0)


def ask_anthropic(proxy, text: str, model: str = "claude-sonnet-4-6", **kwargs):
    return anthropic_client(proxy).messages.create(
        model=model, max_tokens=50, messages=[{"role": "user", "content": text}], **kwargs
    )


def ask_openai(proxy, text: str, model: str = "claude-sonnet-4-6", system: str | None = None):
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": text}]
    return openai_client(proxy).chat.completions.create(model=model, messages=messages)


# header rules ------------------------------------------------------------------------------

RULES_YAML = """\
__about: end-to-end header rules
rules:
  - set: {User-Agent: anyrouter-rules/1.0}
    remove: [X-Stainless-Lang]
  - add: {X-Rw-Every: every}
  - match: {route: openai->anthropic}
    add: {X-Rw-Translated: translated}
  - match: {route: anthropic-messages}
    set: {X-Rw-Native: native}
  - match: {path: "^/v1/messages"}
    set: {X-Rw-Path: messages}
"""


def test_header_rules_on_pass_through_and_translated_requests(new_proxy, relay, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_YAML)
    proxy = new_proxy(relay.url, header_rules=str(rules), upstream_protocol="anthropic")

    assert ask_anthropic(proxy, "rw headers native").content[0].text == "Headers seen."
    native = relay.only("rw headers native")
    assert (native.method, native.path) == ("POST", "/v1/messages")
    assert native.headers["user-agent"] == "anyrouter-rules/1.0"
    assert "x-stainless-lang" not in native.headers
    assert native.headers["x-stainless-arch"]  # what no rule names is left as the SDK sent it
    assert (native.headers["x-rw-every"], native.headers["x-rw-native"], native.headers["x-rw-path"]) == (
        "every", "native", "messages",
    )
    assert "x-rw-translated" not in native.headers
    assert native.headers["x-api-key"] == ANTHROPIC_KEY

    assert ask_openai(proxy, "rw headers translated").choices[0].message.content == "Headers seen."
    translated = relay.only("rw headers translated")
    assert translated.path == "/v1/messages"
    assert translated.headers["user-agent"] == "anyrouter-rules/1.0"
    assert "x-stainless-lang" not in translated.headers
    assert (translated.headers["x-rw-every"], translated.headers["x-rw-translated"]) == ("every", "translated")
    assert translated.headers["x-rw-path"] == "messages"  # the path the upstream receives, after translation
    assert "x-rw-native" not in translated.headers
    assert translated.headers["x-api-key"] == OPENAI_KEY
    assert "authorization" not in translated.headers


def test_flat_rules_file_is_reloaded_and_a_broken_edit_keeps_the_old_rules(new_proxy, relay, tmp_path):
    rules = tmp_path / "headers.json"
    rules.write_text(json.dumps({"__note": "the old tool's format", "User-Agent": "flat/1", "X-Rw-Flat": "one"}))
    proxy = new_proxy(relay.url, header_rules=str(rules))

    ask_anthropic(proxy, "rw headers flat first")
    first = relay.only("rw headers flat first").headers
    assert (first["user-agent"], first["x-rw-flat"]) == ("flat/1", "one")

    rules.write_text(json.dumps({"User-Agent": "flat/2", "X-Rw-Flat": "two, edited"}, indent=2))
    time.sleep(1.2)  # the file is looked at no more than once a second
    ask_anthropic(proxy, "rw headers flat second")
    second = relay.only("rw headers flat second").headers
    assert (second["user-agent"], second["x-rw-flat"]) == ("flat/2", "two, edited")

    rules.write_text('{\n  "User-Agent": "flat/3",\n  "Authorization": "Bearer sneaky"\n}\n')
    time.sleep(1.2)
    ask_anthropic(proxy, "rw headers flat third")
    third = relay.only("rw headers flat third").headers
    assert (third["user-agent"], third["x-rw-flat"]) == ("flat/2", "two, edited")
    assert third["x-api-key"] == ANTHROPIC_KEY and "authorization" not in third
    assert (
        f"header_rules: {rules} line 3: 'Authorization' is a credential header, owned by key handling: "
        "use upstream_keys; keeping the previous rules"
    ) in proxy.log_text()


def test_bad_rules_file_stops_mitmdump_from_starting_with_file_and_line(new_proxy, relay, tmp_path):
    rules = tmp_path / "bad.yaml"
    rules.write_text("rules:\n  - set: {User-Agent: ok}\n  - remove: [Connection]\n")
    with pytest.raises(RuntimeError) as caught:
        new_proxy(relay.url, header_rules=str(rules))
    assert f"header_rules: {rules} line 3: 'Connection' is a hop-by-hop header" in str(caught.value)


# system prompt -----------------------------------------------------------------------------

PROMPT = "Proxy prompt: answer briefly."
CACHED = {"type": "ephemeral"}
ONE = {"type": "text", "text": "Client one.", "cache_control": CACHED}
TWO = {"type": "text", "text": "Client two."}


def text(value: str, **extra) -> dict:
    return {"type": "text", "text": value, **extra}


def system_message(value: str) -> dict:
    return {"role": "system", "content": value}


# What the upstream's request says, per mode: the anthropic SDK passed through with two
# system blocks (the first cached), the openai SDK translated with one system message.
ANTHROPIC_UPSTREAM = {
    "replace-first": ([text(PROMPT, cache_control=CACHED), TWO], [text(PROMPT)]),
    "replace-all": ([text(PROMPT, cache_control=CACHED)], [text(PROMPT)]),
    "prepend": ([text(PROMPT), ONE, TWO], [text(PROMPT), text("Client one.")]),
    "append": ([ONE, TWO, text(PROMPT)], [text("Client one."), text(PROMPT)]),
}
# The openai SDK passed through and the anthropic SDK translated both send one system message.
OPENAI_UPSTREAM = {
    "replace-first": [system_message(PROMPT)],
    "replace-all": [system_message(PROMPT)],
    "prepend": [system_message(PROMPT), system_message("Client one.")],
    "append": [system_message("Client one."), system_message(PROMPT)],
}
MODES = list(OPENAI_UPSTREAM)


@pytest.mark.parametrize("mode", MODES)
def test_system_prompt_in_front_of_an_anthropic_upstream(start_proxy, relay, mode):
    proxy = start_proxy(relay.url, upstream_protocol="anthropic", system_prompt=PROMPT, system_prompt_mode=mode)
    passed_through, translated = ANTHROPIC_UPSTREAM[mode]

    message = ask_anthropic(proxy, f"rw system prompt {mode} anthropic sdk", system=[ONE, TWO])
    assert message.content[0].text == "System prompt seen."
    sent = relay.only(f"rw system prompt {mode} anthropic sdk")
    assert sent.path == "/v1/messages"
    assert sent.body["system"] == passed_through
    assert sent.body["messages"] == [{"role": "user", "content": f"rw system prompt {mode} anthropic sdk"}]

    completion = ask_openai(proxy, f"rw system prompt {mode} openai sdk", system="Client one.")
    assert completion.choices[0].message.content == "System prompt seen."
    sent = relay.only(f"rw system prompt {mode} openai sdk")
    assert sent.path == "/v1/messages"
    assert sent.body["system"] == translated


@pytest.mark.parametrize("mode", MODES)
def test_system_prompt_in_front_of_an_openai_upstream(start_proxy, relay, mode):
    proxy = start_proxy(relay.url, upstream_protocol="openai", system_prompt=PROMPT, system_prompt_mode=mode)
    expected = OPENAI_UPSTREAM[mode]

    completion = ask_openai(proxy, f"rw system prompt {mode} openai sdk to openai", system="Client one.")
    assert completion.choices[0].message.content == "System prompt seen."
    sent = relay.only(f"rw system prompt {mode} openai sdk to openai")
    assert sent.path == "/v1/chat/completions"
    assert sent.body["messages"] == [
        *expected, {"role": "user", "content": f"rw system prompt {mode} openai sdk to openai"},
    ]

    message = ask_anthropic(proxy, f"rw system prompt {mode} anthropic sdk to openai", system="Client one.")
    assert message.content[0].text == "System prompt seen."
    sent = relay.only(f"rw system prompt {mode} anthropic sdk to openai")
    assert sent.path == "/v1/chat/completions"
    assert sent.body["messages"][:-1] == expected
    assert sent.body["messages"][-1]["role"] == "user"


def test_system_prompt_added_when_the_client_sends_none(start_proxy, relay):
    proxy = start_proxy(relay.url, upstream_protocol="anthropic", system_prompt=PROMPT, system_prompt_mode="replace-first")
    ask_anthropic(proxy, "rw system prompt none anthropic sdk")
    assert relay.only("rw system prompt none anthropic sdk").body["system"] == PROMPT


# model map ---------------------------------------------------------------------------------

MODEL_MAP = "claude-rw-client=claude-rw-upstream, gpt-rw-client=gpt-rw-upstream"


@pytest.fixture(scope="module")
def mapped_to_anthropic(start_proxy, relay):
    return start_proxy(relay.url, upstream_protocol="anthropic", model_map=MODEL_MAP)


@pytest.fixture(scope="module")
def mapped_to_openai(start_proxy, relay):
    return start_proxy(relay.url, upstream_protocol="openai", model_map=MODEL_MAP)


def anthropic_stream(proxy, text: str, model: str) -> tuple[list, anthropic.types.Message]:
    with anthropic_client(proxy).messages.stream(
        model=model, max_tokens=50, messages=[{"role": "user", "content": text}]
    ) as stream:
        events = list(stream)
        return events, stream.get_final_message()


def openai_stream(proxy, text: str, model: str) -> list:
    return list(openai_client(proxy).chat.completions.create(
        model=model, stream=True, messages=[{"role": "user", "content": text}]
    ))


@pytest.mark.parametrize(
    ("proxy_name", "route"), [("mapped_to_anthropic", "pass-through"), ("mapped_to_openai", "translated")]
)
def test_model_map_for_anthropic_clients(request, relay, proxy_name, route):
    proxy = request.getfixturevalue(proxy_name)
    upstream_path = "/v1/messages" if route == "pass-through" else "/v1/chat/completions"

    message = ask_anthropic(proxy, f"rw model map anthropic {route}", model="claude-rw-client")
    assert message.model == "claude-rw-client"
    assert message.content[0].text == "Mapped hello."
    sent = relay.only(f"rw model map anthropic {route}")
    assert (sent.path, sent.body["model"]) == (upstream_path, "claude-rw-upstream")

    events, final = anthropic_stream(proxy, f"rw model map anthropic {route} streamed", "claude-rw-client")
    assert events[0].type == "message_start"
    assert events[0].message.model == "claude-rw-client"
    assert final.model == "claude-rw-client"
    assert final.content[0].text == "Mapped hello."
    sent = relay.only(f"rw model map anthropic {route} streamed")
    assert (sent.path, sent.body["model"], sent.body["stream"]) == (upstream_path, "claude-rw-upstream", True)


@pytest.mark.parametrize(
    ("proxy_name", "route"), [("mapped_to_openai", "pass-through"), ("mapped_to_anthropic", "translated")]
)
def test_model_map_for_openai_clients(request, relay, proxy_name, route):
    proxy = request.getfixturevalue(proxy_name)
    upstream_path = "/v1/chat/completions" if route == "pass-through" else "/v1/messages"

    completion = ask_openai(proxy, f"rw model map openai {route}", model="gpt-rw-client")
    assert completion.model == "gpt-rw-client"
    assert completion.choices[0].message.content == "Mapped hello."
    sent = relay.only(f"rw model map openai {route}")
    assert (sent.path, sent.body["model"]) == (upstream_path, "gpt-rw-upstream")

    chunks = openai_stream(proxy, f"rw model map openai {route} streamed", "gpt-rw-client")
    assert len(chunks) >= 2
    assert {chunk.model for chunk in chunks} == {"gpt-rw-client"}
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Mapped hello."
    sent = relay.only(f"rw model map openai {route} streamed")
    assert (sent.path, sent.body["model"]) == (upstream_path, "gpt-rw-upstream")


def test_pass_through_answer_gets_the_clients_name_whatever_the_upstream_reports(mapped_to_anthropic, mapped_to_openai, relay):
    message = ask_anthropic(mapped_to_anthropic, "rw model dated anthropic", model="claude-rw-client")
    assert message.model == "claude-rw-client"
    events, final = anthropic_stream(mapped_to_anthropic, "rw model dated anthropic streamed", "claude-rw-client")
    assert events[0].message.model == final.model == "claude-rw-client"

    completion = ask_openai(mapped_to_openai, "rw model dated openai", model="gpt-rw-client")
    assert completion.model == "gpt-rw-client"
    chunks = openai_stream(mapped_to_openai, "rw model dated openai streamed", "gpt-rw-client")
    assert {chunk.model for chunk in chunks} == {"gpt-rw-client"}


def test_unmapped_models_pass_unchanged(mapped_to_openai, relay):
    completion = ask_openai(mapped_to_openai, "rw model dated unmapped", model="gpt-other")
    assert completion.model == "rw-upstream-reported-20990101"  # nothing was renamed, so nothing is renamed back
    assert relay.only("rw model dated unmapped").body["model"] == "gpt-other"


GATED_FIRST = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_gate","type":"message",'
    b'"role":"assistant","model":"gated-upstream","content":[],"stop_reason":null,"stop_sequence":null,'
    b'"usage":{"input_tokens":3,"output_tokens":0}}}\n\n'
    b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"early-words"}}\n\n'
)
GATED_REST = (
    b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


def test_renamed_stream_is_not_buffered(new_proxy):
    """The renamed message_start and the first text leave while the upstream still holds the rest."""

    with GatedEventStream(GATED_FIRST, GATED_REST) as upstream:
        proxy = new_proxy(upstream.url, model_map="gated-client=gated-upstream")
        conn = http.client.HTTPConnection(LOOPBACK, proxy.port, timeout=15)
        body = {"model": "gated-client", "max_tokens": 5, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
        conn.request("POST", "/v1/messages", body=json.dumps(body), headers={"content-type": "application/json"})
        response = conn.getresponse()
        assert response.status == 200
        early = read_until(response, b"early-words")
        assert b'"model":"gated-client"' in early and b"gated-upstream" not in early
        assert upstream.released_early is False
        upstream.gate.set()
        assert b"message_stop" in read_until(response, b"message_stop")
        conn.close()
