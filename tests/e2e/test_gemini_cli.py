"""Gemini CLI 0.61.0, a Gemini API client, answered through the proxy by an Anthropic upstream
(aimock's /v1/messages behind the recording relay) and by llama.cpp's OpenAI Chat endpoint."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import PEERS_BIN, clean_env, run_client
from recording_relay import RecordingRelay, message_blocks

API_KEY = "gemini-cli-test-key-0015"
MODEL = "gemini-2.5-flash"
# The aimock fixture (tests/fixtures/aimock/gemini_cli.json) asks Gemini CLI to read this file.
NOTE = Path("/tmp/anyrouter-gemini-e2e/note.txt")
NOTE_TOKEN = "gemini-note-5c1e"


def run_gemini(prompt: str, proxy_url: str, home: Path, cwd: Path, *extra: str, small: bool = False):
    """`gemini -p` with an isolated HOME: API-key auth, no telemetry, no update checks."""
    settings = {
        "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": False}},
        "general": {"disableAutoUpdate": True, "disableUpdateNag": True},
        "privacy": {"usageStatisticsEnabled": False},
        "telemetry": {"enabled": False},
    }
    extra_env = {}
    if small:
        # SmolLM2's 4096-token context: a one-line system prompt and a single tool.
        settings["tools"] = {"core": ["read_file"]}
        system = home / "system.md"
        home.mkdir(parents=True, exist_ok=True)
        system.write_text("You are a helpful assistant. Answer briefly.\n")
        extra_env["GEMINI_SYSTEM_MD"] = str(system)
    (home / ".gemini").mkdir(parents=True, exist_ok=True)
    (home / ".gemini" / "settings.json").write_text(json.dumps(settings))
    env = clean_env(
        HOME=str(home),
        GOOGLE_GEMINI_BASE_URL=proxy_url,
        GEMINI_API_KEY=API_KEY,
        GEMINI_CLI_NO_RELAUNCH="true",
        NO_COLOR="1",
        CI="1",
        **extra_env,
    )
    return run_client([str(PEERS_BIN / "gemini"), "-m", MODEL, "-p", prompt, *extra], env, cwd, timeout=120)


@pytest.fixture(scope="module")
def gemini_to_anthropic_proxy(start_proxy, relay):
    return start_proxy(relay.url, upstream_protocol="anthropic")


@pytest.fixture(scope="module")
def llama_relay(llama) -> Iterator[RecordingRelay]:
    recorder = RecordingRelay(llama.port)
    yield recorder
    recorder.stop()


def test_gemini_cli_answered_by_anthropic_upstream(gemini_to_anthropic_proxy, relay, tmp_path):
    prompt = "gemini cli says the anyrouter greeting"
    result = run_gemini(prompt, gemini_to_anthropic_proxy.url, tmp_path / "home", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Gemini CLI got this through anyrouter."
    turns = relay.find(prompt)
    assert turns
    for turn in turns:
        assert (turn.method, turn.path) == ("POST", "/v1/messages")
        assert turn.headers["x-api-key"] == API_KEY
        assert turn.body["model"] == MODEL
    last = turns[-1].body["messages"][-1]
    assert last["role"] == "user"
    assert prompt in json.dumps(last["content"])


def test_gemini_cli_file_reading_tool_round_trip(gemini_to_anthropic_proxy, relay, tmp_path):
    NOTE.parent.mkdir(exist_ok=True)
    NOTE.write_text(f"{NOTE_TOKEN}: the proxy works\n")
    prompt = "gemini cli reads the anyrouter note"
    result = run_gemini(prompt, gemini_to_anthropic_proxy.url, tmp_path / "home", NOTE.parent, "--yolo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"The note says {NOTE_TOKEN}."

    turns = relay.find(prompt)
    assert all((t.method, t.path, t.headers["x-api-key"]) == ("POST", "/v1/messages", API_KEY) for t in turns)
    first = next(t.body for t in turns if NOTE_TOKEN not in t.raw_body.decode())
    assert first["model"] == MODEL
    read_file = next(tool for tool in first["tools"] if tool["name"] == "read_file")
    assert "file_path" in read_file["input_schema"]["properties"]
    follow_up = next(t.body for t in turns if NOTE_TOKEN in t.raw_body.decode())
    assert follow_up["model"] == MODEL
    calls = message_blocks(follow_up, "assistant", "tool_use")
    assert [(c["name"], c["input"]) for c in calls] == [("read_file", {"file_path": str(NOTE)})]
    results = message_blocks(follow_up, "user", "tool_result")
    assert [r["tool_use_id"] for r in results] == [calls[0]["id"]]
    assert NOTE_TOKEN in json.dumps(results[0]["content"])


def test_gemini_cli_answered_by_llama_cpp(start_proxy, llama_relay, tmp_path):
    proxy = start_proxy(llama_relay.url, upstream_protocol="openai")
    prompt = "Say hello in one short sentence."
    result = run_gemini(prompt, proxy.url, tmp_path / "home", tmp_path, small=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    turns = llama_relay.find(prompt)
    assert turns
    for turn in turns:
        assert (turn.method, turn.path) == ("POST", "/v1/chat/completions")
        assert turn.body["model"] == MODEL and turn.body["stream"] is True
    body = turns[-1].body
    assert body["messages"][0]["role"] == "system"
    assert body["messages"][0]["content"].startswith("You are a helpful assistant. Answer briefly.")
    assert [tool["function"]["name"] for tool in body["tools"]] == ["read_file"]
    assert body["messages"][-1]["role"] == "user" and prompt in json.dumps(body["messages"][-1]["content"])
