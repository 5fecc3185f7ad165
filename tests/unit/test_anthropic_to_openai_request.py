import copy
import hashlib
import json
from pathlib import Path

import pytest

from request_pairs import translate_anthropic_request
from anyrouter_core.errors import RequestRejected

FIXTURE = Path(__file__).parent.parent / "data" / "claude_code_request.json"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
PDF = "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK"


def request(**fields):
    body = {"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": [{"role": "user", "content": "Hi"}]}
    body.update(fields)
    return body


def translate(**fields):
    return translate_anthropic_request(request(**fields))


def messages_of(*messages, **fields):
    return translate(messages=list(messages), **fields).body["messages"]


def tool_turn(*uses):
    return {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": use_id, "name": "Read", "input": {"path": "/a"}} for use_id in uses],
    }


def rejected(body) -> RequestRejected:
    with pytest.raises(RequestRejected) as caught:
        translate_anthropic_request(body)
    assert caught.value.error.status == 400
    assert caught.value.error.type == "invalid_request_error"
    return caught.value


# ---------------------------------------------------------------- basics


def test_minimal_request_keeps_model_and_max_tokens():
    translated = translate()
    assert translated.body == {
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 100,
    }
    assert translated.dropped == []


def test_model_string_passes_through_unchanged():
    assert translate(model="some/Org-Model:Q4_K_M").body["model"] == "some/Org-Model:Q4_K_M"


def test_system_string_becomes_leading_system_message():
    assert translate(system="Be brief.").body["messages"][0] == {"role": "system", "content": "Be brief."}


def test_system_blocks_are_joined_and_cache_control_removed():
    system = [
        {"type": "text", "text": "One.", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Two.", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
    ]
    body = translate(system=system).body
    assert body["messages"][0] == {"role": "system", "content": "One.\n\nTwo."}
    assert "cache_control" not in json.dumps(body)


def test_empty_system_sends_no_system_message():
    assert translate(system="").body["messages"] == [{"role": "user", "content": "Hi"}]
    assert translate(system=[]).body["messages"] == [{"role": "user", "content": "Hi"}]


def test_system_role_message_stays_in_place():
    result = messages_of(
        {"role": "user", "content": "a"},
        {"role": "system", "content": [{"type": "text", "text": "Mode: plan"}]},
        {"role": "assistant", "content": "b"},
        system="top",
    )
    assert result == [
        {"role": "system", "content": "top"},
        {"role": "user", "content": "a"},
        {"role": "system", "content": "Mode: plan"},
        {"role": "assistant", "content": "b"},
    ]


def test_system_role_message_without_text_is_not_sent():
    # Claude Code 2.1.330 (--bare) ends its messages with this, to carry the effort.
    result = messages_of(
        {"role": "user", "content": "a"},
        {"role": "system", "content": [], "output_config": {"effort": "medium"}},
        {"role": "system", "content": ""},
        {"role": "system", "content": [{"type": "text", "text": ""}]},
    )
    assert result == [{"role": "user", "content": "a"}]


def test_user_text_blocks_become_one_string():
    content = [{"type": "text", "text": "first"}, {"type": "text", "text": "second", "cache_control": {"type": "ephemeral"}}]
    assert messages_of({"role": "user", "content": content}) == [{"role": "user", "content": "first\n\nsecond"}]


def test_empty_text_blocks_are_left_out():
    content = [{"type": "text", "text": ""}, {"type": "text", "text": "x"}]
    assert messages_of({"role": "user", "content": content}) == [{"role": "user", "content": "x"}]


def test_assistant_string_and_text_blocks():
    result = messages_of(
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}]},
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": "prefill ("},
    )
    assert result[1] == {"role": "assistant", "content": "A\n\nB"}
    assert result[3] == {"role": "assistant", "content": "prefill ("}


# ---------------------------------------------------------------- images and documents


def test_base64_image_becomes_data_url_part():
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
    ]
    assert messages_of({"role": "user", "content": content}) == [{
        "role": "user",
        "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        ],
    }]


