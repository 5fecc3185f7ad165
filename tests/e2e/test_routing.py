"""Routes files through a real mitmdump: one proxy in front of several upstreams of different
protocols, each a recording relay in front of aimock (tests/fixtures/aimock/routing.json), so
every test sees which upstream got a request, on which path, with which headers and body.

Real clients: Claude Code 2.1.330 (its background Haiku call split from its main calls), the
openai and anthropic SDKs. One shared proxy (`routed`) serves the model-name table; the Claude
Code table, the reload and the bad file each get a proxy of their own.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest
from mitmproxy import io

from harness import LOOPBACK, PEERS_BIN, Mitmdump, clean_env, free_port, http_get, run_client
from recording_relay import RecordingRelay

ANSWER = "Hello from a routed upstream."  # the fixture for every "routing hello" prompt
UPSTREAM_KEY = "sk-ant-routing-upstream-key-00k1"  # keys.txt of the `keyed` upstream
TEAM_PROMPT = "Team prompt: answer as team a."
LISTED = "team-model,listed-extra"  # the `models` option; team-model is also a route's model
CLIENT_KEYS = ("sk-routing-openai-client-0007", "sk-ant-routing-anthropic-0008")


def openai_client(proxy, key: str = CLIENT_KEYS[0]) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.url + "/v1", api_key=key, max_retries=0)


def anthropic_client(proxy, key: str = CLIENT_KEYS[1]) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key=key, max_retries=0)


def ask_openai(proxy, model: str, text: str):
    return openai_client(proxy).chat.completions.create(model=model, messages=[{"role": "user", "content": text}])


def ask_anthropic(proxy, model: str, text: str):
    return anthropic_client(proxy).messages.create(
        model=model, max_tokens=40, messages=[{"role": "user", "content": text}]
    )


def get_json(proxy, path: str) -> dict:
    status, body, _ = http_get(LOOPBACK, proxy.port, path)
    assert status == 200, body
    return json.loads(body)


@pytest.fixture(scope="module")
def make_relay(aimock) -> Iterator:
    """Recording relays in front of the session's aimock: one per upstream, so the relay a
    request reached tells which upstream the proxy chose."""
    made: list[RecordingRelay] = []

    def make() -> RecordingRelay:
        made.append(RecordingRelay(aimock.port))
        return made[-1]

    yield make
    for relay in made:
        relay.stop()


# The shared proxy: routes by model name, no catch-all -----------------------------------------


@pytest.fixture(scope="module")
def upstreams(make_relay) -> dict[str, RecordingRelay]:
    return {name: make_relay() for name in ("relay", "openai", "keyed", "team")}


@pytest.fixture(scope="module")
def closed_port() -> int:
    """An upstream whose port nothing listens on: a refused connection, no fake needed."""
    return free_port()


@pytest.fixture(scope="module")
def routed(upstreams, closed_port, log_dir, tmp_path_factory) -> Iterator[Mitmdump]:
    folder = tmp_path_factory.mktemp("routed")
    (folder / "keys.txt").write_text(f"# the keyed upstream's own key\n{UPSTREAM_KEY}\n")
    routes = folder / "routes.yaml"
    routes.write_text(f"""\
upstreams:
  relay:  {{url: "{upstreams['relay'].url}", protocol: anthropic}}
  openai: {{url: "{upstreams['openai'].url}", protocol: openai}}
  keyed:  {{url: "{upstreams['keyed'].url}", protocol: anthropic, keys: "@keys.txt"}}
  team:
    url: "{upstreams['team'].url}"
    protocol: openai
    headers: {{X-Team: a}}
    system_prompt: "{TEAM_PROMPT}"
  down:   {{url: "http://{LOOPBACK}:{closed_port}", protocol: openai}}
routes:
  - name: claude
    match: {{model: "claude-*"}}
    to: relay
  - name: gpt
    match: {{model: "gpt-*"}}
    to: openai
  - name: keyed
    match: {{model: keyed-model}}
    to: keyed
  - name: team
    match: {{model: team-model}}
    to: team
  - name: down
    match: {{model: down-model}}
    to: down
