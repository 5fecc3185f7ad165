"""Responses requests: decoded into the neutral model with every rule of `request_decode`,
re-encoded for a Responses upstream without losing a field, translated to Anthropic and Chat
Completions upstreams and back, and refused with a message that says what to send instead."""

from __future__ import annotations

import copy

import pytest

from anyrouter_core.codecs.base import EncodeOptions
from anyrouter_core.codecs.responses.request_decode import decode_request
from anyrouter_core.codecs.responses.request_encode import encode_request
from anyrouter_core.errors import RequestRejected
from anyrouter_core.neutral import CUSTOM_TOOL, Namespace, RedactedThinking, Text, Thinking, ToolCall, ToolResult
from anyrouter_core.translation import translate_request
from responses_checks import assert_valid_request
from unit.checks_openai_to_anthropic import assert_valid_anthropic_request

OPTIONS = EncodeOptions(default_max_tokens=8192)
APPLY_PATCH_FORMAT = {"type": "grammar", "syntax": "lark", "definition": "start: begin_patch hunk+ end_patch"}


def codex_request() -> dict:
    """A request shaped like Codex CLI's second turn: instructions, a developer message, the
    user's task, the model's signed reasoning and two parallel calls, their outputs, then a
    custom tool (apply_patch) round trip."""
    return {
        "model": "gpt-5-codex",
        "instructions": "You are Codex.",
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "sandbox: read-only"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list the files"}]},
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "I should run ls."}], "encrypted_content": "SIG-1"},
            {"type": "function_call", "name": "shell", "arguments": "{\"command\":[\"ls\"]}", "call_id": "call_1"},
            {"type": "function_call", "name": "shell", "arguments": "{\"command\":[\"pwd\"]}", "call_id": "call_2"},
            {"type": "function_call_output", "call_id": "call_1", "output": "a.txt"},
            {"type": "function_call_output", "call_id": "call_2", "output": "/tmp"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Patching."}]},
            {"type": "custom_tool_call", "name": "apply_patch", "input": "*** Begin Patch\n*** End Patch", "call_id": "call_3"},
            {"type": "custom_tool_call_output", "call_id": "call_3", "output": "Done"},
        ],
        "tools": [
            {"type": "function", "name": "shell", "description": "Runs a command.", "strict": False,
             "parameters": {"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}},
                            "required": ["command"]}},
            {"type": "custom", "name": "apply_patch", "description": "Edits files.", "format": APPLY_PATCH_FORMAT},
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "store": False,
        "stream": True,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "session-123",
        "text": {"verbosity": "low"},
    }


def rejection(body: dict) -> str:
    with pytest.raises(RequestRejected) as caught:
        decode_request(body)
    assert caught.value.error.status == 400
    return caught.value.error.message


# ---------------------------------------------------------------- decoding


def test_a_codex_request_decodes_into_turns_merged_by_role_in_order():
    request = decode_request(codex_request())
    assert [block.text for block in request.system] == ["You are Codex."]
    assert [(turn.role, turn.path) for turn in request.turns] == [
        ("system", "input[0]"), ("user", "input[1]"), ("assistant", "input[2]"), ("user", "input[5]"),
        ("assistant", "input[7]"), ("user", "input[9]"),
    ]
    assert request.turns[0].extra == {"role": "developer"}
    thinking, first, second = request.turns[2].blocks
    assert thinking == Thinking("I should run ls.", "SIG-1", "input[2]")
    assert (first.id, first.name, first.arguments) == ("call_1", "shell", {"command": ["ls"]})
    assert second.arguments == {"command": ["pwd"]}
    assert [(result.call_id, result.content[0].text) for result in request.turns[3].blocks] == [
        ("call_1", "a.txt"), ("call_2", "/tmp"),
    ]
    text, patch = request.turns[4].blocks
    assert text.text == "Patching."
    assert patch == ToolCall("call_3", "apply_patch", {"input": "*** Begin Patch\n*** End Patch"}, path="input[8]", custom=True)
    assert isinstance(request.turns[5].blocks[0], ToolResult)


