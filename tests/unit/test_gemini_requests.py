"""Gemini requests: a Gemini client's body decoded into the neutral model with every rule of
`request_decode` (camelCase and google-genai's snake_case, calls paired to their responses,
thought signatures kept), bad bodies refused with the field's path; neutral requests from
Anthropic, Chat Completions and Responses clients encoded for a Gemini upstream (the schema
subset, function names looked up for responses, signatures where Gemini wants them); and
the Anthropic and Responses encoders keeping Gemini's signatures away from their upstreams."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest

from anyrouter_core.codecs.anthropic.request_decode import decode_request as decode_anthropic
from anyrouter_core.codecs.anthropic.request_encode import encode_request as encode_anthropic
from anyrouter_core.codecs.base import EncodeOptions
from anyrouter_core.codecs.gemini.request_decode import decode_request
from anyrouter_core.codecs.gemini.request_encode import UNSIGNED_CALL_SIGNATURE, encode_request
from anyrouter_core.codecs.gemini.thought_signatures import carried
from anyrouter_core.codecs.gemini.token_estimate import estimate_input_tokens
from anyrouter_core.codecs.openai_chat.request_decode import decode_request as decode_openai
from anyrouter_core.codecs.responses.request_decode import decode_request as decode_responses
from anyrouter_core.codecs.responses.request_encode import encode_request as encode_responses
from anyrouter_core.errors import RequestRejected
from anyrouter_core.neutral import Document, Image, Opaque, Reasoning, Request, ResponseFormat, Text, Thinking
from anyrouter_core.neutral import Tool, ToolCall, ToolChoice, ToolResult, Turn
from unit.gemini_checks import keywords_outside_the_subset

OPTIONS = EncodeOptions()
CLAUDE_CODE = json.loads((Path(__file__).parent.parent / "data" / "claude_code_request.json").read_text())
CODEX = json.loads((Path(__file__).parent.parent / "data" / "codex_request_tools.json").read_text())
PNG = "iVBORw0KGgo="
PDF = "JVBERi0x"


def gemini_cli_request() -> dict:
    """Shaped like Gemini CLI's second turn (lifted: model and stream from its path): its
    system instruction, the task, the model's thought and signed call without an id, the
    call's response without an id, its tools in the OpenAPI subset with UPPERCASE types."""
    return {
        "model": "gemini-2.5-pro",
        "stream": True,
        "systemInstruction": {"role": "user", "parts": [{"text": "You are Gemini CLI."}, {"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "read a.txt"}]},
            {"role": "model", "parts": [
                {"text": "I should read it.", "thought": True},
                {"functionCall": {"name": "read_file", "args": {"path": "a.txt"}}, "thoughtSignature": "SIG-1"},
            ]},
            {"role": "user", "parts": [{"functionResponse": {"name": "read_file", "response": {"output": "hello"}}}]},
        ],
        "tools": [{"functionDeclarations": [{
            "name": "read_file", "description": "Reads a file.",
            "parameters": {"type": "OBJECT", "properties": {"path": {"type": "STRING"}, "limit": {"type": "INTEGER", "nullable": True}}, "required": ["path"]},
        }]}],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
        "generationConfig": {"temperature": 0.5, "topP": 0.9, "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 8192}},
    }


def rejection(body: dict) -> str:
    with pytest.raises(RequestRejected) as caught:
        decode_request(body)
    assert caught.value.error.status == 400
    return caught.value.error.message


def encoding_rejection(request: Request) -> str:
    with pytest.raises(RequestRejected) as caught:
        encode_request(request, OPTIONS)
    assert caught.value.error.status == 400
    return caught.value.error.message


def with_contents(*contents: dict, **fields) -> dict:
    return {"model": "gemini-2.5-flash", "contents": list(contents), **fields}


def user(*parts: dict) -> dict:
    return {"role": "user", "parts": list(parts)}


def model(*parts: dict) -> dict:
    return {"role": "model", "parts": list(parts)}


# ---------------------------------------------------------------- decoding


def test_a_gemini_cli_request_decodes_into_turns_with_its_call_paired_and_signed():
    request = decode_request(gemini_cli_request())
    assert (request.model, request.stream, request.protocol) == ("gemini-2.5-pro", True, "gemini")
    assert request.system == [
        Text("You are Gemini CLI.", path="systemInstruction.parts[0]"), Text("Be brief.", path="systemInstruction.parts[1]"),
    ]
    first, second, third = request.turns
    assert (first.role, first.blocks) == ("user", [Text("read a.txt", path="contents[0].parts[0]")])
    assert second.role == "assistant"
    assert second.blocks == [
        Thinking("I should read it.", None, "contents[1].parts[0]"),
        ToolCall("call_1_1", "read_file", {"path": "a.txt"}, path="contents[1].parts[1]", signature="SIG-1"),
    ]
    assert third.blocks == [ToolResult(
        "call_1_1", [Text("hello", path="contents[2].parts[0].functionResponse.response")], path="contents[2].parts[0]",
    )]


def test_a_gemini_cli_request_keeps_its_tools_and_settings():
    request = decode_request(gemini_cli_request())
    (tool,) = request.tools
    assert (tool.name, tool.description, tool.path) == ("read_file", "Reads a file.", "tools[0].functionDeclarations[0]")
    assert tool.schema == {
        "type": "object", "properties": {"path": {"type": "string"}, "limit": {"type": ["integer", "null"]}}, "required": ["path"],
    }
    assert tool.raw == gemini_cli_request()["tools"][0]["functionDeclarations"][0]
    assert request.tool_choice == ToolChoice("auto")
    assert (request.temperature, request.top_p) == (0.5, 0.9)
    assert request.reasoning == Reasoning("enabled", None, 8192, "auto", {"includeThoughts": True, "thinkingBudget": 8192})
    assert request.extra == {}


def test_google_genai_snake_case_reads_like_camel_case_and_is_named_as_written():
    camel = {
        "model": "m",
        "system_instruction": {"parts": [{"text": "sys"}]},
        "contents": [
            user({"text": "hi"}, {"inline_data": {"mime_type": "image/png", "data": PNG}}),
            model({"function_call": {"name": "f", "args": {}, "id": "c1"}, "thought_signature": "S"}),
            user({"function_response": {"name": "f", "id": "c1", "response": {"output": "ok"}}}),
        ],
        "tools": [{"function_declarations": [{"name": "f", "parameters_json_schema": {"type": "object"}}]}],
        "tool_config": {"function_calling_config": {"mode": "ANY", "allowed_function_names": ["f"]}},
        "generation_config": {
            "max_output_tokens": 100, "top_k": 40.0, "stop_sequences": ["END"], "candidate_count": 1,
            "response_mime_type": "application/json", "response_json_schema": {"type": "object"},
            "thinking_config": {"thinking_level": "LOW", "include_thoughts": False}, "presence_penalty": 0.1,
        },
        "safety_settings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
    }
    request = decode_request(camel)
    assert [block.text for block in request.system] == ["sys"]
    text, image = request.turns[0].blocks
    assert (image.source, image.media_type, image.data) == ("base64", "image/png", PNG)
    assert request.turns[1].blocks == [ToolCall("c1", "f", {}, path="contents[1].parts[0]", signature="S")]
    assert request.turns[2].blocks[0].call_id == "c1"
    assert request.tools[0].schema == {"type": "object"}
    assert request.tool_choice == ToolChoice("tool", "f")
    assert (request.max_tokens, request.top_k, request.stop) == (100, 40, ["END"])
    assert request.response_format == ResponseFormat("json_schema", schema={"type": "object"})
    assert (request.reasoning.effort, request.reasoning.summary, request.reasoning.mode) == ("low", None, None)
    assert request.extra == {
        "generation_config.presence_penalty": 0.1,
        "safety_settings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
    }
    assert request.names["max_tokens"] == "generation_config.max_output_tokens"
    assert request.names["effort"] == "generation_config.thinking_config.thinking_level"
    assert request.client_name("choices") == "generation_config.candidate_count"
    bad = copy.deepcopy(camel)
    bad["contents"][1]["parts"][0]["function_call"]["name"] = ""
    assert rejection(bad) == "contents[1].parts[0].function_call.name: must be a non-empty string"


def test_responses_pair_to_calls_by_id_whatever_their_order():
    body = with_contents(
        user({"text": "go"}),
        model({"functionCall": {"name": "read_file", "args": {"p": 1}, "id": "read_file_1733140000000_0"}},
              {"functionCall": {"name": "read_file", "args": {"p": 2}, "id": "read_file_1733140000000_1"}}),
        user({"functionResponse": {"name": "read_file", "id": "read_file_1733140000000_1", "response": {"output": "two"}}},
             {"functionResponse": {"name": "read_file", "id": "read_file_1733140000000_0", "response": {"output": "one"}}}),
    )
    results = decode_request(body).turns[2].blocks
    assert [(result.call_id, result.content[0].text) for result in results] == [
        ("read_file_1733140000000_1", "two"), ("read_file_1733140000000_0", "one"),
    ]


def test_responses_without_ids_pair_by_name_in_order_and_calls_get_ids_from_their_place():
    body = with_contents(
        user({"text": "go"}),
        model({"text": "Reading both."}, {"functionCall": {"name": "read", "args": {"p": 1}}},
              {"functionCall": {"name": "list", "args": {}}}, {"functionCall": {"name": "read", "args": {"p": 2}}}),
        user({"functionResponse": {"name": "list", "response": {"output": "dir"}}},
             {"functionResponse": {"name": "read", "response": {"output": "first"}}},
             {"functionResponse": {"name": "read", "response": {"output": "second"}}}),
    )
    request = decode_request(body)
    assert [call.id for call in request.turns[1].blocks[1:]] == ["call_1_1", "call_1_2", "call_1_3"]
    assert [(result.call_id, result.content[0].text) for result in request.turns[2].blocks] == [
        ("call_1_2", "dir"), ("call_1_1", "first"), ("call_1_3", "second"),
    ]
    assert decode_request(body).turns[1].blocks[1].id == "call_1_1"  # the same in every replay


def test_a_repeated_call_id_is_made_unique_and_its_response_still_pairs():
    body = with_contents(
        user({"text": "go"}), model({"functionCall": {"name": "f", "id": "0"}}),
        user({"functionResponse": {"name": "f", "id": "0", "response": {"output": "a"}}}),
        model({"functionCall": {"name": "f", "id": "0"}}),
        user({"functionResponse": {"name": "f", "id": "0", "response": {"output": "b"}}}),
    )
    turns = decode_request(body).turns
    assert (turns[1].blocks[0].id, turns[2].blocks[0].call_id) == ("0", "0")
    assert (turns[3].blocks[0].id, turns[4].blocks[0].call_id) == ("0_3_0", "0_3_0")


@pytest.mark.parametrize(("response", "text", "is_error"), [
    ({"output": "plain"}, "plain", False),
    ({"output": {"lines": 3}}, '{"lines": 3}', False),
    ({"error": "denied"}, "denied", True),
    ({"error": {"code": 7}, "detail": "x"}, '{"error": {"code": 7}, "detail": "x"}', True),
    ({"content": "x", "lines": 1}, '{"content": "x", "lines": 1}', False),
    ({"output": ""}, None, False),
])
def test_function_responses_become_text_and_errors(response, text, is_error):
    body = with_contents(user({"text": "go"}), model({"functionCall": {"name": "f"}}),
                         user({"functionResponse": {"name": "f", "response": response}}))
    (result,) = decode_request(body).turns[2].blocks
    assert [block.text for block in result.content] == ([text] if text is not None else [])
    assert result.is_error is is_error


def test_a_function_response_may_return_media_parts():
    body = with_contents(user({"text": "go"}), model({"functionCall": {"name": "shot"}}), user({"functionResponse": {
        "name": "shot", "response": {"output": "see"}, "parts": [{"inlineData": {"mimeType": "image/png", "data": PNG}}],
    }}))
    (result,) = decode_request(body).turns[2].blocks
    text, image = result.content
    assert (text.text, image.source, image.data, image.path) == ("see", "base64", PNG, "contents[2].parts[0].functionResponse.parts[0]")


def test_media_parts_of_every_kind():
    body = with_contents(user(
        {"inlineData": {"mimeType": "image/jpeg", "data": "_-8="}},
        {"inlineData": {"mimeType": "application/pdf", "data": PDF}},
        {"inlineData": {"mimeType": "text/plain; charset=utf-8", "data": "aMOp"}},
        {"inlineData": {"mimeType": "application/zip", "data": "UEs="}},
        {"fileData": {"mimeType": "image/png", "fileUri": "https://example.com/a.png"}},
        {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://bucket/a.pdf"}},
    ))
    blocks = decode_request(body).turns[0].blocks
    assert blocks == [
        Image("base64", media_type="image/jpeg", data="/+8=", path="contents[0].parts[0]"),
        Document("base64", media_type="application/pdf", data=PDF, path="contents[0].parts[1]"),
        Document("text", media_type="text/plain", data="hé", path="contents[0].parts[2]"),
        Document("base64", media_type="application/zip", data="UEs=", path="contents[0].parts[3]"),
        Image("url", media_type="image/png", url="https://example.com/a.png", path="contents[0].parts[4]"),
        Document("url", media_type="application/pdf", url="gs://bucket/a.pdf", path="contents[0].parts[5]"),
    ]


def test_thought_signatures_are_kept_marked_as_gemini_ones():
    body = with_contents(user({"text": "go"}), model(
        {"text": "thinking", "thought": True, "thoughtSignature": "T-SIG"},
        {"text": "The answer.", "thoughtSignature": "TEXT-SIG"},
    ))
    assert decode_request(body).turns[1].blocks == [
        Thinking("thinking", carried("T-SIG"), "contents[1].parts[0]"),
        Thinking("", carried("TEXT-SIG"), "contents[1].parts[1]"),
        Text("The answer.", path="contents[1].parts[1]"),
    ]


def test_code_execution_parts_stay_gemini_s_own_and_a_content_without_role_is_the_user_s():
    part = {"executableCode": {"language": "PYTHON", "code": "print(1)"}}
    request = decode_request(with_contents({"parts": [{"text": "hi"}]}, model(part)))
    assert request.turns[0].role == "user"
    assert request.turns[1].blocks == [Opaque("executableCode", part, "gemini", "contents[1].parts[0]")]


def test_a_plain_string_system_instruction():
    assert decode_request(with_contents(user({"text": "hi"}), systemInstruction="Be kind.")).system == [
        Text("Be kind.", path="systemInstruction"),
    ]


def test_function_calling_modes_and_allowed_names():
    tools = [{"functionDeclarations": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}]

    def decoded(config: dict) -> Request:
        return decode_request(with_contents(user({"text": "x"}), tools=tools, toolConfig={"functionCallingConfig": config}))

    assert decoded({"mode": "NONE"}).tool_choice == ToolChoice("none")
    assert decoded({"mode": "any"}).tool_choice == ToolChoice("required")
    assert decoded({"mode": "VALIDATED"}).tool_choice == ToolChoice("auto")
    assert decoded({"mode": "ANY", "allowedFunctionNames": ["b"]}).tool_choice == ToolChoice("tool", "b")
    restricted = decoded({"mode": "ANY", "allowedFunctionNames": ["a", "c"]})
    assert (restricted.tool_choice, [tool.name for tool in restricted.tools]) == (ToolChoice("required"), ["a", "c"])
    assert [tool.name for tool in decoded({"mode": "NONE", "allowedFunctionNames": ["a"]}).tools] == ["a", "b", "c"]
    assert decoded({}).tool_choice is None


def test_generation_config_fields_and_their_names():
    config = {
        "maxOutputTokens": 256, "temperature": 1.5, "topP": 1, "topK": 3, "stopSequences": ["x"], "candidateCount": 2,
        "responseMimeType": "application/json",
        "responseSchema": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}},
        "responseLogprobs": True, "logprobs": 3, "responseModalities": ["TEXT", "AUDIO"],
        "seed": 7, "frequencyPenalty": 0.2, "speechConfig": {"voiceConfig": {}}, "mediaResolution": "MEDIA_RESOLUTION_LOW",
    }
    request = decode_request(with_contents(user({"text": "x"}), generationConfig=config, labels={"team": "a"}))
    assert (request.max_tokens, request.temperature, request.top_p, request.top_k, request.stop) == (256, 1.5, 1, 3, ["x"])
    assert (request.choices, request.logprobs, request.audio_output) == (2, True, True)
    assert request.response_format == ResponseFormat("json_schema", schema={"type": "object", "properties": {"a": {"type": "string"}}})
    assert (request.seed, request.client_name("seed")) == (7, "generationConfig.seed")
    assert request.extra == {
        "generationConfig.frequencyPenalty": 0.2,
        "generationConfig.speechConfig": {"voiceConfig": {}}, "generationConfig.mediaResolution": "MEDIA_RESOLUTION_LOW",
        "labels": {"team": "a"},
    }
    assert [request.client_name(name) for name in ("max_tokens", "choices", "logprobs", "audio_output", "response_format")] == [
        "generationConfig.maxOutputTokens", "generationConfig.candidateCount", "generationConfig.responseLogprobs",
        "generationConfig.responseModalities", "generationConfig.responseSchema",
    ]


def test_json_output_without_a_schema_and_logprobs_by_count():
    request = decode_request(with_contents(user({"text": "x"}), generationConfig={"responseMimeType": "application/json", "logprobs": 2}))
    assert request.response_format == ResponseFormat("json_object")
    assert (request.logprobs, request.client_name("logprobs")) == (True, "generationConfig.logprobs")


@pytest.mark.parametrize(("thinking", "expected"), [
    ({"thinkingBudget": 0}, ("disabled", None, None, None)),
    ({"thinkingBudget": -1, "includeThoughts": True}, ("adaptive", None, None, "auto")),
    ({"thinkingBudget": 1024}, ("enabled", None, 1024, None)),
    ({"thinkingLevel": "high"}, (None, "high", None, None)),
    ({"includeThoughts": True}, (None, None, None, "auto")),
])
def test_thinking_config(thinking, expected):
    reasoning = decode_request(with_contents(user({"text": "x"}), generationConfig={"thinkingConfig": thinking})).reasoning
    assert (reasoning.mode, reasoning.effort, reasoning.budget, reasoning.summary) == expected
    assert reasoning.raw == thinking


def test_a_thinking_config_that_asks_nothing_is_no_reasoning():
    request = decode_request(with_contents(user({"text": "x"}), generationConfig={"thinkingConfig": {"includeThoughts": False}}))
    assert request.reasoning is None


@pytest.mark.parametrize(("body", "message"), [
    ([], "the request body must be a JSON object"),
    ({"contents": [user({"text": "x"})]}, "model: must be a non-empty string (the model of the request's path)"),
    (with_contents(user({"text": "x"}), cachedContent="cachedContents/abc"),
     "cachedContent: a Gemini context cache cannot be used through another upstream; send the contents instead"),
    ({"model": "m", "contents": []}, "contents: must be a non-empty list of contents"),
    (with_contents({"role": "function", "parts": []}), "contents[0].role: must be 'user' or 'model', not 'function'"),
    (with_contents({"role": "user"}), "contents[0].parts: must be a list"),
    (with_contents(user("hi")), "contents[0].parts[0]: must be an object"),
    (with_contents(user({"video_metadata": {}})),
     "contents[0].parts[0]: a part must hold one of text, inlineData, fileData, functionCall or functionResponse"),
    (with_contents(user({"text": "a", "inlineData": {}})),
     "contents[0].parts[0]: a part holds one of text, inlineData, fileData, functionCall or functionResponse, not text and inlineData together"),
    (with_contents(user({"text": 3})), "contents[0].parts[0].text: must be a string"),
    (with_contents(user({"inlineData": {"mimeType": "audio/wav", "data": "AAAA"}})),
     "contents[0].parts[0].inlineData.mimeType: 'audio/wav': audio and video parts reach only a Gemini upstream, not this one; send text, images or documents"),
    (with_contents(user({"fileData": {"mimeType": "video/mp4", "fileUri": "https://youtu.be/x"}})),
     "contents[0].parts[0].fileData.mimeType: 'video/mp4': audio and video parts reach only a Gemini upstream, not this one; send text, images or documents"),
    (with_contents(user({"inlineData": {"mimeType": "image/png", "data": "not base64!"}})),
     "contents[0].parts[0].inlineData.data: must be base64 data"),
    (with_contents(user({"inlineData": {"data": PNG}})), "contents[0].parts[0].inlineData.mimeType: must be a non-empty string"),
    (with_contents(user({"fileData": {"mimeType": "image/png"}})), "contents[0].parts[0].fileData.fileUri: must be a non-empty string"),
    (with_contents(user({"functionCall": {"name": "f"}})), "contents[0].parts[0].functionCall: functionCall parts belong in a model turn"),
    (with_contents(model({"functionResponse": {"name": "f", "response": {}}})),
     "contents[0].parts[0].functionResponse: functionResponse parts belong in a user turn"),
    (with_contents(model({"functionCall": {"args": {}}})), "contents[0].parts[0].functionCall.name: must be a non-empty string"),
    (with_contents(model({"functionCall": {"name": "f", "args": [1]}})), "contents[0].parts[0].functionCall.args: must be an object"),
    (with_contents(model({"functionCall": {"name": "f"}, "thoughtSignature": 5})), "contents[0].parts[0].thoughtSignature: must be a string"),
    (with_contents(user({"text": "x"}), model({"functionCall": {"name": "f"}}), user({"functionResponse": {"name": "g", "response": {}}})),
     "contents[2].parts[0].functionResponse.name: no functionCall named 'g' in the model turn before it awaits a response"),
    (with_contents(model({"functionCall": {"name": "f"}}), user({"functionResponse": {"name": "g", "id": "c9", "response": {}}})),
     "contents[1].parts[0].functionResponse.id: 'c9' answers no functionCall of the model turn before it that awaits a response"),
    (with_contents(model({"functionCall": {"name": "f"}}), user({"functionResponse": {"name": "f", "response": {"output": "a"}}}),
                   user({"functionResponse": {"name": "f", "response": {"output": "b"}}})),
     "contents[2].parts[0].functionResponse.name: no functionCall named 'f' in the model turn before it awaits a response"),
    (with_contents(model({"functionCall": {"name": "f"}}), user({"functionResponse": {"name": "f", "response": "ok"}})),
     "contents[1].parts[0].functionResponse.response: must be an object"),
    (with_contents(model({"functionCall": {"name": "f"}}),
                   user({"functionResponse": {"name": "f", "response": {}, "parts": [{"text": "x"}]}})),
     "contents[1].parts[0].functionResponse.parts[0].text: a functionResponse's parts must be inlineData or fileData"),
    (with_contents(user({"text": "x"}), systemInstruction={"parts": [{"inlineData": {}}]}),
     "systemInstruction.parts[0].text: a system instruction holds text parts only"),
    (with_contents(user({"text": "x"}), tools=[{"googleSearch": {}}]),
     "tools[0].googleSearch: Gemini's built-in tools have no equivalent behind this upstream; declare functions the client runs itself (functionDeclarations)"),
    (with_contents(user({"text": "x"}), tools=[{"functionDeclarations": [{"name": "f"}], "code_execution": {}}]),
     "tools[0].code_execution: Gemini's built-in tools have no equivalent behind this upstream; declare functions the client runs itself (functionDeclarations)"),
    (with_contents(user({"text": "x"}), tools=[{"functionDeclarations": [{"name": "f", "parameters": {}, "parametersJsonSchema": {}}]}]),
     "tools[0].functionDeclarations[0]: give either parameters or parametersJsonSchema, not both"),
    (with_contents(user({"text": "x"}), tools=[{"functionDeclarations": [{"description": "d"}]}]),
     "tools[0].functionDeclarations[0].name: must be a non-empty string"),
    (with_contents(user({"text": "x"}), tools=[{"functionDeclarations": [{"name": "f", "parameters": "x"}]}]),
     "tools[0].functionDeclarations[0].parameters: must be an object"),
    (with_contents(user({"text": "x"}), toolConfig={"functionCallingConfig": {"mode": "SOMETIMES"}}),
     "toolConfig.functionCallingConfig.mode: must be AUTO, ANY, NONE or VALIDATED"),
    (with_contents(user({"text": "x"}), toolConfig={"functionCallingConfig": {"mode": "ANY"}}),
     "toolConfig.functionCallingConfig.mode: ANY needs function declarations in tools"),
    (with_contents(user({"text": "x"}), tools=[{"functionDeclarations": [{"name": "f"}]}],
                   toolConfig={"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f", "g"]}}),
     "toolConfig.functionCallingConfig.allowedFunctionNames[1]: no function declaration named 'g'"),
    (with_contents(user({"text": "x"}), generationConfig={"maxOutputTokens": 0}), "generationConfig.maxOutputTokens: must be a positive integer"),
    (with_contents(user({"text": "x"}), generationConfig={"temperature": "hot"}), "generationConfig.temperature: must be a number of at least 0"),
    (with_contents(user({"text": "x"}), generationConfig={"topK": 2.5}), "generationConfig.topK: must be a whole number of at least 0"),
    (with_contents(user({"text": "x"}), generationConfig={"stopSequences": "x"}), "generationConfig.stopSequences: must be a list of strings"),
    (with_contents(user({"text": "x"}), generationConfig={"candidateCount": 0}), "generationConfig.candidateCount: must be a positive integer"),
    (with_contents(user({"text": "x"}), generationConfig={"responseModalities": ["IMAGE"]}),
     "generationConfig.responseModalities[0]: image output is available from a Gemini upstream only, not this one"),
    (with_contents(user({"text": "x"}), generationConfig={"responseMimeType": "text/x.enum", "responseSchema": {"type": "STRING", "enum": ["a"]}}),
     "generationConfig.responseMimeType: 'text/x.enum' has no equivalent behind this upstream; ask for 'application/json' with a schema of type string and its enum"),
    (with_contents(user({"text": "x"}), generationConfig={"responseMimeType": "text/csv"}),
     "generationConfig.responseMimeType: must be 'text/plain' or 'application/json'"),
    (with_contents(user({"text": "x"}), generationConfig={"responseSchema": {"type": "OBJECT"}}),
     "generationConfig.responseSchema: needs responseMimeType 'application/json'"),
    (with_contents(user({"text": "x"}), generationConfig={"responseMimeType": "application/json", "responseSchema": {}, "responseJsonSchema": {}}),
     "generationConfig.responseSchema: give either responseSchema or responseJsonSchema, not both"),
    (with_contents(user({"text": "x"}), generationConfig={"thinkingConfig": {"thinkingBudget": -2}}),
     "generationConfig.thinkingConfig.thinkingBudget: must be a whole number: -1 (dynamic), 0 (off) or a budget of tokens"),
    (with_contents(user({"text": "x"}), generationConfig={"thinkingConfig": {"thinkingLevel": "extreme"}}),
     "generationConfig.thinkingConfig.thinkingLevel: must be one of minimal, low, medium, high"),
    (with_contents(user({"text": "x"}), generationConfig={"thinkingConfig": {"includeThoughts": "yes"}}),
     "generationConfig.thinkingConfig.includeThoughts: must be a boolean"),
    (with_contents(user({"text": "x"}), generation_config={"thinking_config": {"thinking_budget": 1.5}}),
     "generation_config.thinking_config.thinking_budget: must be a whole number: -1 (dynamic), 0 (off) or a budget of tokens"),
])
def test_bad_bodies_are_refused_with_the_path_of_the_field(body, message):
    assert rejection(body) == message


