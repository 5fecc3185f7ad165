"""Every request codec round-trips its own protocol: decode → encode loses no field.

The corpus: every request recorded on either side of the proxy (tests/recordings), the Claude
Code request (tests/data), and hand-made requests using what the recordings do not (thinking
with its signature, redacted thinking, cache marks, tool errors, images, documents, server
tools, OpenAI's developer role, message names, image detail, unknown parameters).

Two shapes count as the same, because each protocol defines them as the same: an Anthropic
string `content` or `system` and a list holding one text block with that text; an OpenAI
text-only content list and the string of its texts joined by blank lines (which is what the
encoder sends, as every compatible server accepts strings).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anyrouter_core.codecs.base import EncodeOptions
from anyrouter_core.protocols import ANTHROPIC, OPENAI, protocol_named
from recordings.flows import read_flows

ROOT = Path(__file__).resolve().parents[2]
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
PDF = "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK"

ANTHROPIC_BY_HAND = {
    "model": "claude-opus-4-6",
    "max_tokens": 4096,
    "system": [{"type": "text", "text": "Be exact.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
    "messages": [
        {"role": "user", "content": [
            {"type": "text", "text": "Read it", "cache_control": {"type": "ephemeral"}},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
             "title": "spec.pdf", "context": "the spec", "citations": {"enabled": True}},
        ]},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "I should read it.", "signature": "EqQBCkYIBxgCKkD"},
            {"type": "redacted_thinking", "data": "EmwKAhgBEgy"},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
            {"type": "tool_use", "id": "toolu_01", "name": "Read", "input": {"path": "/a"},
             "cache_control": {"type": "ephemeral"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01", "is_error": True,
             "content": [{"type": "text", "text": "no such file"},
                         {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}]},
        ]},
        {"role": "system", "content": [], "output_config": {"effort": "low"}},
    ],
    "tools": [
        {"name": "Read", "description": "Reads a file", "input_schema": {"type": "object"}, "strict": True,
         "cache_control": {"type": "ephemeral"}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
    ],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    "thinking": {"type": "adaptive"},
    "output_config": {"effort": "high", "task_budget": {"type": "tokens", "total": 1000}},
    "metadata": {"user_id": "u-1"},
    "stop_sequences": ["END"],
    "top_k": 5,
    "stream": True,
    "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
    "service_tier": "auto",
}

OPENAI_BY_HAND = {
    "model": "gpt-4o",
    "messages": [
        {"role": "developer", "content": "Be exact."},
        {"role": "system", "content": "Answer in English."},
        {"role": "user", "name": "ann", "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "high"}},
            {"type": "file", "file": {"filename": "spec.pdf", "file_data": f"data:application/pdf;base64,{PDF}"}},
        ]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\": \"x\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\": \"y\"}"}},
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": "one"},
        {"role": "tool", "tool_call_id": "call_2", "content": "two"},
        {"role": "assistant", "content": "Done."},
    ],
    "tools": [{"type": "function", "function": {"name": "lookup", "description": "Looks up",
                                               "parameters": {"type": "object"}, "strict": True}}],
    "tool_choice": "required",
    "parallel_tool_calls": True,
    "max_completion_tokens": 512,
    "reasoning_effort": "low",
    "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"},
                                                                "strict": True}},
    "stop": ["END"],
    "temperature": 0.3,
    "top_p": 0.9,
    "user": "u-1",
    "stream": True,
    "stream_options": {"include_usage": True},
    "seed": 7,
    "frequency_penalty": 0.5,
}


def protocol_of_path(path: str) -> str:
    return ANTHROPIC if path.startswith("/v1/messages") else OPENAI


def corpus() -> list:
    cases = []
    for recording in sorted((ROOT / "tests" / "recordings").glob("*/*.mitm")):
        for position, flow in enumerate(read_flows(recording)):
            name = f"{recording.parent.name}/{recording.stem}/{position}"
            cases.append(pytest.param(protocol_of_path(flow.request.path), json.loads(flow.request.content), id=name))
    claude_code = json.loads((ROOT / "tests" / "data" / "claude_code_request.json").read_text())
    cases.append(pytest.param(ANTHROPIC, claude_code, id="claude_code_request"))
    cases.append(pytest.param(ANTHROPIC, ANTHROPIC_BY_HAND, id="anthropic_by_hand"))
    cases.append(pytest.param(OPENAI, OPENAI_BY_HAND, id="openai_by_hand"))
    return cases


def same_shape(protocol: str, value: object) -> object:
    """`value` with each shape written the one way its protocol defines as equivalent."""
    if isinstance(value, list):
        return [same_shape(protocol, item) for item in value]
    if not isinstance(value, dict):
        return value
    value = {key: same_shape(protocol, item) for key, item in value.items()}
    content = value.get("content")
    if protocol == ANTHROPIC:
        if isinstance(content, str) and ("role" in value or value.get("type") == "tool_result"):
            value["content"] = [{"type": "text", "text": content}]
        if isinstance(value.get("system"), str):
            value["system"] = [{"type": "text", "text": value["system"]}]
    elif "role" in value and isinstance(content, list) and all(part.get("type") == "text" for part in content):
        value["content"] = "\n\n".join(part["text"] for part in content if part["text"])
    return value


@pytest.mark.parametrize(("protocol", "body"), corpus())
def test_decoding_then_encoding_in_the_same_protocol_loses_no_field(protocol, body):
    codec = protocol_named(protocol).codec
    encoded = codec.encode_request(codec.decode_request(body), EncodeOptions())
    assert same_shape(protocol, encoded.body) == same_shape(protocol, body)
    assert encoded.dropped == []


def test_the_corpus_holds_both_protocols_and_every_recording():
    protocols = [case.values[0] for case in corpus()]
    assert protocols.count(ANTHROPIC) >= 10 and protocols.count(OPENAI) >= 10
