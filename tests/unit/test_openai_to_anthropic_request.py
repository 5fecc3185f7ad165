import json

import pytest

from anyrouter_core.errors import RequestRejected
from anyrouter_core.protocols import OPENAI, protocol_named
from request_pairs import translate_openai_request
from unit.checks_openai_to_anthropic import assert_valid_anthropic_request

PNG = "iVBORw0KGgo="
PDF = "JVBERi0xLjQK"


def translate(body: dict, default_max_tokens: int = 8192):
    result = translate_openai_request(body, default_max_tokens=default_max_tokens)
    assert_valid_anthropic_request(result.body)
    return result


def request(*messages: dict, **params) -> dict:
    return {"model": "claude-sonnet-4-5", "messages": list(messages), **params}


def user(content) -> dict:
    return {"role": "user", "content": content}


def assistant(content=None, tool_calls=None) -> dict:
    message = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return message


def call(call_id: str, name: str = "get_weather", arguments: str = '{"city": "Paris"}') -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool(call_id: str, content="sunny") -> dict:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def text(value: str) -> dict:
    return {"type": "text", "text": value}


def rejection(body) -> RequestRejected:
    with pytest.raises(RequestRejected) as caught:
        translate_openai_request(body, default_max_tokens=8192)
    return caught.value


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


# --- the basic shape --------------------------------------------------------------------


def test_minimal_request_becomes_exact_anthropic_body():
    result = translate(request(user("hi")))
    assert result.body == {
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": [text("hi")]}],
        "max_tokens": 8192,
    }
    assert result.dropped == []


def test_model_string_passes_through_unchanged():
    assert translate(request(user("hi"), model="gpt-4o-mini")).body["model"] == "gpt-4o-mini"


def test_input_body_is_not_modified():
    body = request(user([text("hi")]), temperature=3, stream_options={"include_usage": True})
    before = json.dumps(body)
    translate(body)
    assert json.dumps(body) == before


# --- system and developer messages --------------------------------------------------------


def test_system_and_developer_messages_become_system_blocks_in_order_wherever_they_are():
    result = translate(
        request(
            {"role": "system", "content": "first"},
            user("hi"),
            {"role": "developer", "content": "second"},
            assistant("hello"),
            {"role": "system", "content": [text("third"), text("fourth")]},
            user("bye"),
        )
    )
    assert result.body["system"] == [text("first"), text("second"), text("third"), text("fourth")]
    assert result.body["messages"] == [
        {"role": "user", "content": [text("hi")]},
        {"role": "assistant", "content": [text("hello")]},
        {"role": "user", "content": [text("bye")]},
    ]


def test_empty_system_text_is_dropped_and_no_system_key_is_sent_for_nothing():
    result = translate(
        request({"role": "system", "content": ""}, {"role": "system", "content": [text("  ")]}, user("hi"))
    )
    assert "system" not in result.body


def test_system_message_with_an_image_is_rejected():
    error = rejection(
        request(
            {"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]}, user("hi")
        )
    ).error
    assert error.param == "messages[0].content[0].type"
    assert error.message == "messages[0].content[0].type: content part type 'image_url' is not allowed here (only text)"


# --- user content parts ---------------------------------------------------------------------


def test_text_parts_become_text_blocks_and_empty_ones_are_dropped():
    result = translate(request(user([text("a"), text(""), text(" \n"), text("b")])))
    assert result.body["messages"] == [{"role": "user", "content": [text("a"), text("b")]}]


def test_image_data_url_becomes_base64_source_with_media_type():
    part = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "high"}}
    result = translate(request(user([text("what is it?"), part])))
    assert result.body["messages"][0]["content"] == [
        text("what is it?"),
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
    ]


def test_image_jpg_media_type_is_normalised_to_jpeg():
    part = {"type": "image_url", "image_url": {"url": f"data:image/JPG;base64,{PNG}"}}
    block = translate(request(user([part]))).body["messages"][0]["content"][0]
    assert block["source"]["media_type"] == "image/jpeg"