""")
    saved = folder / "flows.mitm"
    # The reverse target is one of the upstreams, though no route names it (`default`).
    proxy = Mitmdump(
        upstreams["relay"].url, log_dir, {"routes": str(routes), "models": LISTED}, ["-w", str(saved)]
    )
    proxy.saved = saved
    yield proxy
    proxy.stop()


# 1. Claude Code split across two upstreams of different protocols ---------------------------

WORKDIR = Path("/tmp/anyrouter-routing-e2e")  # the fixture's Read call names this folder's note
NOTE_TEXT = "note-content-routing-7f3a: both upstreams answered\n"
PROMPT = "routing claude code reads the note"
HAIKU = "claude-haiku-4-5-20251001"

CLAUDE_CODE_ROUTES = """\
upstreams:
  small: {{url: "{small}", protocol: openai}}
  main:  {{url: "{main}", protocol: anthropic}}
routes:
  - match: {{background: true}}
    to: small
    model: small-model
  - to: main
"""


def test_claude_code_background_call_goes_to_the_small_openai_upstream(new_proxy, make_relay, tmp_path):
    small, main, reverse_target = make_relay(), make_relay(), make_relay()
    routes = tmp_path / "routes.yaml"
    routes.write_text(CLAUDE_CODE_ROUTES.format(small=small.url, main=main.url))
    proxy = new_proxy(reverse_target.url, routes=str(routes))
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir()
    (WORKDIR / "note.txt").write_text(NOTE_TEXT)
    # The tool-use summary is Claude Code's one Haiku call in -p mode: it needs these two
    # variables and a tool round trip (aimock scripts a Read of the note, then the answer).
    env = clean_env(
        HOME=str(tmp_path),
        ANTHROPIC_BASE_URL=proxy.url,
        ANTHROPIC_API_KEY="sk-ant-routing-claude-code-0001",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        CLAUDE_CODE_EMIT_TOOL_USE_SUMMARIES="1",
        ANTHROPIC_SMALL_FAST_MODEL=HAIKU,
    )
    result = run_client([str(PEERS_BIN / "claude"), "-p", PROMPT], env, WORKDIR, timeout=120)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert result.stdout.strip() == "The note says both upstreams answered."

    # The Haiku call, and only it, reached the small upstream, translated to Chat Completions.
    [summary] = small.requests
    assert (summary.method, summary.path) == ("POST", "/v1/chat/completions")
    assert summary.headers["authorization"] == "Bearer sk-ant-routing-claude-code-0001"
    assert "x-api-key" not in summary.headers
    body = summary.body
    assert body["model"] == "small-model"
    assert "tools" not in body and body["max_tokens"] == 32000
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    label_prompt = body["messages"][1]["content"]
    assert "Tools completed" in label_prompt and "Label:" in label_prompt
    assert PROMPT not in json.dumps(body)

    # The two main calls reached the Anthropic upstream untranslated; the second holds the
    # Read's result. (Claude Code sends the summary and the second main call side by side.)
    assert [(t.method, t.path) for t in main.requests] == [("POST", "/v1/messages?beta=true")] * 2
    first, follow_up = (t.body for t in main.requests)
    assert first["model"] == follow_up["model"] and first["model"].startswith("claude-")
    assert "haiku" not in first["model"]
    assert len(first["tools"]) == 12
    assert PROMPT in json.dumps(first["messages"][0])
    assert "tool_result" not in json.dumps(first["messages"])
    [call] = [b for m in follow_up["messages"] if m["role"] == "assistant" for b in m["content"] if b["type"] == "tool_use"]
    assert (call["id"], call["name"], call["input"]) == ("toolu_routing_read", "Read", {"file_path": str(WORKDIR / "note.txt")})
    [outcome] = [b for m in follow_up["messages"] if m["role"] == "user" for b in m["content"]
                 if isinstance(b, dict) and b["type"] == "tool_result"]
    assert outcome["tool_use_id"] == "toolu_routing_read"
    assert NOTE_TEXT.strip() in json.dumps(outcome["content"])
    assert reverse_target.find(PROMPT) == [] and reverse_target.find("Tools completed") == []

    log = proxy.log_text()
    [haiku_line] = [line for line in log.splitlines() if "route=#1" in line]
    assert f"anthropic→openai POST /v1/chat/completions route=#1 upstream=small model={HAIKU}→small-model " in haiku_line
    assert "status=200" in haiku_line
    main_lines = [line for line in log.splitlines() if "route=#2" in line]
    assert len(main_lines) == 2
    assert all(
        f"anthropic-messages POST /v1/messages?beta=true route=#2 upstream=main model={first['model']} " in line
        for line in main_lines
    )


# 2. The openai SDK reaching an Anthropic and an OpenAI upstream by model name ---------------


def test_openai_sdk_reaches_both_upstreams_by_model_name(routed, upstreams):
    completion = ask_openai(routed, "claude-sonnet-4-6", "routing hello claude plain")
    assert isinstance(completion, openai.types.chat.ChatCompletion)
    assert completion.model == "claude-sonnet-4-6"
    assert completion.choices[0].message.content == ANSWER
    sent = upstreams["relay"].only("routing hello claude plain")
    assert (sent.method, sent.path) == ("POST", "/v1/messages")
    assert sent.body["model"] == "claude-sonnet-4-6" and isinstance(sent.body["max_tokens"], int)
    assert sent.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "routing hello claude plain"}]}]

    completion = ask_openai(routed, "gpt-4o-mini", "routing hello gpt plain")
    assert isinstance(completion, openai.types.chat.ChatCompletion)
    assert completion.model == "gpt-4o-mini"
    assert completion.choices[0].message.content == ANSWER
    sent = upstreams["openai"].only("routing hello gpt plain")
    assert (sent.method, sent.path) == ("POST", "/v1/chat/completions")
    assert sent.body == {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "routing hello gpt plain"}]}

    for relay in ("keyed", "team"):
        assert upstreams[relay].find("routing hello claude plain") == upstreams[relay].find("routing hello gpt plain") == []
    assert upstreams["openai"].find("routing hello claude plain") == []
    assert upstreams["relay"].find("routing hello gpt plain") == []


@pytest.mark.parametrize(("model", "upstream", "path"), [
    ("claude-sonnet-4-6", "relay", "/v1/messages"),
    ("gpt-4o-mini", "openai", "/v1/chat/completions"),
])
def test_openai_sdk_streams_from_both_upstreams(routed, upstreams, model, upstream, path):
    text = f"routing hello {upstream} streamed"
    with openai_client(routed).chat.completions.stream(
        model=model, messages=[{"role": "user", "content": text}]
    ) as stream:
        chunks = [event.chunk for event in stream if event.type == "chunk"]
        final = stream.get_final_completion()
    assert final.choices[0].message.content == ANSWER
    assert final.choices[0].finish_reason == "stop"
    assert final.model == model and {chunk.model for chunk in chunks} == {model}
    sent = upstreams[upstream].only(text)
    assert (sent.method, sent.path) == ("POST", path)
    assert sent.body["model"] == model and sent.body["stream"] is True
    if upstream == "relay":
        assert isinstance(sent.body["max_tokens"], int)
    other = "openai" if upstream == "relay" else "relay"
    assert upstreams[other].find(text) == []


# 3. No route matches: a 404 in the client's protocol; /v1/models from the routes -------------

SERVED = ["keyed-model", "team-model", "down-model", "listed-extra"]  # route models, then `models`
NO_ROUTE = f"no route of the routes file serves model 'mistral-large'; models served: {', '.join(SERVED)}"


def test_no_route_is_a_404_in_each_clients_protocol(routed, upstreams):
    with pytest.raises(openai.NotFoundError) as caught:
        ask_openai(routed, "mistral-large", "routing hello unrouted openai")
    assert caught.value.status_code == 404
    assert caught.value.body == {"message": NO_ROUTE, "type": "not_found_error", "param": None, "code": None}

    with pytest.raises(anthropic.NotFoundError) as caught:
        ask_anthropic(routed, "mistral-large", "routing hello unrouted anthropic")
    assert caught.value.status_code == 404
    assert caught.value.body == {"type": "error", "error": {"type": "not_found_error", "message": NO_ROUTE}}

    for relay in upstreams.values():
        assert relay.find("routing hello unrouted") == []


def test_models_are_the_route_models_then_the_models_option(routed):
    listed = list(openai_client(routed).models.list())
    assert all(isinstance(model, openai.types.Model) for model in listed)
    assert [model.id for model in listed] == SERVED  # no glob (claude-*, gpt-*); team-model once

    page = anthropic_client(routed).models.list()
    assert all(isinstance(model, anthropic.types.ModelInfo) for model in page.data)
    assert [model.id for model in page.data] == SERVED
    assert (page.first_id, page.last_id, page.has_more) == (SERVED[0], SERVED[-1], False)


# 4. A bad routes file at start, a bad and a good edit at run time ----------------------------

RELOADED_ROUTES = """\
upstreams:
  old: {{url: "{old}", protocol: anthropic}}
  new: {{url: "{new}", protocol: openai}}
