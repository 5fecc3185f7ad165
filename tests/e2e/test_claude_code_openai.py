"""Claude Code, an Anthropic client, through the proxy to OpenAI-compatible upstreams: a real
`Read` tool round trip against aimock's /v1/chat/completions (behind the recording relay),
and a real answer from llama.cpp + SmolLM2."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import run_claude
from recording_relay import RecordingRelay

# The aimock fixture (tests/fixtures/aimock/anthropic_clients.json) asks for this exact path.
WORKDIR = Path("/tmp/anyrouter-claude-e2e")
NOTE = WORKDIR / "note.txt"
NOTE_TEXT = "note-content-5c1e: the OpenAI upstream works\n"
PROMPT = "a2o claude code reads the note"
OPENAI_PATH = "/v1/chat/completions"


def test_claude_code_read_tool_round_trip(anthropic_to_openai_proxy, relay, tmp_path):
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir()
    NOTE.write_text(NOTE_TEXT)
    before = len(relay.requests)
    result = run_claude(["-p", PROMPT], proxy_url=anthropic_to_openai_proxy.url, home=tmp_path, cwd=WORKDIR)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert result.stdout.strip() == "The note says the OpenAI upstream works."

    # Every request Claude Code made went to the OpenAI endpoint, translated.
    turns = relay.requests[before:]
    assert [(t.method, t.path) for t in turns] == [("POST", OPENAI_PATH)] * 2
    first, follow_up = (t.body for t in turns)
    for turn in turns:
        assert turn.headers["authorization"] == "Bearer sk-ant-claude-code-a2o-0001"
        assert not {"x-api-key", "anthropic-version", "anthropic-beta"} & turn.headers.keys()
    assert first["stream"] is True and first["stream_options"] == {"include_usage": True}
    assert first["model"] == follow_up["model"] and first["model"].startswith("claude-")
    assert first["messages"][0]["role"] == "system"
    assert isinstance(first["messages"][0]["content"], str)
    assert PROMPT in json.dumps(first["messages"])
    # Anthropic-only fields stay behind; metadata.user_id (a JSON string) becomes `user`.
    assert not {"thinking", "output_config", "context_management", "metadata", "system"} & first.keys()
    assert "session_id" in json.loads(first["user"])
    # Claude Code's own tool definitions arrive as OpenAI functions; the fixture's call is valid.
    [read_tool] = [t["function"] for t in first["tools"] if t["function"]["name"] == "Read"]
    assert read_tool["parameters"]["required"] == ["file_path"]
    assert all(t["type"] == "function" for t in first["tools"])

    # The follow-up carries the call as assistant tool_calls, then the result as a tool message.
    assert follow_up["messages"][: len(first["messages"])] == first["messages"]
    assistant, tool = follow_up["messages"][len(first["messages"]):]
    assert assistant["role"] == "assistant" and not assistant.get("content")
    [call] = assistant["tool_calls"]
    assert (call["id"], call["type"], call["function"]["name"]) == ("call_a2o_claude_read", "function", "Read")
    assert json.loads(call["function"]["arguments"]) == {"file_path": str(NOTE)}
    assert (tool["role"], tool["tool_call_id"]) == ("tool", "call_a2o_claude_read")
    assert NOTE_TEXT.strip() in tool["content"]
    assert all(m.get("content") or m.get("tool_calls") for m in follow_up["messages"]), "an empty message was sent"


@pytest.fixture(scope="module")
def llama_relay(llama) -> Iterator[RecordingRelay]:
    """llama.cpp answers both protocols: record which endpoint it was asked on."""
    recorder = RecordingRelay(llama.port)
    yield recorder
    recorder.stop()


def test_claude_code_gets_a_real_answer_from_llama_cpp(start_proxy, llama_relay, tmp_path):
    proxy = start_proxy(llama_relay.url, upstream_protocol="openai")
    prompt = "Say hello in one short sentence."
    # The prompt goes before `--tools ""`, which would otherwise take it as a tool name.
    result = run_claude(
        ["-p", prompt, "--bare", "--tools", "", "--output-format", "json"],
        proxy_url=proxy.url, home=tmp_path, cwd=tmp_path,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    outcome = json.loads(result.stdout)
    assert (outcome["type"], outcome["subtype"], outcome["is_error"]) == ("result", "success", False)
    assert outcome["result"].strip()
    assert outcome["stop_reason"] in ("end_turn", "max_tokens")
    assert outcome["num_turns"] == 1
    # The usage Claude Code counted is llama.cpp's own, carried through the translated stream.
    assert outcome["usage"]["input_tokens"] > 0 and outcome["usage"]["output_tokens"] > 0

    [turn] = llama_relay.find(prompt)
    assert (turn.method, turn.path) == ("POST", OPENAI_PATH)
    body = turn.body
    # `--tools ""` sends no tools; the empty system message that `--bare` appends (it only
    # carries `output_config`) is not sent either.
    assert "tools" not in body and "tool_choice" not in body
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][1] == {"role": "user", "content": prompt}
    assert body["stream"] is True