def test_image_http_url_becomes_url_source():
    part = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    block = translate(request(user([part]))).body["messages"][0]["content"][0]
    assert block == {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("data:image/png,abc", "not a valid data URL: only base64 data URLs are supported"),
        ("data:image/png;base64,@@@", "not a valid data URL: the data is not valid base64"),
        ("data:image/png;base64,", "not a valid data URL: the data is empty"),
        ("data:image/png;base64", "not a valid data URL"),
        ("data:image/bmp;base64," + PNG, "image type 'image/bmp' is not supported (jpeg, png, gif or webp)"),
        ("ftp://example.com/cat.png", "must be a data URL or an http(s) URL"),
    ],
)
def test_bad_image_urls_are_rejected_naming_the_url_field(url, problem):
    body = request(user("hi"), assistant("yes"), user([text("see"), {"type": "image_url", "image_url": {"url": url}}]))
    error = rejection(body).error
    assert error.status == 400
    assert error.type == "invalid_request_error"
    assert error.param == "messages[2].content[1].image_url.url"
    assert error.message == f"messages[2].content[1].image_url.url: {problem}"


def test_image_url_without_url_is_rejected():
    error = rejection(request(user([{"type": "image_url", "image_url": {}}]))).error
    assert error.message == "messages[0].content[0].image_url.url: must be a string"


def test_pdf_file_part_becomes_document_block_titled_with_the_filename():
    part = {"type": "file", "file": {"filename": "report.pdf", "file_data": f"data:application/pdf;base64,{PDF}"}}
    block = translate(request(user([part, text("summarise")]))).body["messages"][0]["content"][0]
    assert block == {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
        "title": "report.pdf",
    }


def test_pdf_file_part_without_filename_has_no_title():
    part = {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF}"}}
    block = translate(request(user([part]))).body["messages"][0]["content"][0]
    assert "title" not in block


@pytest.mark.parametrize(
    ("file", "param", "problem"),
    [
        ({"file_data": f"data:text/plain;base64,{PDF}"}, "file_data", "only PDF files are supported, not 'text/plain'"),
        (
            {"file_id": "file-abc"},
            "file_id",
            "uploaded OpenAI files cannot be read by an Anthropic upstream; send file_data",
        ),
        ({}, "file_data", "is required"),
        ({"file_data": "JVBERi0xLjQK"}, "file_data", "not a valid data URL"),
    ],
)
def test_unusable_file_parts_are_rejected(file, param, problem):
    error = rejection(request(user([{"type": "file", "file": file}]))).error
    assert error.param == f"messages[0].content[0].file.{param}"
    assert error.message == f"messages[0].content[0].file.{param}: {problem}"


def test_audio_input_part_is_rejected():
    part = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
    error = rejection(request(user([text("listen"), part]))).error
    assert error.status == 400
    assert error.param == "messages[0].content[1]"
    assert error.message == "messages[0].content[1]: audio input cannot be sent to an Anthropic upstream"


def test_unknown_content_part_type_is_rejected():
    error = rejection(request(user([{"type": "video_url", "video_url": {}}]))).error
    assert (
        error.message
        == "messages[0].content[0].type: content part type 'video_url' is not allowed here (text, image_url or file)"
    )


# --- assistant messages and tool calls --------------------------------------------------------


def test_assistant_tool_calls_with_text_become_text_then_tool_use_with_parsed_arguments():
    result = translate(request(user("weather?"), assistant("Let me look.", [call("call_1")]), tool("call_1")))
    assert result.body["messages"][1] == {
        "role": "assistant",
        "content": [
            text("Let me look."),
            {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
        ],
    }


def test_assistant_tool_calls_with_null_content_become_only_tool_use():
    result = translate(request(user("weather?"), assistant(None, [call("call_1")]), tool("call_1")))
    assert result.body["messages"][1]["content"] == [
        {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}}
    ]


def test_assistant_without_content_key_is_accepted_with_tool_calls():
    message = {"role": "assistant", "tool_calls": [call("call_1")]}
    result = translate(request(user("weather?"), message, tool("call_1")))
    assert result.body["messages"][1]["content"][0]["type"] == "tool_use"


def test_empty_tool_arguments_become_an_empty_input():
    result = translate(request(user("now?"), assistant(None, [call("c1", "now", "")]), tool("c1")))
    assert result.body["messages"][1]["content"][0]["input"] == {}