def test_url_image_becomes_image_url_part():
    content = [{"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}]
    assert messages_of({"role": "user", "content": content})[0]["content"] == [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}
    ]


def test_file_image_source_is_rejected():
    content = [{"type": "image", "source": {"type": "file", "file_id": "file_1"}}]
    error = rejected(request(messages=[{"role": "user", "content": content}]))
    assert error.error.message.startswith("messages.0.content.0.source.type:")
    assert error.error.param == "messages.0.content.0.source.type"


def test_base64_pdf_becomes_file_part():
    content = [{"type": "document", "title": "spec.pdf", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}}]
    assert messages_of({"role": "user", "content": content})[0]["content"] == [
        {"type": "file", "file": {"filename": "spec.pdf", "file_data": f"data:application/pdf;base64,{PDF}"}}
    ]


def test_pdf_without_title_gets_default_filename_and_context_text():
    content = [{"type": "document", "context": "From the 2024 audit", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}}]
    assert messages_of({"role": "user", "content": content})[0]["content"] == [
        {"type": "text", "text": "From the 2024 audit"},
        {"type": "file", "file": {"filename": "document.pdf", "file_data": f"data:application/pdf;base64,{PDF}"}},
    ]


def test_text_document_becomes_text_with_title():
    content = [
        {"type": "document", "title": "notes.txt", "source": {"type": "text", "media_type": "text/plain", "data": "hello"}},
        {"type": "text", "text": "Summarize."},
    ]
    assert messages_of({"role": "user", "content": content}) == [{"role": "user", "content": "notes.txt\n\nhello\n\nSummarize."}]


def test_content_document_becomes_its_text_and_images():
    source = {"type": "content", "content": [
        {"type": "text", "text": "chunk"},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/i.png"}},
    ]}
    assert messages_of({"role": "user", "content": [{"type": "document", "source": source}]})[0]["content"] == [
        {"type": "text", "text": "chunk"},
        {"type": "image_url", "image_url": {"url": "https://example.com/i.png"}},
    ]


def test_url_pdf_is_rejected_with_path():
    content = [{"type": "text", "text": "x"}, {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}}]
    error = rejected(request(messages=[{"role": "user", "content": content}]))
    assert error.error.message.startswith("messages.0.content.1.source.type: document sources of type 'url'")


def test_non_pdf_base64_document_is_rejected():
    content = [{"type": "document", "source": {"type": "base64", "media_type": "text/html", "data": "PGh0bWw+"}}]
    error = rejected(request(messages=[{"role": "user", "content": content}]))
    assert error.error.param == "messages.0.content.0.source.media_type"


def test_missing_image_data_names_the_field():
    content = [{"type": "image", "source": {"type": "base64", "media_type": "image/png"}}]
    error = rejected(request(messages=[{"role": "user", "content": content}]))
    assert error.error.message == "messages.0.content.0.source.data: Field required"
    assert error.error.param == "messages.0.content.0.source.data"


# ---------------------------------------------------------------- tool use and results


def test_tool_use_becomes_tool_calls_with_json_arguments():
    assistant = {"role": "assistant", "content": [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"path": "/tmp/ü"}},
    ]}
    result = messages_of({"role": "user", "content": "q"}, assistant)
    assert result[1] == {
        "role": "assistant",
        "content": "Let me look.",
        "tool_calls": [{"id": "toolu_1", "type": "function", "function": {"name": "Read", "arguments": '{"path": "/tmp/ü"}'}}],
    }


def test_tool_use_without_text_has_null_content_and_empty_input_is_braces():
    assistant = {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "Now", "input": {}}]}
    result = messages_of({"role": "user", "content": "q"}, assistant)
    assert result[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "toolu_1", "type": "function", "function": {"name": "Now", "arguments": "{}"}}],
    }


def test_tool_results_come_first_in_order_then_rest_of_user_turn():
    user = {"role": "user", "content": [
        {"type": "text", "text": "Here you go."},
        {"type": "tool_result", "tool_use_id": "b", "content": "B out"},
        {"type": "tool_result", "tool_use_id": "a", "content": [{"type": "text", "text": "A out"}, {"type": "text", "text": "more"}]},
    ]}
    result = messages_of({"role": "user", "content": "q"}, tool_turn("a", "b"), user)
    assert result[2:] == [
        {"role": "tool", "tool_call_id": "b", "content": "B out"},
        {"role": "tool", "tool_call_id": "a", "content": "A out\n\nmore"},
        {"role": "user", "content": "Here you go."},
    ]