# ---------------------------------------------------------------- encoding


def test_a_claude_code_request_encodes_for_gemini():
    encoded = encode_request(decode_anthropic(copy.deepcopy(CLAUDE_CODE)), OPTIONS)
    body = encoded.body
    assert (body["model"], body["stream"]) == (CLAUDE_CODE["model"], True)
    assert [content["role"] for content in body["contents"]] == ["user", "model", "user", "model", "user"][: len(body["contents"])]
    roles = [content["role"] for content in body["contents"]]
    assert all(first != second for first, second in zip(roles, roles[1:]))
    system_texts = [part["text"] for part in body["systemInstruction"]["parts"]]
    assert system_texts[: len(CLAUDE_CODE["system"])] == [block["text"] for block in CLAUDE_CODE["system"]]
    declarations = body["tools"][0]["functionDeclarations"]
    assert [declaration["name"] for declaration in declarations] == [tool["name"] for tool in CLAUDE_CODE["tools"]]
    for declaration in declarations:
        assert keywords_outside_the_subset(declaration["parameters"]) == [], declaration["name"]
    assert body["generationConfig"] == {
        "maxOutputTokens": CLAUDE_CODE["max_tokens"], "temperature": CLAUDE_CODE["temperature"],
        "thinkingConfig": {"thinkingBudget": CLAUDE_CODE["thinking"]["budget_tokens"], "includeThoughts": True},
    }
    assert encoded.dropped == ["thinking of another protocol (messages.2.content.0, messages.4.content.0)", "context_management", "user"]