def test_assistant_refusal_part_is_kept_as_text():
    result = translate(request(user("x"), assistant([{"type": "refusal", "refusal": "I can't."}]), user("ok")))
    assert result.body["messages"][1]["content"] == [text("I can't.")]


def test_invalid_json_tool_arguments_are_rejected_naming_the_message():
    error = rejection(request(user("x"), assistant(None, [call("c1", arguments="{oops")]), tool("c1"))).error
    assert error.status == 400
    assert error.param == "messages[1].tool_calls[0].function.arguments"
    assert error.message == "messages[1].tool_calls[0].function.arguments: not valid JSON"


def test_tool_arguments_that_are_not_an_object_are_rejected():
    error = rejection(request(user("x"), assistant(None, [call("c1", arguments="[1, 2]")]), tool("c1"))).error
    assert error.message == "messages[1].tool_calls[0].function.arguments: must be a JSON object"


def test_tool_messages_become_tool_results_at_the_start_of_the_next_user_turn():
    result = translate(
        request(
            user("weather in Paris and Rome?"),
            assistant(None, [call("call_1"), call("call_2", arguments='{"city": "Rome"}')]),
            tool("call_1", "sunny"),
            tool("call_2", [text("rainy")]),
            user("thanks, and tomorrow?"),
        )
    )
    assert result.body["messages"][2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "call_1", "content": [text("sunny")]},
            {"type": "tool_result", "tool_use_id": "call_2", "content": [text("rainy")]},
            text("thanks, and tomorrow?"),
        ],
    }
    assert len(result.body["messages"]) == 3


def test_tool_results_followed_by_assistant_form_their_own_user_turn():
    result = translate(request(user("weather?"), assistant(None, [call("c1")]), tool("c1"), assistant("It is sunny.")))
    assert [m["role"] for m in result.body["messages"]] == ["user", "assistant", "user", "assistant"]
    assert result.body["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "c1", "content": [text("sunny")]}
    ]


def test_tool_results_may_be_answered_in_any_order():
    result = translate(request(user("x"), assistant(None, [call("a"), call("b")]), tool("b"), tool("a")))
    assert [block["tool_use_id"] for block in result.body["messages"][2]["content"]] == ["b", "a"]


def test_tool_result_with_empty_content_has_no_content():
    result = translate(request(user("x"), assistant(None, [call("c1")]), tool("c1", "")))
    assert result.body["messages"][2]["content"] == [{"type": "tool_result", "tool_use_id": "c1"}]


def test_tool_result_with_image_part_keeps_the_image():
    image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}
    result = translate(request(user("x"), assistant(None, [call("c1")]), tool("c1", [text("chart:"), image])))
    assert result.body["messages"][2]["content"][0]["content"] == [
        text("chart:"),
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
    ]


def test_system_message_inside_a_tool_round_does_not_break_it():
    result = translate(
        request(user("x"), assistant(None, [call("c1")]), {"role": "system", "content": "note"}, tool("c1"))
    )
    assert result.body["system"] == [text("note")]
    assert result.body["messages"][2]["content"][0]["tool_use_id"] == "c1"


def test_tool_call_ids_outside_anthropic_alphabet_are_rewritten_consistently():
    result = translate(
        request(user("x"), assistant(None, [call("functions.get_weather:0")]), tool("functions.get_weather:0"))
    )
    tool_use_id = result.body["messages"][1]["content"][0]["id"]
    assert tool_use_id.startswith("functions_get_weather_0_")
    assert result.body["messages"][2]["content"][0]["tool_use_id"] == tool_use_id


def test_ids_differing_only_in_rewritten_characters_stay_distinct():
    result = translate(request(user("x"), assistant(None, [call("a.b"), call("a:b")]), tool("a.b"), tool("a:b")))
    first, second = (block["id"] for block in result.body["messages"][1]["content"])
    assert first != second


def test_tool_message_with_unknown_id_is_rejected():
    error = rejection(request(user("x"), assistant(None, [call("c1")]), tool("c1"), tool("c9"))).error
    assert error.param == "messages[3].tool_call_id"
    assert error.message == "messages[3].tool_call_id: no tool call with id 'c9' awaits a result"