def test_a_codex_request_keeps_its_parameters():
    request = decode_request(codex_request())
    assert [(tool.name, tool.kind) for tool in request.tools] == [("shell", "function"), ("apply_patch", CUSTOM_TOOL)]
    assert request.tools[1].format == APPLY_PATCH_FORMAT
    assert request.tools[0].strict is False
    assert (request.tool_choice.mode, request.parallel_tool_calls) == ("auto", True)
    assert (request.reasoning.effort, request.reasoning.summary) == ("medium", "auto")
    assert request.cache_key == "session-123"
    assert request.stream is True
    assert request.extra == {"store": False, "include": ["reasoning.encrypted_content"], "text.verbosity": "low"}


def test_input_as_a_string_is_one_user_turn():
    request = decode_request({"model": "m", "input": "hi"})
    assert [(turn.role, turn.blocks) for turn in request.turns] == [("user", [Text("hi", path="input")])]


def test_content_parts_of_every_kind():
    body = {"model": "m", "input": [{"role": "user", "content": [
        {"type": "input_text", "text": "look"},
        {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo=", "detail": "high"},
        {"type": "input_image", "image_url": "https://example.com/a.png"},
        {"type": "input_file", "filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0x"},
    ]}]}
    text, inline, linked, pdf = decode_request(body).turns[0].blocks
    assert text.text == "look"
    assert (inline.source, inline.media_type, inline.data, inline.detail) == ("base64", "image/png", "iVBORw0KGgo=", "high")
    assert (linked.source, linked.url) == ("url", "https://example.com/a.png")
    assert (pdf.source, pdf.media_type, pdf.data, pdf.title) == ("base64", "application/pdf", "JVBERi0x", "a.pdf")


def test_reasoning_items_plain_text_and_redacted_thinking():
    body = {"model": "m", "input": [
        {"role": "user", "content": "q"},
        {"type": "reasoning", "summary": [], "content": [{"type": "reasoning_text", "text": "raw"}]},
        {"type": "reasoning", "summary": [], "encrypted_content": "anyrouter-redacted-thinking:DATA"},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "a"}, {"type": "summary_text", "text": "b"}]},
    ]}
    raw, redacted, summary = decode_request(body).turns[1].blocks
    assert (raw.text, raw.raw_text, raw.signature) == ("raw", True, None)
    assert redacted == RedactedThinking("DATA", "input[2]")
    assert (summary.text, summary.raw_text) == ("a\n\nb", False)


def test_namespaced_tools_know_their_namespace_and_tool_choice_may_name_a_custom_tool():
    body = {"model": "m", "input": "x", "tool_choice": {"type": "custom", "name": "apply_patch"}, "tools": [
        {"type": "namespace", "name": "mcp__files", "description": "Files.", "tools": [
            {"type": "function", "name": "read", "parameters": {"type": "object"}}]},
        {"type": "custom", "name": "apply_patch"},
    ]}
    request = decode_request(body)
    assert request.tools[0].namespace == Namespace("mcp__files", "Files.")
    assert (request.tool_choice.mode, request.tool_choice.name) == ("tool", "apply_patch")