def test_codex_tools_encode_for_gemini_as_declarations_inside_the_subset():
    # Codex's tools as its Responses request sends them (tests/data: recorded), a namespace too.
    encoded = encode_request(decode_responses({**copy.deepcopy(CODEX), "input": "hi"}), OPTIONS)
    assert encoded.dropped == []
    [tools] = encoded.body["tools"]
    declarations = tools["functionDeclarations"]
    names = [function["name"] for tool in CODEX["tools"] for function in tool.get("tools", [tool])]
    assert [declaration["name"] for declaration in declarations] == names
    for declaration in declarations:
        assert keywords_outside_the_subset(declaration.get("parameters", {})) == [], declaration["name"]


def test_a_claude_code_history_pairs_every_function_response_with_its_call_by_name_and_id():
    body = encode_request(decode_anthropic(copy.deepcopy(CLAUDE_CODE)), OPTIONS).body
    calls = {part["functionCall"]["id"]: part["functionCall"]["name"]
             for content in body["contents"] for part in content["parts"] if "functionCall" in part}
    responses = [part["functionResponse"] for content in body["contents"] for part in content["parts"] if "functionResponse" in part]
    assert responses and all(calls[response["id"]] == response["name"] for response in responses)
    for content in body["contents"]:
        if content["role"] == "model":
            first_call = next(part for part in content["parts"] if "functionCall" in part)
            assert first_call["thoughtSignature"] == UNSIGNED_CALL_SIGNATURE  # Anthropic signed none
            others = [part for part in content["parts"] if "functionCall" in part][1:]
            assert all("thoughtSignature" not in part for part in others)