def test_tool_message_answering_a_call_twice_is_rejected():
    error = rejection(request(user("x"), assistant(None, [call("c1")]), tool("c1"), tool("c1"))).error
    assert error.message == "messages[3].tool_call_id: no tool call with id 'c1' awaits a result"


def test_tool_message_without_a_preceding_tool_call_is_rejected():
    error = rejection(request(user("x"), tool("c1"))).error
    assert error.param == "messages[1]"
    assert error.message == "messages[1]: a tool message must follow the assistant message whose tool_calls it answers"


def test_tool_message_after_a_user_message_is_rejected():
    error = rejection(request(user("x"), assistant(None, [call("c1")]), user("wait"), tool("c1"))).error
    assert error.param == "messages[1].tool_calls[0].id"
    assert error.message == "messages[1].tool_calls[0].id: tool call 'c1' is not answered by a tool message"


def test_unanswered_tool_call_at_the_end_is_rejected():
    error = rejection(request(user("x"), assistant(None, [call("c1"), call("c2")]), tool("c1"))).error
    assert error.message == "messages[1].tool_calls[1].id: tool call 'c2' is not answered by a tool message"


def test_duplicate_tool_call_ids_in_one_message_are_rejected():
    error = rejection(request(user("x"), assistant(None, [call("c1"), call("c1")]))).error
    assert error.message == "messages[1].tool_calls[1].id: duplicate tool call id 'c1'"


def test_tool_message_without_tool_call_id_is_rejected():
    error = rejection(request(user("x"), assistant(None, [call("c1")]), {"role": "tool", "content": "r"})).error
    assert error.message == "messages[2].tool_call_id: must be a non-empty string"


def test_non_function_tool_call_is_rejected():
    custom = {"id": "c1", "type": "custom", "custom": {"name": "x", "input": "y"}}
    error = rejection(request(user("x"), assistant(None, [custom]))).error
    assert error.message == "messages[1].tool_calls[0].type: only function tool calls are supported"


# --- turns ------------------------------------------------------------------------------


def test_consecutive_same_role_messages_are_merged():
    result = translate(request(user("a"), user([text("b")]), assistant("c"), assistant("d"), user("e")))
    assert result.body["messages"] == [
        {"role": "user", "content": [text("a"), text("b")]},
        {"role": "assistant", "content": [text("c"), text("d")]},
        {"role": "user", "content": [text("e")]},
    ]


def test_empty_messages_are_skipped_and_their_neighbours_merged():
    result = translate(request(user("a"), assistant(""), user("b")))
    assert result.body["messages"] == [{"role": "user", "content": [text("a"), text("b")]}]


def test_conversation_starting_with_assistant_gets_a_placeholder_user_turn():
    result = translate(request({"role": "system", "content": "s"}, assistant("Hello! How can I help?"), user("hi")))
    assert result.body["messages"][0] == {"role": "user", "content": [text(".")]}
    assert [m["role"] for m in result.body["messages"]] == ["user", "assistant", "user"]


def test_system_only_conversation_gets_a_placeholder_user_turn():
    result = translate(request({"role": "system", "content": "Say hi."}))
    assert result.body["messages"] == [{"role": "user", "content": [text(".")]}]
    assert result.body["system"] == [text("Say hi.")]


def test_final_assistant_turn_loses_trailing_whitespace():
    result = translate(request(user("count"), assistant("1, 2, \n")))
    assert result.body["messages"][-1] == {"role": "assistant", "content": [text("1, 2,")]}


def test_earlier_assistant_turns_keep_their_whitespace():
    result = translate(request(user("a"), assistant("b \n"), user("c")))
    assert result.body["messages"][1]["content"] == [text("b \n")]


# --- limits, stop, sampling, user ------------------------------------------------------------


def test_max_completion_tokens_wins_over_max_tokens():
    assert translate(request(user("x"), max_completion_tokens=100, max_tokens=50)).body["max_tokens"] == 100


def test_max_tokens_is_used_when_max_completion_tokens_is_absent():
    assert translate(request(user("x"), max_tokens=50)).body["max_tokens"] == 50


