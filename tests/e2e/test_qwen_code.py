"""Qwen Code, an OpenAI client, completes a real tool round trip through the proxy against an
Anthropic upstream (aimock's /v1/messages behind the recording relay)."""

from pathlib import Path

from harness import PEERS_BIN, clean_env, run_client
from recording_relay import message_blocks

# The aimock fixture (tests/fixtures/aimock/qwen_code.json) asks Qwen to read this file.
NOTE = Path("/tmp/anyrouter-qwen-e2e/note.txt")


def test_qwen_code_tool_round_trip(openai_to_anthropic_proxy, relay, tmp_path):
    NOTE.parent.mkdir(exist_ok=True)
    NOTE.write_text("note-content-7f3a: the proxy works\n")
    env = clean_env(
        HOME=str(tmp_path),
        OPENAI_BASE_URL=openai_to_anthropic_proxy.url + "/v1",
        OPENAI_API_KEY="sk-qwen-client-key-0007",
        OPENAI_MODEL="claude-sonnet-4-6",
    )
    result = run_client([str(PEERS_BIN / "qwen"), "-p", "qwen reads the anyrouter note", "--auth-type", "openai"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "The note says the proxy works."

    turns = relay.find("qwen reads the anyrouter note")
    assert all(turn.path == "/v1/messages" for turn in turns)
    follow_up = next(turn.body for turn in turns if "note-content-7f3a" in turn.raw_body.decode())
    calls = message_blocks(follow_up, "assistant", "tool_use")
    assert calls == [
        {"type": "tool_use", "id": "toolu_qwen_read", "name": "read_file",
         "input": {"file_path": str(NOTE)}}
    ]
    results = message_blocks(follow_up, "user", "tool_result")
    assert [r["tool_use_id"] for r in results] == ["toolu_qwen_read"]
    assert "note-content-7f3a" in str(results[0]["content"])