def test_an_openai_chat_request_encodes_for_gemini():
    body = {
        "model": "gemini-2.5-flash",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                         {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_9", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\": \"png\"}"}},
            ]},
            {"role": "tool", "tool_call_id": "call_9", "content": "an image format"},
        ],
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {
            "type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"], "additionalProperties": False}}}],
        "tool_choice": {"type": "function", "function": {"name": "lookup"}},
        "response_format": {"type": "json_schema", "json_schema": {"name": "r", "schema": {"type": "object", "properties": {"a": {"const": "x"}}}}},
        "reasoning_effort": "low", "temperature": 2.5, "stop": ["END", ""], "max_tokens": 50, "seed": 3, "stream": True,
    }
    encoded = encode_request(decode_openai(body), OPTIONS)
    assert encoded.body == {
        "model": "gemini-2.5-flash",
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "what is this?"}, {"inlineData": {"mimeType": "image/png", "data": PNG}}]},
            {"role": "model", "parts": [{"functionCall": {"id": "call_9", "name": "lookup", "args": {"q": "png"}},
                                         "thoughtSignature": UNSIGNED_CALL_SIGNATURE}]},
            {"role": "user", "parts": [{"functionResponse": {"id": "call_9", "name": "lookup", "response": {"output": "an image format"}}}]},
        ],
        "tools": [{"functionDeclarations": [{"name": "lookup", "parameters": {
            "type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}]}],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["lookup"]}},
        "generationConfig": {
            "maxOutputTokens": 50, "temperature": 2.0, "stopSequences": ["END"], "seed": 3,
            "responseMimeType": "application/json",
            "responseSchema": {"type": "object", "properties": {"a": {"type": "string", "enum": ["x"]}}},
            "thinkingConfig": {"thinkingBudget": 2048, "includeThoughts": True},
        },
        "stream": True,
    }
    assert encoded.dropped == []


def test_a_responses_request_encodes_for_gemini():
    body = {
        "model": "gemini-2.5-pro", "instructions": "You are Codex.",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "patch it"}]},
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "plan"}], "encrypted_content": "gAAAA-openai"},
            {"type": "custom_tool_call", "name": "apply_patch", "input": "*** Begin Patch", "call_id": "call_1"},
            {"type": "custom_tool_call_output", "call_id": "call_1", "output": "Done"},
        ],
        "tools": [{"type": "custom", "name": "apply_patch", "description": "Edits files."}],
        "reasoning": {"effort": "high", "summary": "auto"}, "store": False, "prompt_cache_key": "k",
    }
    encoded = encode_request(decode_responses(body), OPTIONS)
    assert encoded.body["contents"] == [
        {"role": "user", "parts": [{"text": "patch it"}]},
        {"role": "model", "parts": [{"functionCall": {"id": "call_1", "name": "apply_patch", "args": {"input": "*** Begin Patch"}},
                                     "thoughtSignature": UNSIGNED_CALL_SIGNATURE}]},
        {"role": "user", "parts": [{"functionResponse": {"id": "call_1", "name": "apply_patch", "response": {"output": "Done"}}}]},
    ]
    (declaration,) = encoded.body["tools"][0]["functionDeclarations"]
    assert declaration["parameters"] == {
        "type": "object", "properties": {"input": {"type": "string", "description": "The tool's input, as free-form text."}}, "required": ["input"],
    }
    assert encoded.body["generationConfig"] == {"thinkingConfig": {"thinkingBudget": 16384, "includeThoughts": True}}
    assert encoded.dropped == ["thinking of another protocol (input[1])", "store", "prompt_cache_key"]