def test_max_tokens_defaults_to_the_configured_value():
    assert translate(request(user("x")), default_max_tokens=1234).body["max_tokens"] == 1234


@pytest.mark.parametrize("value", [0, -5, "100", True, 1.5])
def test_bad_max_tokens_are_rejected(value):
    error = rejection(request(user("x"), max_tokens=value)).error
    assert (error.param, error.message) == ("max_tokens", "max_tokens: must be a positive integer")


def test_stop_string_becomes_a_list():
    assert translate(request(user("x"), stop="END")).body["stop_sequences"] == ["END"]


def test_stop_list_drops_whitespace_only_sequences():
    assert translate(request(user("x"), stop=["\n", "END", " ", "###"])).body["stop_sequences"] == ["END", "###"]


def test_stop_with_only_whitespace_sends_no_stop_sequences():
    assert "stop_sequences" not in translate(request(user("x"), stop=["\n\n"])).body


@pytest.mark.parametrize("value", [5, ["a", 1], {"a": 1}])
def test_bad_stop_is_rejected(value):
    error = rejection(request(user("x"), stop=value)).error
    assert (error.param, error.message) == ("stop", "stop: must be a string or a list of strings")


@pytest.mark.parametrize(("given", "sent"), [(1.7, 1.0), (-0.5, 0.0), (0.3, 0.3), (2, 1.0), (0, 0.0)])
def test_temperature_is_clamped_to_anthropic_range(given, sent):
    assert translate(request(user("x"), temperature=given)).body["temperature"] == sent


@pytest.mark.parametrize("value", ["hot", True, float("inf"), float("nan")])
def test_bad_temperature_is_rejected(value):
    error = rejection(request(user("x"), temperature=value)).error
    assert (error.param, error.message) == ("temperature", "temperature: must be a number")


def test_top_p_alone_is_kept():
    result = translate(request(user("x"), top_p=0.8))
    assert result.body["top_p"] == 0.8
    assert result.dropped == []


def test_top_p_is_dropped_when_temperature_is_sent_too():
    result = translate(request(user("x"), temperature=0.5, top_p=0.8))
    assert result.body["temperature"] == 0.5
    assert "top_p" not in result.body
    assert result.dropped == ["top_p"]


def test_user_becomes_metadata_user_id():
    assert translate(request(user("x"), user="alice")).body["metadata"] == {"user_id": "alice"}


def test_non_string_user_is_rejected():
    assert rejection(request(user("x"), user=5)).error.message == "user: must be a string"


# --- tools ---------------------------------------------------------------------------------


def test_function_tools_become_anthropic_tools():
    result = translate(request(user("x"), tools=[WEATHER_TOOL]))
    assert result.body["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        }
    ]
    assert "tool_choice" not in result.body


def test_tool_without_parameters_gets_an_empty_object_schema():
    result = translate(request(user("x"), tools=[{"type": "function", "function": {"name": "now"}}]))
    assert result.body["tools"] == [{"name": "now", "input_schema": {"type": "object", "properties": {}}}]


def test_tool_parameters_without_type_are_marked_as_object():
    tool_def = {"type": "function", "function": {"name": "f", "parameters": {"properties": {"a": {"type": "integer"}}}}}
    schema = translate(request(user("x"), tools=[tool_def])).body["tools"][0]["input_schema"]
    assert schema == {"type": "object", "properties": {"a": {"type": "integer"}}}


def test_tool_parameters_of_another_type_are_rejected():
    tool_def = {"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}
    error = rejection(request(user("x"), tools=[tool_def])).error
    assert error.message == "tools[0].function.parameters.type: must be 'object'"


def test_non_function_tool_is_rejected():
    error = rejection(request(user("x"), tools=[{"type": "custom", "custom": {"name": "x"}}])).error
    assert (error.param, error.message) == ("tools[0].type", "tools[0].type: only function tools are supported")


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
    ],
)
def test_tool_choice_is_mapped(choice, expected):
    assert translate(request(user("x"), tools=[WEATHER_TOOL], tool_choice=choice)).body["tool_choice"] == expected