def test_user_turn_with_only_tool_results_adds_no_user_message():
    user = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "ok"}]}
    result = messages_of({"role": "user", "content": "q"}, tool_turn("a"), user)
    assert [m["role"] for m in result] == ["user", "assistant", "tool"]


def test_tool_result_error_gets_explicit_prefix():
    user = {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "a", "content": "file not found", "is_error": True},
        {"type": "tool_result", "tool_use_id": "b", "is_error": True},
    ]}
    result = messages_of({"role": "user", "content": "q"}, tool_turn("a", "b"), user)
    assert result[2]["content"] == "Error: file not found"
    assert result[3]["content"] == "Error"


def test_tool_result_without_content_is_empty_string():
    user = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a"}]}
    assert messages_of({"role": "user", "content": "q"}, tool_turn("a"), user)[2] == {
        "role": "tool", "tool_call_id": "a", "content": ""
    }


def test_images_in_tool_result_move_to_following_user_message():
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    user = {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "a", "content": [{"type": "text", "text": "screenshot taken"}, image]},
        {"type": "text", "text": "What do you see?"},
    ]}
    result = messages_of({"role": "user", "content": "q"}, tool_turn("a"), user)
    assert result[2:] == [
        {"role": "tool", "tool_call_id": "a", "content": "screenshot taken"},
        {"role": "user", "content": [
            {"type": "text", "text": "Content returned by tool call a:"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            {"type": "text", "text": "What do you see?"},
        ]},
    ]


def test_pdf_in_tool_result_moves_like_an_image():
    document = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}}
    user = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": [document]}]}
    result = messages_of({"role": "user", "content": "q"}, tool_turn("a"), user)
    assert result[2] == {"role": "tool", "tool_call_id": "a", "content": ""}
    assert result[3]["content"][1] == {
        "type": "file", "file": {"filename": "document.pdf", "file_data": f"data:application/pdf;base64,{PDF}"}
    }


def test_tool_messages_go_before_a_system_message_between_call_and_result():
    result = messages_of(
        {"role": "user", "content": "q"},
        tool_turn("a"),
        {"role": "system", "content": "Reminder."},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "ok"}, {"type": "text", "text": "go on"}]},
    )
    assert [m["role"] for m in result] == ["user", "assistant", "tool", "system", "user"]
    assert result[2]["tool_call_id"] == "a"


def test_tool_result_matching_no_tool_use_is_rejected():
    user = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "nope", "content": "x"}]}
    error = rejected(request(messages=[{"role": "user", "content": "q"}, tool_turn("a"), user]))
    assert error.error.message == (
        "messages.2.content.0.tool_use_id: 'nope' matches no tool_use in the previous assistant message"
    )


def test_tool_result_for_an_older_assistant_turn_is_rejected():
    answer = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "x"}]}
    messages = [{"role": "user", "content": "q"}, tool_turn("a"), answer, {"role": "assistant", "content": "done"}, answer]
    error = rejected(request(messages=messages))
    assert error.error.param == "messages.4.content.0.tool_use_id"


def test_tool_result_before_any_assistant_is_rejected():
    user = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "x"}]}
    assert rejected(request(messages=[user])).error.param == "messages.0.content.0.tool_use_id"


def test_duplicate_tool_result_is_rejected():
    result = {"type": "tool_result", "tool_use_id": "a", "content": "x"}
    error = rejected(request(messages=[{"role": "user", "content": "q"}, tool_turn("a"), {"role": "user", "content": [result, result]}]))
    assert "already has a tool_result" in error.error.message


def test_duplicate_tool_use_id_is_rejected():
    error = rejected(request(messages=[{"role": "user", "content": "q"}, tool_turn("a", "a")]))
    assert error.error.param == "messages.1.content.1.id"


def test_tool_use_input_must_be_an_object():
    assistant = {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "x", "input": [1]}]}
    assert rejected(request(messages=[{"role": "user", "content": "q"}, assistant])).error.param == "messages.1.content.0.input"


def test_thinking_blocks_in_history_are_not_sent():
    assistant = {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "secret plan", "signature": "c2ln"},
        {"type": "redacted_thinking", "data": "ZW5j"},
        {"type": "text", "text": "Answer"},
    ]}
    result = messages_of({"role": "user", "content": "q"}, assistant)
    assert result[1] == {"role": "assistant", "content": "Answer"}
    assert "secret plan" not in json.dumps(result)