def signed_history(*assistant_blocks) -> Request:
    return Request("gemini-2.5-pro", [
        Turn("user", [Text("go")]),
        Turn("assistant", list(assistant_blocks)),
    ])


def model_parts(request: Request) -> list[dict]:
    return encode_request(request, OPTIONS).body["contents"][1]["parts"]


def test_a_calls_own_signature_goes_on_its_part():
    parts = model_parts(signed_history(ToolCall("c1", "f", {}, signature="OWN"), ToolCall("c2", "g", {})))
    assert parts == [
        {"functionCall": {"id": "c1", "name": "f", "args": {}}, "thoughtSignature": "OWN"},
        {"functionCall": {"id": "c2", "name": "g", "args": {}}},
    ]


def test_a_carried_signature_goes_on_the_next_unsigned_call_and_empty_thinking_is_not_sent():
    parts = model_parts(signed_history(Thinking("", carried("CARRIED")), Text("Calling."), ToolCall("c1", "f", {"a": 1})))
    assert parts == [
        {"text": "Calling."},
        {"functionCall": {"id": "c1", "name": "f", "args": {"a": 1}}, "thoughtSignature": "CARRIED"},
    ]


def test_a_carried_signature_with_thinking_text_is_a_thought_part_and_the_call_gets_the_signature():
    parts = model_parts(signed_history(Thinking("why", carried("CARRIED")), ToolCall("c1", "f", {}), ToolCall("c2", "f", {})))
    assert parts == [
        {"text": "why", "thought": True},
        {"functionCall": {"id": "c1", "name": "f", "args": {}}, "thoughtSignature": "CARRIED"},
        {"functionCall": {"id": "c2", "name": "f", "args": {}}},
    ]