def test_named_tool_choice_for_a_missing_tool_is_rejected():
    body = request(user("x"), tools=[WEATHER_TOOL], tool_choice={"type": "function", "function": {"name": "nope"}})
    error = rejection(body).error
    assert (error.param, error.message) == (
        "tool_choice.function.name",
        "tool_choice.function.name: no tool named 'nope' in tools",
    )


def test_required_tool_choice_without_tools_is_rejected():
    assert rejection(request(user("x"), tool_choice="required")).error.message == "tool_choice: 'required' needs tools"


def test_auto_tool_choice_without_tools_is_omitted():
    assert "tool_choice" not in translate(request(user("x"), tool_choice="auto")).body


def test_unknown_tool_choice_is_rejected():
    assert rejection(request(user("x"), tools=[WEATHER_TOOL], tool_choice="sometimes")).error.param == "tool_choice"


def test_parallel_tool_calls_false_without_tool_choice_means_auto_without_parallel_use():
    body = translate(request(user("x"), tools=[WEATHER_TOOL], parallel_tool_calls=False)).body
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


def test_parallel_tool_calls_false_with_required_disables_parallel_use():
    body = translate(request(user("x"), tools=[WEATHER_TOOL], tool_choice="required", parallel_tool_calls=False)).body
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}


def test_parallel_tool_calls_false_with_none_keeps_plain_none():
    body = translate(request(user("x"), tools=[WEATHER_TOOL], tool_choice="none", parallel_tool_calls=False)).body
    assert body["tool_choice"] == {"type": "none"}


def test_parallel_tool_calls_true_changes_nothing():
    assert "tool_choice" not in translate(request(user("x"), tools=[WEATHER_TOOL], parallel_tool_calls=True)).body


# --- reasoning -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effort", "budget"), [("minimal", 1024), ("low", 2048), ("medium", 8192), ("high", 16384), ("xhigh", 32768)]
)
def test_reasoning_effort_without_client_limit_adds_the_budget_to_the_default(effort, budget):
    body = translate(request(user("x"), reasoning_effort=effort), default_max_tokens=8192).body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert body["max_tokens"] == 8192 + budget


def test_reasoning_effort_with_a_large_client_limit_keeps_the_limit():
    body = translate(request(user("x"), reasoning_effort="high", max_completion_tokens=64000)).body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 16384}
    assert body["max_tokens"] == 64000


def test_reasoning_budget_takes_at_most_half_of_the_client_limit():
    body = translate(request(user("x"), reasoning_effort="high", max_tokens=10000)).body
    assert body["thinking"]["budget_tokens"] == 5000
    assert body["max_tokens"] == 10000


def test_small_client_limit_is_raised_to_fit_the_minimum_budget():
    body = translate(request(user("x"), reasoning_effort="low", max_tokens=300)).body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["max_tokens"] == 1324


def test_reasoning_effort_none_enables_no_thinking():
    result = translate(request(user("x"), reasoning_effort="none"))
    assert "thinking" not in result.body
    assert result.dropped == []


def test_unknown_reasoning_effort_is_rejected():
    error = rejection(request(user("x"), reasoning_effort="extreme")).error
    assert error.message == "reasoning_effort: must be one of none, minimal, low, medium, high, xhigh"


def test_thinking_drops_temperature_and_low_top_p():
    result = translate(request(user("x"), reasoning_effort="low", temperature=0.2, top_p=0.5))
    assert "temperature" not in result.body
    assert "top_p" not in result.body
    assert result.dropped == ["temperature", "top_p"]


def test_thinking_keeps_top_p_of_at_least_0_95():
    result = translate(request(user("x"), reasoning_effort="low", top_p=0.97))
    assert result.body["top_p"] == 0.97
    assert result.dropped == []


def test_forced_tool_choice_rules_out_thinking():
    result = translate(request(user("x"), tools=[WEATHER_TOOL], tool_choice="required", reasoning_effort="high"))
    assert "thinking" not in result.body
    assert result.body["max_tokens"] == 8192
    assert result.dropped == ["reasoning_effort"]


