"""Large, realistic request bodies for benchmarks and tests, built deterministically."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"


def _tool(i: int) -> dict:
    return {
        "type": "function",
        "function": {
            "name": f"tool_{i:02d}",
            "description": f"Tool number {i}: " + "does a careful, well described thing. " * 12,
            "parameters": {
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "An absolute path " * 4},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "mode": {"type": "string", "enum": ["fast", "careful", "exhaustive"]},
                },
                "required": ["path"],
            },
        },
    }


def openai_agent_request(target_bytes: int = 80_000) -> dict:
    """An OpenAI Chat Completions body of about `target_bytes`: 20 tools and a long history
    of tool calls, tool results and text turns, as agent clients send."""
    body: dict = {
        "model": "claude-sonnet-4-6",
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_completion_tokens": 4096,
        "temperature": 0.3,
        "tools": [_tool(i) for i in range(20)],
        "messages": [
            {"role": "system", "content": "You are a careful coding agent. " * 40},
            {"role": "user", "content": "Please look at the repository and fix the failing test."},
        ],
    }
    turn = 0
    while len(json.dumps(body)) < target_bytes:
        call_id = f"call_{turn:04d}"
        body["messages"] += [
            {
                "role": "assistant",
                "content": f"Step {turn}: reading the next file.",
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": f"tool_{turn % 20:02d}", "arguments": json.dumps({"path": f"/src/module_{turn}.py", "limit": 200})},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call_id, "content": f"# module {turn}\n" + "def f(x):\n    return x * 2\n" * 25},
            {"role": "user", "content": [{"type": "text", "text": f"Go on with step {turn + 1}."}]},
        ]
        turn += 1
    return body


def claude_code_request() -> dict:
    """A Claude-Code-shaped Anthropic Messages body (tools, thinking, cache_control …)."""
    return json.loads((DATA / "claude_code_request.json").read_text())