def test_a_carried_signature_stays_on_its_thought_when_the_call_has_its_own_and_goes_to_text_without_calls():
    assert model_parts(signed_history(Thinking("why", carried("T")), ToolCall("c1", "f", {}, signature="OWN"))) == [
        {"text": "why", "thought": True, "thoughtSignature": "T"},
        {"functionCall": {"id": "c1", "name": "f", "args": {}}, "thoughtSignature": "OWN"},
    ]
    assert model_parts(signed_history(Thinking("", carried("T")), Text("Answer."))) == [{"text": "Answer.", "thoughtSignature": "T"}]


def test_thinking_of_other_protocols_is_not_sent_and_is_named():
    from anyrouter_core.neutral import RedactedThinking

    request = signed_history(Thinking("mine", "anthropic-sig", "messages.1.content.0"),
                             RedactedThinking("xx", "messages.1.content.1"), Text("Hi."))
    encoded = encode_request(request, OPTIONS)
    assert encoded.body["contents"][1]["parts"] == [{"text": "Hi."}]
    assert encoded.dropped == ["thinking of another protocol (messages.1.content.0, messages.1.content.1)"]


def test_a_tool_result_with_an_error_and_an_image():
    request = Request("m", [
        Turn("user", [Text("shoot")]),
        Turn("assistant", [ToolCall("t1", "screenshot", {})]),
        Turn("user", [ToolResult("t1", [Text("failed"), Image("base64", media_type="image/png", data=PNG)], is_error=True),
                      Text("and now?")]),
    ])
    assert encode_request(request, OPTIONS).body["contents"][2] == {"role": "user", "parts": [
        {"functionResponse": {"id": "t1", "name": "screenshot", "response": {"error": "failed"}}},
        {"inlineData": {"mimeType": "image/png", "data": PNG}},
        {"text": "and now?"},
    ]}


def test_a_tool_result_for_no_earlier_call_is_refused():
    request = Request("m", [Turn("user", [ToolResult("ghost", [Text("x")], path="messages.0.content.0")])])
    assert encoding_rejection(request) == (
        "messages.0.content.0: the tool result for call 'ghost' follows no call with that id; "
        "a Gemini upstream needs the name of the function it answers"
    )


def test_system_turns_join_the_system_instruction_and_same_roles_merge():
    request = Request("m", [
        Turn("user", [Text("a")]), Turn("system", [Text("mid-way rule")]), Turn("user", [Text("b")]),
        Turn("assistant", [Text("c")]), Turn("assistant", [Text("")]),
    ], system=[Text("top rule"), Text("")])
    body = encode_request(request, OPTIONS).body
    assert body["systemInstruction"] == {"parts": [{"text": "top rule"}, {"text": "mid-way rule"}]}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "a"}, {"text": "b"}]},
        {"role": "model", "parts": [{"text": "c"}]},
    ]


def test_a_request_with_no_turn_gets_a_placeholder_user_turn():
    body = encode_request(Request("m", [Turn("system", [Text("only rules")])]), OPTIONS).body
    assert body["contents"] == [{"role": "user", "parts": [{"text": "."}]}]


def test_documents_and_urls():
    request = Request("m", [Turn("user", [
        Document("base64", media_type="application/pdf", data=PDF, title="a.pdf"),
        Document("text", data="notes", media_type="text/plain"),
        Document("url", url="https://example.com/b.pdf"),
        Image("url", url="https://example.com/c.webp"),
        Image("url", url="https://example.com/image"),
    ])])
    assert encode_request(request, OPTIONS).body["contents"][0]["parts"] == [
        {"text": "a.pdf"}, {"inlineData": {"mimeType": "application/pdf", "data": PDF}},
        {"inlineData": {"mimeType": "text/plain", "data": "bm90ZXM="}},
        {"fileData": {"mimeType": "application/pdf", "fileUri": "https://example.com/b.pdf"}},
        {"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/c.webp"}},
        {"fileData": {"fileUri": "https://example.com/image"}},
    ]


def test_what_cannot_be_sent_is_refused():
    assert encoding_rejection(Request("m", [Turn("user", [Image("file", file_id="file-1", path="messages[0].content[0]")])])) == (
        "messages[0].content[0]: the image is a file uploaded to a provider ('file-1'), which a Gemini upstream cannot read; send the data as base64"
    )
    opaque = Opaque("server_tool_use", {}, "anthropic", "messages.1.content.0")
    assert encoding_rejection(signed_history(opaque)) == (
        "messages.1.content.0.type: 'server_tool_use' content in an assistant turn cannot be sent to a Gemini upstream"
    )


@pytest.mark.parametrize(("field", "value", "message"), [
    ("choices", 2, "n: only one choice (n=1) can be generated by a Gemini upstream"),
    ("logprobs", True, "logprobs: log probabilities are not available from a Gemini upstream"),
    ("audio_output", True, "audio_output: audio output is not available from a Gemini upstream"),
])
def test_what_one_answer_cannot_be_is_refused(field, value, message):
    request = Request("m", [Turn("user", [Text("x")])], names={"choices": "n"})
    setattr(request, field, value)
    assert encoding_rejection(request) == message