def test_latest_assistant_tool_call_rules_out_thinking():
    body = request(
        user("x"), assistant(None, [call("c1")]), tool("c1"), tools=[WEATHER_TOOL], reasoning_effort="medium"
    )
    result = translate(body)
    assert "thinking" not in result.body
    assert result.dropped == ["reasoning_effort"]


def test_tool_calls_before_a_later_plain_answer_do_not_rule_out_thinking():
    body = request(
        user("x"),
        assistant(None, [call("c1")]),
        tool("c1"),
        assistant("Sunny."),
        user("thanks"),
        reasoning_effort="low",
    )
    assert translate(body).body["thinking"] == {"type": "enabled", "budget_tokens": 2048}


def test_final_assistant_prefill_rules_out_thinking():
    result = translate(request(user("x"), assistant("{"), reasoning_effort="low"))
    assert "thinking" not in result.body
    assert result.dropped == ["reasoning_effort"]


# --- response_format -------------------------------------------------------------------------


def test_json_object_response_format_adds_a_final_system_instruction():
    body = translate(
        request({"role": "system", "content": "Be brief."}, user("x"), response_format={"type": "json_object"})
    ).body
    assert body["system"] == [
        text("Be brief."),
        text(
            "Answer with a single valid JSON object and nothing else. "
            "Do not wrap it in Markdown code fences and do not write anything before or after it."
        ),
    ]


def test_json_schema_response_format_names_and_embeds_the_schema():
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "result", "description": "the sum", "schema": schema, "strict": True},
    }
    body = translate(request(user("1+1?"), response_format=response_format)).body
    assert body["system"] == [
        text(
            "Answer with a single JSON value that conforms to the JSON Schema named 'result' (the sum). "
            "Do not wrap it in Markdown code fences and do not write anything before or after it."
            "\nThe schema:\n" + json.dumps(schema, indent=2)
        )
    ]


def test_text_response_format_changes_nothing():
    assert "system" not in translate(request(user("x"), response_format={"type": "text"})).body


@pytest.mark.parametrize(
    ("response_format", "param"),
    [
        ({"type": "yaml"}, "response_format.type"),
        ({"type": "json_schema"}, "response_format.json_schema"),
        ({"type": "json_schema", "json_schema": {"schema": {}}}, "response_format.json_schema.name"),
        ({"type": "json_schema", "json_schema": {"name": "x", "schema": []}}, "response_format.json_schema.schema"),
        ("json", "response_format"),
    ],
)
def test_bad_response_format_is_rejected(response_format, param):
    assert rejection(request(user("x"), response_format=response_format)).error.param == param


# --- streaming flags --------------------------------------------------------------------------


def test_stream_is_kept_and_stream_options_removed():
    result = translate(request(user("x"), stream=True, stream_options={"include_usage": True}))
    assert result.body["stream"] is True
    assert "stream_options" not in result.body
    assert result.dropped == []


def test_non_boolean_stream_is_rejected():
    assert rejection(request(user("x"), stream="yes")).error.message == "stream: must be a boolean"


# --- what cannot be carried -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"n": 2}, "n", "n: only one choice (n=1) can be generated by an Anthropic upstream"),
        ({"n": 0}, "n", "n: must be a positive integer"),
        ({"logprobs": True}, "logprobs", "logprobs: log probabilities are not available from an Anthropic upstream"),
        (
            {"top_logprobs": 3},
            "top_logprobs",
            "top_logprobs: log probabilities are not available from an Anthropic upstream",
        ),
        (
            {"audio": {"voice": "alloy", "format": "wav"}},
            "audio",
            "audio: audio output is not available from an Anthropic upstream",
        ),
        (
            {"modalities": ["text", "audio"]},
            "modalities",
            "modalities: audio output is not available from an Anthropic upstream",
        ),
        (
            {"functions": [{"name": "f"}]},
            "functions",
            "functions: legacy function calling is not supported; use tools and tool_choice",
        ),
        (
            {"function_call": "auto"},
            "function_call",
            "function_call: legacy function calling is not supported; use tools and tool_choice",
        ),
    ],
)
def test_requests_that_cannot_be_carried_are_rejected(params, param, message):
    error = rejection(request(user("x"), **params)).error
    assert (error.status, error.type, error.param, error.message) == (400, "invalid_request_error", param, message)


