"""Custom tools (free-form text input, OpenAI Responses' `custom` tools such as Codex's
`apply_patch`) for protocols whose tools take only a JSON object.

Such a tool becomes a function with one required string parameter, `input`; the format its
input must follow (a Lark or regex grammar, or plain text) is told to the model in the
description, since no JSON Schema can say it. A call of that function comes back as a call of
the custom tool: its `input` is the text (see `neutral.ToolCall`).
"""

from __future__ import annotations

import json

from ..neutral import Tool

INPUT = "input"
INPUT_SCHEMA = {
    "type": "object",
    "properties": {INPUT: {"type": "string", "description": "The tool's input, as free-form text."}},
    "required": [INPUT],
    "additionalProperties": False,
}


def custom_tool_description(tool: Tool) -> str:
    """The tool's description, followed by what its input must be."""
    parts = [tool.description or ""]
    format_ = tool.format or {}
    if format_.get("type") == "grammar":
        syntax = format_.get("syntax", "")
        definition = format_.get("definition", "")
        parts.append(f"The `{INPUT}` parameter must follow this {syntax} grammar:\n{definition}")
    elif format_ and format_.get("type") != "text":
        parts.append(f"The `{INPUT}` parameter must follow this format: {json.dumps(format_, ensure_ascii=False)}")
    return "\n\n".join(part for part in parts if part)