routes:
  - name: every
    to: {target}
"""


def test_bad_routes_file_stops_mitmdump_from_starting_with_file_and_line(new_proxy, make_relay, tmp_path):
    relay = make_relay()
    routes = tmp_path / "bad.yaml"
    routes.write_text(f"""\
upstreams:
  old: {{url: "{relay.url}", protocol: anthropic}}
routes:
  - name: every
    to:
      - old
      - nowhere
""")
    with pytest.raises(RuntimeError) as caught:
        new_proxy(relay.url, routes=str(routes))
    assert (
        f"routes: {routes} line 7: unknown upstream 'nowhere' (declared: old; 'default' is the proxy's reverse target)"
    ) in str(caught.value)
    assert relay.requests == []


def test_routes_file_reload_keeps_the_old_table_on_a_bad_edit_then_takes_a_good_one(new_proxy, make_relay, tmp_path):
    old, new = make_relay(), make_relay()
    routes = tmp_path / "routes.yaml"
    routes.write_text(RELOADED_ROUTES.format(old=old.url, new=new.url, target="old"))
    proxy = new_proxy(old.url, routes=str(routes))
    assert ask_openai(proxy, "claude-sonnet-4-6", "routing hello reload first").choices[0].message.content == ANSWER
    assert old.only("routing hello reload first").path == "/v1/messages"

    routes.write_text(RELOADED_ROUTES.format(old=old.url, new=new.url, target="elsewhere"))
    time.sleep(1.2)  # the file is looked at no more than once a second
    assert ask_openai(proxy, "claude-sonnet-4-6", "routing hello reload second").choices[0].message.content == ANSWER
    assert old.only("routing hello reload second").path == "/v1/messages"
    assert new.find("routing hello reload second") == []
    assert (
        f"routes: {routes} line 6: unknown upstream 'elsewhere' (declared: old, new; 'default' is the proxy's "
        "reverse target); keeping the previous routes"
    ) in proxy.log_text()

    routes.write_text(RELOADED_ROUTES.format(old=old.url, new=new.url, target="new"))
    time.sleep(1.2)
    assert ask_openai(proxy, "claude-sonnet-4-6", "routing hello reload third").choices[0].message.content == ANSWER
    assert new.only("routing hello reload third").path == "/v1/chat/completions"
    assert old.find("routing hello reload third") == []
    assert f"routes: reloaded 2 upstreams, 1 route from {routes}" in proxy.log_text()
    assert proxy.log_text().count("keeping the previous routes") == 1  # logged once per bad version


# 5. Per-upstream keys, header rules and system prompt ---------------------------------------


def test_an_upstream_with_keys_sends_its_own_key_in_its_protocols_header(routed, upstreams):
    completion = ask_openai(routed, "keyed-model", "routing hello keyed upstream")
    assert completion.choices[0].message.content == ANSWER
    sent = upstreams["keyed"].only("routing hello keyed upstream")
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == UPSTREAM_KEY  # read from keys.txt beside the routes file
    assert "authorization" not in sent.headers
    assert CLIENT_KEYS[0] not in json.dumps(sent.headers)

    # An upstream without keys passes the client's key on, in its own protocol's header.
    ask_openai(routed, "claude-sonnet-4-6", "routing hello unkeyed upstream")
    unkeyed = upstreams["relay"].only("routing hello unkeyed upstream")
    assert unkeyed.headers["x-api-key"] == CLIENT_KEYS[0]
    assert "authorization" not in unkeyed.headers


def test_an_upstreams_header_rules_and_system_prompt_stay_with_it(routed, upstreams):
    message = ask_anthropic(routed, "team-model", "routing hello team upstream")
    assert isinstance(message, anthropic.types.Message)
    assert message.content[0].text == ANSWER
    sent = upstreams["team"].only("routing hello team upstream")
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["x-team"] == "a"
    assert sent.headers["authorization"] == f"Bearer {CLIENT_KEYS[1]}"
    assert sent.body["messages"] == [
        {"role": "system", "content": TEAM_PROMPT},  # the system prompt as an OpenAI upstream takes it
        {"role": "user", "content": "routing hello team upstream"},
    ]

    # The other upstreams get neither, whether the request is translated or passed through.
    ask_anthropic(routed, "claude-sonnet-4-6", "routing hello not the team anthropic")
    passed = upstreams["relay"].only("routing hello not the team anthropic")
    assert "x-team" not in passed.headers and "system" not in passed.body
    ask_anthropic(routed, "gpt-4o-mini", "routing hello not the team openai")
    translated = upstreams["openai"].only("routing hello not the team openai")
    assert "x-team" not in translated.headers
    assert [m["role"] for m in translated.body["messages"]] == ["user"]


# 6. /stats and /health per route and upstream -----------------------------------------------


def tally(stats: dict, kind: str, name: str) -> dict:
    """One route's or upstream's counts, zero for one not counted yet."""
    counted = stats["routing"][kind].get(name, {})
    return {
        "count": counted.get("requests", counted.get("attempts", 0)),
        "outcomes": counted.get("by_status", counted.get("by_outcome", {})),
    }


def test_stats_and_health_per_route_and_upstream(routed, upstreams, closed_port):
    before = get_json(routed, "/stats")
    ask_openai(routed, "claude-sonnet-4-6", "routing hello counted")
    with pytest.raises(openai.InternalServerError) as caught:  # nothing listens on `down`'s port
        ask_openai(routed, "down-model", "routing hello down")
    refused = f"[Errno 111] Connect call failed ('{LOOPBACK}', {closed_port})"
    assert caught.value.status_code == 502
    assert caught.value.body["message"] == f"anyrouter: the upstream failed: {refused}"
    after = get_json(routed, "/stats")

    def grew(kind: str, name: str, outcome: str) -> None:
        old, new = tally(before, kind, name), tally(after, kind, name)
        assert new["count"] == old["count"] + 1, (kind, name)
        assert new["outcomes"].get(outcome, 0) == old["outcomes"].get(outcome, 0) + 1, (kind, name)
        assert sum(new["outcomes"].values()) == new["count"]

    grew("routes", "claude", "200")
    grew("routes", "down", "error")
    grew("upstreams", "relay", "200")
    grew("upstreams", "down", refused)
    upstream_stats = after["routing"]["upstreams"]
    assert list(upstream_stats) == ["relay", "openai", "keyed", "team", "down"]  # no `default`: no route names it
    assert upstream_stats["relay"]["healthy"] is True and upstream_stats["relay"]["failures_in_a_row"] == 0
    down = upstream_stats["down"]
    assert list(down["by_outcome"]) == [refused]
    assert down["healthy"] is False and down["resting_s"] > 25  # upstream_cooldown: 30 s
    assert down["last_failure"] == refused

    health = get_json(routed, "/health")
    assert (health["status"], health["upstream_reachable"]) == ("degraded", True)
    assert health["upstreams"] == {
        "relay": {"url": upstreams["relay"].url, "protocol": "anthropic", "reachable": True},
        "openai": {"url": upstreams["openai"].url, "protocol": "openai", "reachable": True},
        "keyed": {"url": upstreams["keyed"].url, "protocol": "anthropic", "reachable": True},
        "team": {"url": upstreams["team"].url, "protocol": "openai", "reachable": True},
        "down": {"url": f"http://{LOOPBACK}:{closed_port}", "protocol": "openai", "reachable": False},
    }


# 7. The saved flow names the route; no key reaches the file ----------------------------------


def read_flows(path: Path) -> list:
    with open(path, "rb") as file:
        return [flow for flow in io.FlowReader(file).stream() if flow.request.path != "/health"]


def test_saved_flow_comment_names_route_and_upstream_and_holds_no_key(routed, upstreams):
    ask_openai(routed, "claude-sonnet-4-6", "routing hello saved flow")
    ask_openai(routed, "keyed-model", "routing hello saved keyed flow")
    # Not streamed: mitmdump wrote each flow (`-w`, flushed per flow) before it answered.
    raw = routed.saved.read_bytes()
    for secret in (*CLIENT_KEYS, UPSTREAM_KEY):
        assert secret.encode() not in raw and secret[3:-4].encode() not in raw, secret

    flows = read_flows(routed.saved)
    [plain] = [f for f in flows if b"routing hello saved flow" in f.request.content]
    assert plain.comment == "openai→anthropic · route claude→relay · claude-sonnet-4-6 · key sk-…0007 · 0 retries · in 0 out 0"
    assert plain.request.headers["x-api-key"] == "sk-…0007"
    assert (plain.request.host, plain.request.port) == (LOOPBACK, upstreams["relay"].port)
    [keyed] = [f for f in flows if b"routing hello saved keyed flow" in f.request.content]
    assert keyed.comment == "openai→anthropic · route keyed→keyed · keyed-model · key sk-…00k1 · 0 retries · in 0 out 0"
    assert keyed.request.headers["x-api-key"] == "sk-…00k1"
    assert (keyed.request.host, keyed.request.port) == (LOOPBACK, upstreams["keyed"].port)
    assert {k: plain.metadata["anyrouter"][k] for k in ("rule", "upstream", "key")} == {
        "rule": "claude", "upstream": "relay", "key": "sk-…0007",
    }