def test_rejection_renders_as_an_openai_400_error():
    status, body = protocol_named(OPENAI).codec.render_error(rejection(request(user("x"), n=3)).error)
    assert status == 400
    assert body == {
        "error": {
            "message": "n: only one choice (n=1) can be generated by an Anthropic upstream",
            "type": "invalid_request_error",
            "param": "n",
            "code": None,
        }
    }


def test_harmless_equivalents_of_defaults_are_accepted_silently():
    result = translate(request(user("x"), n=1, logprobs=False, top_logprobs=0, modalities=["text"], audio=None))
    assert result.dropped == []


def test_knobs_without_equivalent_are_dropped_and_named():
    knobs = {
        "seed": 7,
        "frequency_penalty": 0.5,
        "presence_penalty": 0.1,
        "logit_bias": {"50256": -100},
        "service_tier": "auto",
        "store": True,
        "metadata": {"k": "v"},
        "prediction": {"type": "content", "content": "x"},
        "verbosity": "low",
    }
    result = translate(request(user("x"), **knobs))
    assert sorted(result.dropped) == sorted(knobs)
    assert not set(knobs) & set(result.body)


def test_knobs_sent_as_null_are_not_named():
    assert translate(request(user("x"), seed=None, store=None)).dropped == []


# --- malformed input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "the request body must be a JSON object"),
        ("hi", "the request body must be a JSON object"),
        ({"messages": [user("x")]}, "model: must be a non-empty string"),
        ({"model": 4, "messages": [user("x")]}, "model: must be a non-empty string"),
        ({"model": "m"}, "messages: must be a non-empty list"),
        ({"model": "m", "messages": []}, "messages: must be a non-empty list"),
        ({"model": "m", "messages": {"role": "user"}}, "messages: must be a non-empty list"),
        ({"model": "m", "messages": ["hi"]}, "messages[0]: must be an object"),
        ({"model": "m", "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role: unknown role 'robot'"),
        ({"model": "m", "messages": [{"content": "x"}]}, "messages[0].role: unknown role None"),
        ({"model": "m", "messages": [{"role": "user"}]}, "messages[0].content: is required"),
        ({"model": "m", "messages": [user(None)]}, "messages[0].content: must be a string or a list of content parts"),
        ({"model": "m", "messages": [user(5)]}, "messages[0].content: must be a string or a list of content parts"),
        ({"model": "m", "messages": [user(["x"])]}, "messages[0].content[0]: must be an object"),
        ({"model": "m", "messages": [user([{"text": "x"}])]}, "messages[0].content[0].type: must be a string"),
        (
            {"model": "m", "messages": [user([{"type": "text", "text": 5}])]},
            "messages[0].content[0].text: must be a string",
        ),
        ({"model": "m", "messages": [user("x"), assistant(None, "c1")]}, "messages[1].tool_calls: must be a list"),
        (
            {"model": "m", "messages": [user("x"), assistant(None, ["c1"])]},
            "messages[1].tool_calls[0]: must be an object",
        ),
        (
            {"model": "m", "messages": [user("x"), assistant(None, [{"id": "c1", "function": {}}])]},
            "messages[1].tool_calls[0].function.name: must be a non-empty string",
        ),
        ({"model": "m", "messages": [user("x")], "tools": {"a": 1}}, "tools: must be a list"),
        (
            {"model": "m", "messages": [user("x")], "tools": [{"type": "function"}]},
            "tools[0].function: must be an object",
        ),
        (
            {"model": "m", "messages": [user("x")], "parallel_tool_calls": "no"},
            "parallel_tool_calls: must be a boolean",
        ),
        ({"model": "m", "messages": [user("x")], "stream_options": "usage"}, "stream_options: must be an object"),
        (
            {"model": "m", "messages": [user("x")], "reasoning_effort": ["high"]},
            "reasoning_effort: must be one of none, minimal, low, medium, high, xhigh",
        ),
    ],
)
def test_malformed_requests_are_rejected_naming_the_field(body, message):
    error = rejection(body).error
    assert (error.status, error.message) == (400, message)
