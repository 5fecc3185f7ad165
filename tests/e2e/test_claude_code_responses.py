"""Claude Code, an Anthropic client, through the proxy to a Responses upstream (aimock's
/v1/responses behind the recording relay): a real `Read` tool round trip."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from harness import run_claude

# The aimock fixture (tests/fixtures/aimock/claude_code_responses.json) asks for this path.
WORKDIR = Path("/tmp/anyrouter-claude-responses-e2e")
NOTE = WORKDIR / "note.txt"
NOTE_TEXT = "note-content-9e2b: the Responses upstream works\n"
PROMPT = "r2 claude code reads the note"


def test_claude_code_read_tool_round_trip_on_a_responses_upstream(start_proxy, relay, tmp_path):
    proxy = start_proxy(relay.url, upstream_protocol="responses")
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir()
    NOTE.write_text(NOTE_TEXT)
    before = len(relay.requests)
    result = run_claude(["-p", PROMPT], proxy_url=proxy.url, home=tmp_path, cwd=WORKDIR)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert result.stdout.strip() == "The note says the Responses upstream works."

    turns = relay.requests[before:]
    assert [(t.method, t.path) for t in turns] == [("POST", "/v1/responses")] * 2
    first, follow_up = (t.body for t in turns)
    for turn in turns:
        assert turn.headers["authorization"] == "Bearer sk-ant-claude-code-a2o-0001"
        assert not {"x-api-key", "anthropic-version", "anthropic-beta"} & turn.headers.keys()
    assert first["stream"] is True and first["store"] is False
    assert first["model"].startswith("claude-") and isinstance(first["instructions"], str)
    [read_tool] = [t for t in first["tools"] if t["type"] == "function" and t["name"] == "Read"]
    assert read_tool["parameters"]["required"] == ["file_path"]
    calls = [item for item in follow_up["input"] if item["type"] == "function_call"]
    assert [(c["call_id"], c["name"], json.loads(c["arguments"])) for c in calls] == [
        ("call_r2_claude_read", "Read", {"file_path": str(NOTE)})
    ]
    [output] = [item for item in follow_up["input"] if item["type"] == "function_call_output"]
    assert output["call_id"] == "call_r2_claude_read"
    assert NOTE_TEXT.strip() in json.dumps(output["output"])