@pytest.mark.parametrize(("reasoning", "config"), [
    (Reasoning("enabled", budget=5000), {"thinkingBudget": 5000, "includeThoughts": True}),
    (Reasoning("disabled", effort="high"), {"thinkingBudget": 0}),
    (Reasoning("adaptive"), {"thinkingBudget": -1, "includeThoughts": True}),
    (Reasoning("adaptive", effort="max"), {"thinkingBudget": 24576, "includeThoughts": True}),
    (Reasoning(effort="minimal"), {"thinkingBudget": 1024, "includeThoughts": True}),
    (Reasoning(summary="auto"), {"includeThoughts": True}),
])
def test_thinking_config_from_neutral_reasoning(reasoning, config):
    request = Request("m", [Turn("user", [Text("x")])], reasoning=reasoning)
    assert encode_request(request, OPTIONS).body["generationConfig"] == {"thinkingConfig": config}


@pytest.mark.parametrize(("model", "reasoning", "budget", "dropped"), [
    ("gemini-2.5-pro", Reasoning("disabled"), 128, ["thinking budget 0 (gemini-2.5-pro thinks at least 128 tokens)"]),
    ("models/gemini-3-pro-preview", Reasoning("enabled", budget=64), 128,
     ["thinking budget 64 (models/gemini-3-pro-preview thinks at least 128 tokens)"]),
    ("gemini-2.5-pro", Reasoning("enabled", budget=128), 128, []),
    ("gemini-2.5-pro", Reasoning("adaptive"), -1, []),
    ("gemini-2.5-flash", Reasoning("disabled"), 0, []),
])
def test_a_pro_model_that_cannot_stop_thinking_gets_the_least_budget(model, reasoning, budget, dropped):
    request = Request(model, [Turn("user", [Text("x")])], reasoning=reasoning, protocol="anthropic")
    encoded = encode_request(request, OPTIONS)
    assert encoded.body["generationConfig"]["thinkingConfig"]["thinkingBudget"] == budget
    assert encoded.dropped == dropped


def test_tool_choice_and_tools_without_a_gemini_form():
    tools = [Tool("f", schema={"type": "object", "properties": {}}), Tool("web_search", kind="web_search_20250305", raw={})]
    request = Request("m", [Turn("user", [Text("x")])], tools=tools, tool_choice=ToolChoice("required"), parallel_tool_calls=False)
    encoded = encode_request(request, OPTIONS)
    assert encoded.body["tools"] == [{"functionDeclarations": [{"name": "f"}]}]
    assert encoded.body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert encoded.dropped == ["tools.web_search (web_search_20250305)", "parallel_tool_calls"]
    only_server = Request("m", [Turn("user", [Text("x")])], tools=tools[1:], tool_choice=ToolChoice("auto"))
    assert "toolConfig" not in encode_request(only_server, OPTIONS).body
    only_server.tool_choice = ToolChoice("tool", "web_search")
    assert encoding_rejection(only_server) == "tool_choice: no client tool named 'web_search' can be sent to a Gemini upstream"


def test_no_output_limit_unless_the_client_gave_one():
    assert "generationConfig" not in encode_request(Request("m", [Turn("user", [Text("x")])]), EncodeOptions(default_max_tokens=9)).body


def test_a_gemini_request_decoded_and_encoded_again_is_the_same():
    original = {
        "model": "gemini-2.5-pro", "stream": True,
        "systemInstruction": {"parts": [{"text": "sys"}]},
        "contents": [
            {"role": "user", "parts": [{"text": "hi"}, {"inlineData": {"mimeType": "image/png", "data": PNG}}]},
            {"role": "model", "parts": [
                {"text": "hmm", "thought": True, "thoughtSignature": "T1"},
                {"text": "Reading.", "thoughtSignature": "T2"},
                {"functionCall": {"id": "c1", "name": "read", "args": {"p": "a"}}, "thoughtSignature": "S1"},
                {"functionCall": {"id": "c2", "name": "read", "args": {"p": "b"}}},
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"id": "c1", "name": "read", "response": {"output": "A"}}},
                {"functionResponse": {"id": "c2", "name": "read", "response": {"error": "no such file"}}},
            ]},
        ],
        "tools": [{"functionDeclarations": [{"name": "read", "parameters": {"type": "OBJECT", "properties": {"p": {"type": "STRING"}}}}]}],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}, "retrievalConfig": {"languageCode": "en"}},
        "generationConfig": {
            "maxOutputTokens": 99, "temperature": 0.3, "topP": 0.8, "topK": 20, "stopSequences": ["Z"], "seed": 1,
            "responseMimeType": "application/json", "responseJsonSchema": {"type": "object", "additionalProperties": False},
            "thinkingConfig": {"thinkingLevel": "low", "includeThoughts": True},
        },
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        "labels": {"a": "b"},
    }
    encoded = encode_request(decode_request(copy.deepcopy(original)), OPTIONS)
    assert encoded.body == original
    assert encoded.dropped == []


# ---------------------------------------------------------------- Gemini signatures and other upstreams


def gemini_signed_anthropic_history() -> dict:
    """An Anthropic client's replay of an answer that came from Gemini: the signature-only
    thinking block the proxy gave it, then the call."""
    return {
        "model": "claude-sonnet-4-5", "max_tokens": 100, "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "", "signature": carried("G-SIG")},
                {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
            ]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]},
        ],
    }


def test_gemini_signed_thinking_goes_back_to_a_gemini_upstream_on_the_call():
    body = encode_request(decode_anthropic(gemini_signed_anthropic_history()), OPTIONS).body
    assert body["contents"][1]["parts"] == [
        {"functionCall": {"id": "toolu_1", "name": "f", "args": {}}, "thoughtSignature": "G-SIG"},
    ]


def test_an_anthropic_upstream_never_gets_a_gemini_signature():
    request = decode_anthropic(gemini_signed_anthropic_history())
    request.protocol = "openai"  # as if translated: the policies of another client apply
    encoded = encode_anthropic(request, OPTIONS)
    assert encoded.body["messages"][1]["content"] == [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]
    assert "thinking signed by Gemini (messages.1.content.0)" in encoded.dropped
    assert "thinking" not in encoded.body  # the call has no signed thinking before it now


def test_an_anthropic_client_s_own_request_to_anthropic_leaves_gemini_thinking_out_too():
    encoded = encode_anthropic(decode_anthropic(gemini_signed_anthropic_history()), OPTIONS)
    assert [block["type"] for block in encoded.body["messages"][1]["content"]] == ["tool_use"]
    assert encoded.dropped == ["thinking signed by Gemini (messages.1.content.0)"]


def test_a_responses_upstream_never_gets_a_gemini_signature():
    gemini = decode_request(with_contents(user({"text": "go"}), model(
        {"text": "plan", "thought": True, "thoughtSignature": "G"}, {"text": "Done."})))
    encoded = encode_responses(gemini, OPTIONS)
    assert [item.get("type", "message") for item in encoded.body["input"]] == ["message", "message"]
    assert encoded.dropped[0] == "thinking signed by Gemini (contents[1].parts[0])"
    codex = {"model": "gpt-5", "input": [
        {"role": "user", "content": "go"},
        {"type": "reasoning", "summary": [], "encrypted_content": carried("G")},
        {"role": "assistant", "content": [{"type": "output_text", "text": "Done."}]},
    ]}
    own = encode_responses(decode_responses(codex), OPTIONS)
    assert all(item.get("type") != "reasoning" for item in own.body["input"])
    assert own.dropped == ["thinking signed by Gemini (input[1])"]


