"""Codex CLI, a Responses client, through the proxy: a shell-tool round trip against aimock's
Anthropic endpoint (behind the recording relay), and a plain answer from a real model."""

from __future__ import annotations

from pathlib import Path

from harness import PEERS_BIN, clean_env, run_client

NOTE_TEXT = "note-content-c0d3: the proxy works"


def codex_home(tmp_path: Path, proxy_url: str) -> Path:
    """A CODEX_HOME with the README's custom provider pointed at the proxy. Web search is off:
    it is a built-in tool no upstream here offers."""
    home = tmp_path / "codex-home"
    home.mkdir()
    (home / "config.toml").write_text(
        'model = "claude-sonnet-4-6"\n'
        'model_provider = "anyrouter"\n'
        'web_search = "disabled"\n\n'
        "[model_providers.anyrouter]\n"
        'name = "anyrouter"\n'
        f'base_url = "{proxy_url}/v1"\n'
        'env_key = "ANYROUTER_API_KEY"\n'
        'wire_api = "responses"\n'
        "supports_websockets = false\n"
        "request_max_retries = 0\n"
        "stream_max_retries = 0\n"
    )
    return home


def run_codex(prompt: str, proxy_url: str, tmp_path: Path):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "note.txt").write_text(NOTE_TEXT + "\n")
    home = codex_home(tmp_path, proxy_url)
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
    calls = [block for message in follow_up.body["messages"] if message["role"] == "assistant"
             for block in message["content"] if block["type"] == "tool_use"]
    assert calls == [{"type": "tool_use", "id": "call_codex_note", "name": "exec_command",
                      "input": {"cmd": "cat note.txt"}}]
    results = [block for message in follow_up.body["messages"] if message["role"] == "user"
               for block in message["content"] if block["type"] == "tool_result"]
    assert [r["tool_use_id"] for r in results] == ["call_codex_note"]
    assert NOTE_TEXT in str(results[0]["content"])
