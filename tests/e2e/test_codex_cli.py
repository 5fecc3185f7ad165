"""Codex CLI, a Responses client, through the proxy: a shell-tool round trip against aimock's
Anthropic endpoint (behind the recording relay), and a plain answer from a real model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import PEERS_BIN, clean_env, run_client
from recording_relay import RecordingRelay, message_blocks

NOTE_TEXT = "note-content-c0d3: the proxy works"


PROVIDER = """[model_providers.anyrouter]
name = "anyrouter"
base_url = "{url}/v1"
env_key = "ANYROUTER_API_KEY"
wire_api = "responses"
supports_websockets = false
request_max_retries = 0
stream_max_retries = 0
"""
# For a model with a 4096-token window (SmolLM2 here): with Codex's own instructions replaced
# by a short file and the tools it can do without turned off, a request fits.
SMALL_MODEL_FEATURES = """[features]
multi_agent = false
goals = false
"""
SHORT_INSTRUCTIONS = "You are a helpful assistant. Answer in one short sentence."


def codex_home(tmp_path: Path, proxy_url: str, model: str = "claude-sonnet-4-6", small: bool = False) -> Path:
    """A CODEX_HOME with the README's custom provider pointed at the proxy. Web search is off:
    it is a built-in tool no upstream here offers."""
    home = tmp_path / "codex-home"
    home.mkdir()
    top = [f'model = "{model}"', 'model_provider = "anyrouter"', 'web_search = "disabled"']
    sections = [PROVIDER.format(url=proxy_url)]
    if small:
        instructions = tmp_path / "instructions.md"
        instructions.write_text(SHORT_INSTRUCTIONS + "\n")
        top.append(f'model_instructions_file = "{instructions}"')
        sections.append(SMALL_MODEL_FEATURES)
    (home / "config.toml").write_text("\n".join(top) + "\n\n" + "\n".join(sections))
    return home


def run_codex(prompt: str, proxy_url: str, tmp_path: Path, **settings):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "note.txt").write_text(NOTE_TEXT + "\n")
    home = codex_home(tmp_path, proxy_url, **settings)
    env = clean_env(HOME=str(tmp_path), CODEX_HOME=str(home), ANYROUTER_API_KEY="sk-codex-client-key-0009")
    return run_client([str(PEERS_BIN / "codex"), "exec", "--skip-git-repo-check", prompt], env, work)


def test_codex_runs_a_shell_command_through_an_anthropic_upstream(openai_to_anthropic_proxy, relay, tmp_path):
    result = run_codex("codex reads the anyrouter note", openai_to_anthropic_proxy.url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "The note says the proxy works."

    first, follow_up = relay.find("codex reads the anyrouter note")
    assert (first.path, follow_up.path) == ("/v1/messages", "/v1/messages")
    assert first.body["stream"] is True
    assert "exec_command" in [tool["name"] for tool in first.body["tools"]]
    calls = message_blocks(follow_up.body, "assistant", "tool_use")
    assert calls == [{"type": "tool_use", "id": "call_codex_note", "name": "exec_command",
                      "input": {"cmd": "cat note.txt"}}]
    results = message_blocks(follow_up.body, "user", "tool_result")
    assert [r["tool_use_id"] for r in results] == ["call_codex_note"]
    assert NOTE_TEXT in str(results[0]["content"])


@pytest.fixture(scope="module")
def llama_relay(llama) -> Iterator[RecordingRelay]:
    recorder = RecordingRelay(llama.port)
    yield recorder
    recorder.stop()


def test_codex_gets_a_real_answer_from_llama_cpp_chat_completions(start_proxy, llama_relay, tmp_path):
    proxy = start_proxy(llama_relay.url, upstream_protocol="openai")
    prompt = "Say hello in one short sentence."
    result = run_codex(prompt, proxy.url, tmp_path, model="smollm2", small=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    [turn] = llama_relay.find(prompt)
    assert (turn.method, turn.path) == ("POST", "/v1/chat/completions")
    body = turn.body
    assert body["model"] == "smollm2" and body["stream"] is True
    assert body["messages"][0] == {"role": "system", "content": SHORT_INSTRUCTIONS}
    # Codex's environment note and the prompt, two user messages in a row, arrive as one.
    assert body["messages"][-1]["role"] == "user" and body["messages"][-1]["content"].endswith("\n\n" + prompt)
    assert "exec_command" in [tool["function"]["name"] for tool in body["tools"]]