def test_developer_and_system_messages_and_identity_fields():
    body = {"model": "m", "input": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
            "user": "u-1", "safety_identifier": "s-1", "metadata": {"k": "v"}, "max_output_tokens": 100,
            "temperature": 0.5, "top_p": 0.9, "text": {"format": {"type": "json_schema", "name": "n", "schema": {"type": "object"}, "strict": True}}}
    request = decode_request(body)
    assert (request.turns[0].role, request.turns[0].extra) == ("system", {"role": "system"})
    assert (request.user, request.metadata, request.max_tokens) == ("u-1", {"k": "v"}, 100)
    assert (request.temperature, request.top_p) == (0.5, 0.9)
    assert (request.response_format.kind, request.response_format.name, request.response_format.strict) == ("json_schema", "n", True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"previous_response_id": "resp_1"}, "previous_response_id: is not supported: the proxy stores nothing; send the whole conversation in input (with store: false)"),
        ({"conversation": "conv_1"}, "conversation: is not supported: the proxy stores nothing; send the whole conversation in input (with store: false)"),
        ({"background": True}, "background: background responses are not supported: the proxy stores nothing; send the request without background and wait for its answer (or stream it)"),
        ({"tools": [{"type": "web_search"}]}, "tools[0].type: the built-in tool 'web_search' is not available through this proxy; declare a function or custom tool that your client runs itself (Codex CLI: set web_search = \"disabled\" in ~/.codex/config.toml)"),
        ({"tools": [{"type": "code_interpreter", "container": {"type": "auto"}}]}, "tools[0].type: the built-in tool 'code_interpreter' is not available through this proxy; declare a function or custom tool that your client runs itself"),
        ({"input": [{"type": "compaction", "encrypted_content": "x"}]}, "input[0].type: compaction items hold OpenAI's encrypted summary of earlier turns, which this upstream cannot read; compact the conversation locally (Codex does so for custom providers) and send the summary as a message"),
        ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].type: item references are not supported: the proxy stores nothing; send the whole conversation in input (with store: false)"),
        ({"input": [{"type": "web_search_call", "id": "ws_1"}]}, "input[0].type: unknown or unsupported input item type 'web_search_call' (message, function_call, function_call_output, custom_tool_call, custom_tool_call_output or reasoning)"),
        ({"input": [{"type": "function_call_output", "call_id": "c", "output": "x"}]}, "input[0].call_id: 'c' answers no call that comes before it"),
        ({"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}, {"role": "user", "content": "next"}]}, "input[0].call_id: the call 'c' has no output before the conversation goes on; send its function_call_output (or custom_tool_call_output) right after it"),
        ({"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "[1]"}]}, "input[0].arguments: must be a JSON object"),
        ({"input": [{"role": "user", "content": [{"type": "output_text", "text": "x"}]}]}, "input[0].content[0].type: content part type 'output_text' is not allowed here (input_text, input_image or input_file)"),
        ({"input": [{"role": "tool", "content": "x"}]}, "input[0].role: unknown role 'tool' (user, assistant, system or developer)"),
        ({"reasoning": {"effort": "extreme"}}, "reasoning.effort: must be one of none, minimal, low, medium, high, xhigh"),
        ({"max_output_tokens": 0}, "max_output_tokens: must be a positive integer"),
        ({"model": ""}, "model: must be a non-empty string"),
        ({"input": []}, "input: must be a string or a non-empty list of items"),
    ],
)
def test_what_cannot_be_served_is_refused_saying_what_to_send(change, message):
    assert rejection({"model": "m", "input": "hi", **change}) == message


# ---------------------------------------------------------------- round trip


def test_a_codex_request_goes_to_a_responses_upstream_unchanged():
    original = codex_request()
    encoded = encode_request(decode_request(copy.deepcopy(original)), OPTIONS)
    assert encoded.dropped == []
    assert encoded.body == original


# ---------------------------------------------------------------- translation


def test_a_codex_request_translated_for_anthropic():
    encoded = translate_request("responses", "anthropic", codex_request(), OPTIONS)
    body = encoded.body
    assert_valid_anthropic_request(body)
    assert body["system"] == [{"type": "text", "text": "You are Codex."}, {"type": "text", "text": "sandbox: read-only"}]
    assert [message["role"] for message in body["messages"]] == ["user", "assistant", "user", "assistant", "user"]
    thinking, call_1, call_2 = body["messages"][1]["content"]
    assert thinking == {"type": "thinking", "thinking": "I should run ls.", "signature": "SIG-1"}
    assert call_1 == {"type": "tool_use", "id": "call_1", "name": "shell", "input": {"command": ["ls"]}}
    assert [block["tool_use_id"] for block in body["messages"][2]["content"]] == ["call_1", "call_2"]
    assert body["messages"][3]["content"][1] == {"type": "tool_use", "id": "call_3", "name": "apply_patch",
                                                 "input": {"input": "*** Begin Patch\n*** End Patch"}}
    patch_tool = body["tools"][1]
    assert patch_tool["input_schema"]["required"] == ["input"]
    assert patch_tool["description"] == "Edits files.\n\nThe `input` parameter must follow this lark grammar:\nstart: begin_patch hunk+ end_patch"
    # The latest assistant turn called a tool without signed thinking first: Anthropic would
    # refuse thinking now, so the effort is named as dropped.
    assert "thinking" not in body
    assert encoded.dropped == ["text.verbosity", "store", "include", "prompt_cache_key", "reasoning"]


def test_signed_reasoning_before_the_latest_calls_lets_anthropic_think():
    body = codex_request()
    body["input"] = body["input"][:7]
    encoded = translate_request("responses", "anthropic", body, OPTIONS)
    assert encoded.body["thinking"] == {"type": "enabled", "budget_tokens": 8192}
    assert encoded.body["max_tokens"] == 8192 + 8192


def test_a_codex_request_translated_for_chat_completions():
    encoded = translate_request("responses", "openai", codex_request(), OPTIONS)
    body = encoded.body
    assert [message["role"] for message in body["messages"]] == ["system", "system", "user", "assistant", "tool", "tool", "assistant", "tool"]
    assert body["messages"][3]["tool_calls"][1]["function"] == {"name": "shell", "arguments": "{\"command\": [\"pwd\"]}"}
    assert body["messages"][7] == {"role": "tool", "tool_call_id": "call_3", "content": "Done"}
    assert body["tools"][1]["function"]["parameters"]["properties"]["input"]["type"] == "string"
    assert (body["prompt_cache_key"], body["reasoning_effort"]) == ("session-123", "medium")
    assert encoded.dropped == ["reasoning.summary", "text.verbosity", "store", "include"]


def test_an_anthropic_request_translated_for_a_responses_upstream():
    anthropic = {
        "model": "claude", "max_tokens": 1000, "system": "Be brief.", "stream": True,
        "thinking": {"type": "enabled", "budget_tokens": 2048}, "stop_sequences": ["END"],
        "messages": [
            {"role": "user", "content": "read a.txt"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "Use Read.", "signature": "SIG"},
                {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"path": "a.txt"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "hello", "is_error": True},
                                         {"type": "text", "text": "go on"}]},
        ],
        "tools": [{"name": "Read", "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}}],
    }
    encoded = translate_request("anthropic", "responses", anthropic, OPTIONS)
    body = encoded.body
    assert_valid_request(body)
    assert body["instructions"] == "Be brief."
    assert body["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "read a.txt"}]},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Use Read."}], "encrypted_content": "SIG"},
        {"type": "function_call", "call_id": "toolu_1", "name": "Read", "arguments": "{\"path\":\"a.txt\"}"},
        {"type": "function_call_output", "call_id": "toolu_1", "output": "Error: hello"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go on"}]},
    ]
    assert body["tools"] == [{"type": "function", "name": "Read", "strict": False,
                              "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}]
    assert body["reasoning"] == {"effort": "low", "summary": "auto"}
    assert (body["store"], body["include"], body["max_output_tokens"], body["stream"]) == (False, ["reasoning.encrypted_content"], 1000, True)
    assert encoded.dropped == ["stop"]


def test_a_chat_request_translated_for_a_responses_upstream():
    chat = {"model": "gpt", "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}],
            "max_tokens": 5, "user": "x" * 300, "response_format": {"type": "json_object"}, "seed": 1,
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
            "tool_choice": {"type": "function", "function": {"name": "f"}}}
    encoded = translate_request("openai", "responses", chat, OPTIONS)
    body = encoded.body
    assert_valid_request(body)
    assert body["input"] == [{"type": "message", "role": "system", "content": [{"type": "input_text", "text": "sys"}]},
                             {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}]
    assert (body["max_output_tokens"], body["text"], body["tool_choice"]) == (16, {"format": {"type": "json_object"}}, {"type": "function", "name": "f"})
    assert body["user"].startswith("sha256:") and body["store"] is False and "include" not in body
    assert encoded.dropped == ["seed"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("n", 2, "n: only one choice (n=1) can be generated by an OpenAI Responses upstream"),
    ("logprobs", True, "logprobs: log probabilities are not available from an OpenAI Responses upstream"),
])
def test_what_a_responses_upstream_cannot_produce_is_refused(field, value, message):
    with pytest.raises(RequestRejected) as caught:
        translate_request("openai", "responses", {"model": "m", "messages": [{"role": "user", "content": "x"}], field: value}, OPTIONS)
    assert caught.value.error.message == message


def test_metadata_beyond_the_user_is_named_not_sent_to_anthropic():
    from anyrouter_core.codecs.base import EncodeOptions
    from anyrouter_core.translation import translate_request

    encoded = translate_request("responses", "anthropic", {"model": "m", "input": "hi", "user": "u-1",
                                                            "metadata": {"session": "abc"}}, EncodeOptions())
    assert encoded.body["metadata"] == {"user_id": "u-1"}
    assert "metadata.session" in encoded.dropped