def test_assistant_turn_with_only_thinking_is_not_sent():
    assistant = {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": "s"}]}
    assert messages_of({"role": "user", "content": "q"}, assistant) == [{"role": "user", "content": "q"}]


def test_unknown_block_type_is_rejected_with_path():
    error = rejected(request(messages=[{"role": "user", "content": [{"type": "hologram", "data": 1}]}]))
    assert error.error.param == "messages.0.content.0.type"
    assert "'hologram'" in error.error.message


def test_tool_use_in_user_message_is_rejected():
    content = [{"type": "tool_use", "id": "a", "name": "x", "input": {}}]
    assert rejected(request(messages=[{"role": "user", "content": content}])).error.param == "messages.0.content.0.type"


def test_server_tool_blocks_in_history_are_rejected():
    assistant = {"role": "assistant", "content": [{"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}]}
    error = rejected(request(messages=[{"role": "user", "content": "q"}, assistant]))
    assert error.error.param == "messages.1.content.0.type"


def test_unsupported_block_inside_tool_result_is_rejected():
    user = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": [{"type": "search_result"}]}]}
    error = rejected(request(messages=[{"role": "user", "content": "q"}, tool_turn("a"), user]))
    assert error.error.param == "messages.2.content.0.content.0.type"


# ---------------------------------------------------------------- tools and tool_choice


def test_tools_become_functions():
    tools = [
        {"name": "get_weather", "description": "Weather now", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
         "cache_control": {"type": "ephemeral"}},
        {"name": "ping", "type": "custom", "strict": True},
    ]
    assert translate(tools=tools).body["tools"] == [
        {"type": "function", "function": {"name": "get_weather", "description": "Weather now",
                                          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
        {"type": "function", "function": {"name": "ping", "parameters": {"type": "object"}, "strict": True}},
    ]


def test_server_tools_are_dropped_and_named():
    tools = [
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
        {"type": "bash_20250124", "name": "bash"},
        {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
        {"name": "mine", "input_schema": {"type": "object"}},
    ]
    translated = translate(tools=tools)
    assert [tool["function"]["name"] for tool in translated.body["tools"]] == ["mine"]
    assert translated.dropped == [
        "tools.web_search (web_search_20250305)",
        "tools.bash (bash_20250124)",
        "tools.str_replace_based_edit_tool (text_editor_20250728)",
    ]


def test_only_server_tools_sends_no_tools_and_no_tool_choice():
    body = translate(tools=[{"type": "web_search_20250305", "name": "web_search"}], tool_choice={"type": "auto"}).body
    assert "tools" not in body and "tool_choice" not in body and "parallel_tool_calls" not in body


TOOLS = [{"name": "f", "input_schema": {"type": "object"}}]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "f"}, {"type": "function", "function": {"name": "f"}}),
    ],
)
def test_tool_choice(choice, expected):
    body = translate(tools=TOOLS, tool_choice=choice).body
    assert body["tool_choice"] == expected
    assert "parallel_tool_calls" not in body


def test_disable_parallel_tool_use():
    body = translate(tools=TOOLS, tool_choice={"type": "auto", "disable_parallel_tool_use": True}).body
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is False


def test_tool_choice_naming_an_unknown_tool_is_rejected():
    error = rejected(request(tools=TOOLS, tool_choice={"type": "tool", "name": "g"}))
    assert error.error.param == "tool_choice.name"


def test_tool_choice_any_with_only_server_tools_is_rejected():
    error = rejected(request(tools=[{"type": "web_search_20250305", "name": "web_search"}], tool_choice={"type": "any"}))
    assert error.error.param == "tool_choice.type"


def test_tool_choice_with_bad_type_is_rejected():
    assert rejected(request(tools=TOOLS, tool_choice={"type": "sometimes"})).error.param == "tool_choice.type"


def test_tool_without_name_is_rejected():
    assert rejected(request(tools=[{"input_schema": {"type": "object"}}])).error.message == "tools.0.name: Field required"


# ---------------------------------------------------------------- parameters


def test_sampling_and_stop_sequences():
    translated = translate(temperature=0.2, top_p=0.9, top_k=40, stop_sequences=["\n\nHuman:", "END"])
    assert translated.body["temperature"] == 0.2
    assert translated.body["top_p"] == 0.9
    assert translated.body["stop"] == ["\n\nHuman:", "END"]
    assert "top_k" not in translated.body
    assert translated.dropped == ["top_k"]


def test_empty_stop_sequences_send_nothing():
    assert "stop" not in translate(stop_sequences=[]).body


def test_max_tokens_is_sent_as_max_tokens():
    body = translate(max_tokens=4096).body
    assert body["max_tokens"] == 4096
    assert "max_completion_tokens" not in body


@pytest.mark.parametrize(
    ("budget", "effort"), [(1024, "low"), (4000, "low"), (4096, "medium"), (10000, "medium"), (16384, "high"), (31999, "high")]
)
def test_thinking_budget_maps_to_reasoning_effort(budget, effort):
    assert translate(thinking={"type": "enabled", "budget_tokens": budget}).body["reasoning_effort"] == effort


def test_adaptive_thinking_without_effort_sends_nothing():
    assert "reasoning_effort" not in translate(thinking={"type": "adaptive"}).body


@pytest.mark.parametrize(("effort", "expected"), [("low", "low"), ("medium", "medium"), ("high", "high"), ("xhigh", "high"), ("max", "high")])
def test_output_config_effort_maps_to_reasoning_effort(effort, expected):
    body = translate(thinking={"type": "adaptive"}, output_config={"effort": effort}).body
    assert body["reasoning_effort"] == expected


def test_effort_wins_over_budget():
    body = translate(thinking={"type": "enabled", "budget_tokens": 30000}, output_config={"effort": "low"}).body
    assert body["reasoning_effort"] == "low"


def test_disabled_thinking_sends_nothing_even_with_effort():
    translated = translate(thinking={"type": "disabled"}, output_config={"effort": "high"})
    assert "reasoning_effort" not in translated.body
    assert translated.dropped == ["output_config.effort (thinking disabled)"]


def test_thinking_enabled_without_budget_is_rejected():
    assert rejected(request(thinking={"type": "enabled"})).error.param == "thinking.budget_tokens"


def test_output_format_becomes_response_format():
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    body = translate(output_config={"format": {"type": "json_schema", "schema": schema}}).body
    assert body["response_format"] == {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}


def test_metadata_user_id_becomes_user_and_other_metadata_is_dropped():
    user_id = json.dumps({"device_id": "abc", "account_uuid": "", "session_id": "s-1"})
    translated = translate(metadata={"user_id": user_id, "other": 1})
    assert translated.body["user"] == user_id
    assert "metadata" not in translated.body
    assert translated.dropped == []


def test_very_long_user_id_is_sent_as_its_hash():
    user_id = "u" * 300
    assert translate(metadata={"user_id": user_id}).body["user"] == "sha256:" + hashlib.sha256(user_id.encode()).hexdigest()


def test_stream_asks_for_usage():
    body = translate(stream=True).body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_stream_false_sends_no_stream_fields():
    body = translate(stream=False).body
    assert "stream" not in body and "stream_options" not in body


def test_anthropic_only_fields_are_removed_and_named():
    translated = translate(
        context_management={"edits": [{"type": "clear_tool_uses_20250919"}]},
        container="container_1",
        mcp_servers=[{"type": "url", "url": "https://mcp.example.com", "name": "x"}],
        service_tier="auto",
        cache_control={"type": "ephemeral"},
    )
    assert set(translated.body) == {"model", "messages", "max_tokens"}
    assert translated.dropped == ["context_management", "container", "mcp_servers", "service_tier"]


# ---------------------------------------------------------------- malformed input


@pytest.mark.parametrize("body", [None, [], "text", 3])
def test_non_object_body_is_rejected(body):
    assert rejected(body).error.message == "request body must be a JSON object"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("model", "model: Field required"),
        ("max_tokens", "max_tokens: Field required"),
        ("messages", "messages: Field required"),
    ],
)
def test_missing_required_field_is_rejected(field, message):
    body = request()
    del body[field]
    error = rejected(body)
    assert error.error.message == message
    assert error.error.param == field


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"model": 5}, "model"),
        ({"max_tokens": "100"}, "max_tokens"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": True}, "max_tokens"),
        ({"messages": []}, "messages"),
        ({"messages": "hi"}, "messages"),
        ({"messages": ["hi"]}, "messages.0"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages.0.role"),
        ({"messages": [{"role": "user"}]}, "messages.0.content"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages.0.content"),
        ({"messages": [{"role": "user", "content": [{"text": "no type"}]}]}, "messages.0.content.0.type"),
        ({"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}, "messages.0.content.0.text"),
        ({"system": 5}, "system"),
        ({"system": [{"type": "image"}]}, "system.0.type"),
        ({"temperature": "hot"}, "temperature"),
        ({"stop_sequences": "END"}, "stop_sequences"),
        ({"tools": {"name": "f"}}, "tools"),
        ({"tools": [{"name": "f", "input_schema": "x"}]}, "tools.0.input_schema"),
        ({"tool_choice": "auto"}, "tool_choice"),
        ({"thinking": "on"}, "thinking"),
        ({"thinking": {"type": "maybe"}}, "thinking.type"),
        ({"output_config": {"effort": "extreme"}}, "output_config.effort"),
        ({"output_config": {"format": {"type": "xml"}}}, "output_config.format.type"),
        ({"metadata": {"user_id": 7}}, "metadata.user_id"),
        ({"stream": "yes"}, "stream"),
    ],
)
def test_wrong_types_are_rejected_naming_the_field(fields, param):
    error = rejected(request(**fields))
    assert error.error.param == param
    assert error.error.message.startswith(f"{param}: ")


# ---------------------------------------------------------------- a Claude Code request


@pytest.fixture(scope="module")
def claude_code_body():
    return json.loads(FIXTURE.read_text())


def test_fixture_has_claude_code_shape(claude_code_body):
    assert 50_000 <= FIXTURE.stat().st_size <= 85_000
    assert len(claude_code_body["system"]) == 3
    assert all(block.get("cache_control") for block in claude_code_body["system"])
    assert len(claude_code_body["tools"]) == 15
    assert any(message["role"] == "system" for message in claude_code_body["messages"])


def test_claude_code_request(claude_code_body):
    original = copy.deepcopy(claude_code_body)
    translated = translate_anthropic_request(claude_code_body)
    body = translated.body
    assert claude_code_body == original, "the input must not be modified"
    assert translated.dropped == ["context_management"]
    assert body["model"] == "claude-sonnet-4-5-20250929"
    assert body["max_tokens"] == 32000
    assert body["temperature"] == 1
    assert body["reasoning_effort"] == "high"
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["user"] == claude_code_body["metadata"]["user_id"]
    assert len(body["tools"]) == 15
    assert body["tools"][0]["function"]["name"] == "Bash"
    assert body["tools"][0]["function"]["parameters"] == claude_code_body["tools"][0]["input_schema"]

    roles = [message["role"] for message in body["messages"]]
    assert roles == ["system", "user", "system", "assistant", "tool", "tool", "assistant", "tool", "tool", "user"]
    system_texts = [block["text"] for block in claude_code_body["system"]]
    assert body["messages"][0]["content"] == "\n\n".join(system_texts)
    assert body["messages"][2]["content"] == claude_code_body["messages"][1]["content"]

    first_turn = body["messages"][3]
    assert first_turn["content"] == "I'll run the tests and read the lexer."
    assert [call["id"] for call in first_turn["tool_calls"]] == ["toolu_01A7sK2mQ9vR4tY6wE8uI0oP", "toolu_01B3dF5gH7jK9lZ1xC3vB5nM"]
    assert json.loads(first_turn["tool_calls"][0]["function"]["arguments"]) == {
        "command": "python -m pytest -q tests/test_lexer.py", "description": "Run the lexer tests"
    }
    assert body["messages"][4]["tool_call_id"] == "toolu_01A7sK2mQ9vR4tY6wE8uI0oP"
    assert body["messages"][4]["content"].startswith("Error: ====")
    assert body["messages"][6]["content"] is None
    assert [m["tool_call_id"] for m in body["messages"][7:9]] == ["toolu_01C9qW1eR3tY5uI7oP9aS1dF", "toolu_01D2zX4cV6bN8mQ0wE2rT4yU"]
    assert body["messages"][9]["content"].startswith("<system-reminder>\nThe TodoWrite tool")

    text = json.dumps(body)
    assert "signature" not in text and "cache_control" not in text
    for thought in (block["thinking"] for m in claude_code_body["messages"] if isinstance(m["content"], list)
                    for block in m["content"] if block.get("type") == "thinking"):
        assert thought not in text