# ---------------------------------------------------------------- input-token estimate


def test_the_estimate_counts_every_part_of_a_gemini_request_and_errs_high():
    body = gemini_cli_request()
    estimate = estimate_input_tokens(body)
    longer = copy.deepcopy(body)
    longer["contents"][0]["parts"][0]["text"] += "x" * 300
    assert estimate_input_tokens(longer) == estimate + 100  # 3 ASCII characters a token
    with_image = copy.deepcopy(body)
    with_image["contents"][0]["parts"].append({"inline_data": {"mime_type": "image/png", "data": PNG}})
    assert estimate_input_tokens(with_image) == estimate + 1600
    assert estimate_input_tokens({"generateContentRequest": body}) == estimate


@pytest.mark.parametrize("body", [None, [], {"contents": "x"}, {"contents": [1, {"parts": [None, {"functionCall": 3}]}]}, {"tools": [{"x": 1}]}])
def test_the_estimate_never_raises(body):
    assert estimate_input_tokens(body) >= 16


# ---------------------------------------------------------------- the sampling seed


def seeded_gemini_request() -> dict:
    return {"model": "gemini-2.5-flash", "contents": [{"role": "user", "parts": [{"text": "roll a die"}]}],
            "generationConfig": {"temperature": 1, "seed": 42}}


def test_a_gemini_clients_seed_is_the_seed_of_a_chat_upstream():
    from openai.types.chat import completion_create_params
    from pydantic import TypeAdapter

    from anyrouter_core.translation import translate_request

    encoded = translate_request("gemini", "openai", seeded_gemini_request(), OPTIONS)
    TypeAdapter(completion_create_params.CompletionCreateParamsNonStreaming).validate_python(encoded.body)
    assert (encoded.body["seed"], encoded.body["temperature"], encoded.dropped) == (42, 1, [])


@pytest.mark.parametrize("upstream", ["anthropic", "responses"])
def test_a_gemini_clients_seed_is_dropped_and_named_before_upstreams_without_one(upstream):
    from anyrouter_core.translation import translate_request
    from unit.checks_openai_to_anthropic import assert_valid_anthropic_request
    from unit.responses_checks import assert_valid_request

    encoded = translate_request("gemini", upstream, seeded_gemini_request(), OPTIONS)
    (assert_valid_anthropic_request if upstream == "anthropic" else assert_valid_request)(encoded.body)
    assert "seed" not in json.dumps(encoded.body)
    assert encoded.dropped == ["generationConfig.seed"]


def test_a_chat_clients_seed_is_generation_config_seed_for_gemini_and_back():
    chat = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "roll a die"}], "seed": 7}
    encoded = encode_request(decode_openai(chat), OPTIONS)
    assert (encoded.body["generationConfig"], encoded.dropped) == ({"seed": 7}, [])
    assert decode_request(encoded.body).seed == 7


@pytest.mark.parametrize(("decode", "body", "message"), [
    (decode_request, with_contents(user({"text": "x"}), generationConfig={"seed": "7"}), "generationConfig.seed: must be an integer"),
    (decode_openai, {"model": "m", "messages": [{"role": "user", "content": "x"}], "seed": 1.5}, "seed: must be an integer"),
])
def test_a_seed_that_is_not_an_integer_is_refused_by_name(decode, body, message):
    with pytest.raises(RequestRejected) as raised:
        decode(body)
    assert raised.value.error.message == message


def test_a_dynamic_budget_beside_a_forced_function_reaches_anthropic_without_thinking():
    # Found by fuzzing: adaptive thinking went out beside tool_choice "tool", which Anthropic refuses.
    body = {
        "model": "gemini-2.5-pro", "contents": [{"role": "user", "parts": [{"text": "weather?"}]}],
        "tools": [{"functionDeclarations": [{"name": "weather", "parameters": {"type": "OBJECT"}}]}],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["weather"]}},
        "generationConfig": {"thinkingConfig": {"thinkingBudget": -1}},
    }
    encoded = encode_anthropic(decode_request(body), OPTIONS)
    assert "thinking" not in encoded.body
    assert encoded.body["tool_choice"] == {"type": "tool", "name": "weather"}
    assert encoded.dropped == ["generationConfig.thinkingConfig"]


@pytest.mark.parametrize("contents, message", [
    ([{"role": "user", "parts": []}], "contents[0].parts: must not be empty"),
    ([{"role": "user", "parts": [{"text": "go"}]},
      {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]},
      {"role": "user", "parts": [{"text": "never mind"}]}],
     "contents[1].parts[0]: the functionCall 'f' is answered by no functionResponse in the user turn after it"),
    ([{"role": "user", "parts": [{"text": "go"}]}, {"role": "model", "parts": [{"functionCall": {"name": "f"}}]}],
     "contents[1].parts[0]: the functionCall 'f' is answered by no functionResponse in the user turn after it"),
])
def test_empty_turns_and_calls_left_unanswered_are_refused_as_gemini_refuses_them(contents, message):
    with pytest.raises(RequestRejected) as rejected:
        decode_request({"model": "gemini-2.5-pro", "contents": contents})
    assert rejected.value.error.message == message


def test_text_of_any_type_reaches_anthropic_as_plain_text():
    csv = "city,temp\nParis,21\n"
    body = {"model": "gemini-2.5-pro", "contents": [{"role": "user", "parts": [
        {"text": "read"}, {"inlineData": {"mimeType": "text/csv", "data": base64.b64encode(csv.encode()).decode()}}]}]}
    [turn] = encode_anthropic(decode_request(body), OPTIONS).body["messages"]
    assert turn["content"][1] == {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": csv}}


def test_a_dynamic_budget_stays_adaptive_in_a_tool_round_toward_anthropic():
    # Adaptive thinking may skip a turn: a call without a thinking block before it is no reason to drop it.
    body = with_contents(user({"text": "weather?"}), model({"functionCall": {"name": "weather", "args": {}}}),
                         user({"functionResponse": {"name": "weather", "response": {"output": "sunny"}}}),
                         tools=[{"functionDeclarations": [{"name": "weather"}]}],
                         generationConfig={"thinkingConfig": {"thinkingBudget": -1}})
    encoded = encode_anthropic(decode_request(body), OPTIONS)
    assert encoded.body["thinking"] == {"type": "adaptive"}
    assert encoded.dropped == []


def test_an_image_jpg_reaches_anthropic_as_image_jpeg():
    body = with_contents(user({"text": "see"}, {"inlineData": {"mimeType": "image/jpg", "data": "/9j/4AAQ"}}))
    [turn] = encode_anthropic(decode_request(body), OPTIONS).body["messages"]
    assert turn["content"][1]["source"] == {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}
