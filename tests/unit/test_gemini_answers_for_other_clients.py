"""Gemini answers and streams, built with google-genai's own types, as Anthropic, Chat
Completions and Responses clients get them, each read with its SDK's own types and stream
accumulator: how every finishReason and a blocked prompt end the answer, and the ids of
parallel calls that Gemini sends without any."""

from __future__ import annotations

import json

import anthropic.types
import pytest
from google.genai import types
from openai.types.chat import ChatCompletion

from anyrouter_core.codecs.base import EncodeOptions, Exchange
from anyrouter_core.codecs.gemini.request_encode import UNSIGNED_CALL_SIGNATURE
from anyrouter_core.codecs.gemini.thought_signatures import carried
from anyrouter_core.translation import Direction
from anthropic_stream_checks import check_anthropic_stream
from unit import responses_checks
from unit.checks_openai_to_anthropic import accumulate as accumulate_chat
from unit.checks_openai_to_anthropic import read_openai_stream

MODEL = "gemini-2.5-flash"
CLIENTS = ("anthropic", "openai", "responses")
USAGE = types.GenerateContentResponseUsageMetadata(prompt_token_count=7, candidates_token_count=3, total_token_count=10)
# Gemini's reasons for content it withheld (google-genai 3.6.1's FinishReason).
WITHHELD = (
    "SAFETY", "RECITATION", "LANGUAGE", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR", "ESCALATION", "PUP_LIMITED_DISABLED",
)


def gemini_chunk(parts: list[types.Part], finish: str | None = None, **fields) -> dict:
    """A GenerateContentResponse (a whole answer or one chunk of a stream) as Gemini sends it."""
    candidate = types.Candidate(
        content=types.Content(role="model", parts=parts) if parts else None,
        finish_reason=types.FinishReason(finish) if finish else None, index=0)
    return types.GenerateContentResponse(
        candidates=[candidate], usage_metadata=USAGE, model_version=MODEL, response_id="r1", **fields,
    ).model_dump(mode="json", by_alias=True, exclude_none=True)


def blocked_prompt(reason: str) -> dict:
    """Gemini's answer to a prompt it blocked: no candidate, only the feedback."""
    return types.GenerateContentResponse(
        prompt_feedback=types.GenerateContentResponsePromptFeedback(block_reason=types.BlockedReason(reason)),
        usage_metadata=types.GenerateContentResponseUsageMetadata(prompt_token_count=7, total_token_count=7),
        model_version=MODEL, response_id="r1",
    ).model_dump(mode="json", by_alias=True, exclude_none=True)


def sse_events(chunks: list[dict]) -> list[bytes]:
    return [b"data: " + json.dumps(chunk).encode() + b"\r\n\r\n" for chunk in chunks]


def text(value: str) -> types.Part:
    return types.Part(text=value)


def call(path: str) -> types.Part:
    return types.Part(function_call=types.FunctionCall(name="read", args={"path": path}))


# ---------------------------------------------------------------- each client's reading


def client_answer(client: str, body: dict):
    """The client's answer to Gemini's `body`, as its SDK's type."""
    translated = Direction(client, "gemini").translate_answer(body, Exchange(model=MODEL, stream=False))
    if client == "anthropic":
        return anthropic.types.Message.model_validate(translated)
    if client == "openai":
        return ChatCompletion.model_validate(translated)
    return responses_checks.validated_response(translated)


def client_stream(client: str, chunks: list[dict]):
    """What the client's SDK accumulates from the stream made of Gemini's `chunks`, each fed
    apart as they arrive."""
    translator = Direction(client, "gemini").stream_translator(Exchange(model=MODEL, stream=True))
    body = b"".join(translator.feed(event) for event in sse_events(chunks)) + translator.end()
    if client == "anthropic":
        return check_anthropic_stream(body).message
    if client == "openai":
        chunks_read, ending = read_openai_stream(body)
        assert ending == "[DONE]"
        return accumulate_chat(chunks_read)
    return responses_checks.accumulate(responses_checks.stream_events(body))


def how_it_ended(client: str, answer) -> object:
    """The client's word for why the answer ended."""
    if client == "anthropic":
        return answer.stop_reason
    if client == "openai":
        return answer.choices[0].finish_reason
    details = answer.incomplete_details
    return answer.status, details.reason if details else None


def read_both_ways(client: str, chunks: list[dict], answer: dict):
    """The client's answer to Gemini's whole `answer`, and to the stream of `chunks`."""
    return client_answer(client, answer), client_stream(client, chunks)


def texts(client: str, answer) -> str:
    if client == "anthropic":
        return "".join(block.text for block in answer.content if block.type == "text")
    if client == "openai":
        return answer.choices[0].message.content or ""
    return answer.output_text


# ---------------------------------------------------------------- how answers end

ENDINGS = {
    "STOP": {"anthropic": "end_turn", "openai": "stop", "responses": ("completed", None)},
    "MAX_TOKENS": {"anthropic": "max_tokens", "openai": "length", "responses": ("incomplete", "max_output_tokens")},
    "CONTINUATION": {"anthropic": "max_tokens", "openai": "length", "responses": ("incomplete", "max_output_tokens")},
    **{reason: {"anthropic": "refusal", "openai": "content_filter", "responses": ("incomplete", "content_filter")}
       for reason in WITHHELD},
}


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("finish", sorted(ENDINGS))
def test_each_finish_reason_is_the_clients_own_stop_in_answers_and_streams(client, finish):
    chunks = [gemini_chunk([text("Once upon")]), gemini_chunk([text(" a time")], finish)]
    whole = gemini_chunk([text("Once upon a time")], finish)
    for answer in read_both_ways(client, chunks, whole):
        assert how_it_ended(client, answer) == ENDINGS[finish][client]
        assert texts(client, answer) == "Once upon a time"


@pytest.mark.parametrize("client", CLIENTS)
def test_a_candidate_withheld_before_any_text_is_an_empty_filtered_answer(client):
    # Gemini then sends the finishReason and the ratings, without content.
    withheld = gemini_chunk([], "SAFETY")
    for answer in read_both_ways(client, [withheld], withheld):
        assert how_it_ended(client, answer) == ENDINGS["SAFETY"][client]
        assert texts(client, answer) == ""


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("reason", ["SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY", "JAILBREAK"])
def test_a_blocked_prompt_is_an_empty_answer_stopped_by_the_content_filter(client, reason):
    blocked = blocked_prompt(reason)
    for answer in read_both_ways(client, [blocked], blocked):
        assert how_it_ended(client, answer) == ENDINGS["SAFETY"][client]
        assert texts(client, answer) == ""
    if client == "anthropic":
        assert client_answer(client, blocked).content == []
    elif client == "responses":
        assert client_answer(client, blocked).output == []


@pytest.mark.parametrize("stream", [False, True])
def test_a_refusal_the_model_wrote_stays_a_completed_response_with_its_refusal_part(stream):
    # What OpenAI answers when its model refuses: the words of the refusal, status completed.
    chat_refusal = {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-x",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": None, "refusal": "I can't."}}],
    }
    direction = Direction("responses", "openai")
    exchange = Exchange(model="gpt-x", stream=stream)
    if stream:
        answer = responses_checks.accumulate(responses_checks.stream_events(direction.stream_from_answer(chat_refusal, exchange)))
    else:
        answer = responses_checks.validated_response(direction.translate_answer(chat_refusal, exchange))
    assert (answer.status, answer.incomplete_details) == ("completed", None)
    assert [part.refusal for part in answer.output[0].content] == ["I can't."]


def test_the_responses_stream_of_a_filtered_answer_ends_with_response_incomplete():
    translator = Direction("responses", "gemini").stream_translator(Exchange(model=MODEL, stream=True))
    body = b"".join(map(translator.feed, sse_events([gemini_chunk([text("Once")]), gemini_chunk([], "RECITATION")])))
    body += translator.end()
    last = responses_checks.stream_events(body)[-1]
    assert last["type"] == "response.incomplete"
    assert (last["response"]["status"], last["response"]["incomplete_details"]) == ("incomplete", {"reason": "content_filter"})


# ---------------------------------------------------------------- parallel calls

SIGNATURE = "c2lnLWE="  # b"sig-a", as Gemini's JSON carries a thoughtSignature


def signed_call(path: str) -> types.Part:
    return types.Part(function_call=types.FunctionCall(name="read", args={"path": path}), thought_signature=b"sig-a")


def parallel_call_chunks() -> list[dict]:
    """Two parallel calls, one per chunk, without ids; Gemini signs the first one only."""
    return [gemini_chunk([signed_call("a")]), gemini_chunk([call("b")], "STOP")]


def parallel_call_answer() -> dict:
    return gemini_chunk([signed_call("a"), call("b")], "STOP")


def call_ids(client: str, answer) -> list[str]:
    if client == "anthropic":
        return [block.id for block in answer.content if block.type == "tool_use"]
    if client == "openai":
        return [tool_call.id for tool_call in answer.choices[0].message.tool_calls]
    return [item.call_id for item in answer.output if item.type == "function_call"]


def replayed(client: str, answer) -> dict:
    """The client's next request: its history holds the answer as its SDK read it, and the
    result of each call."""
    ids = call_ids(client, answer)
    if client == "anthropic":
        return {"model": MODEL, "max_tokens": 100, "messages": [
            {"role": "user", "content": "read a and b"},
            {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in answer.content]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": call_id, "content": f"file {n}"} for n, call_id in enumerate(ids)]},
        ]}
    if client == "openai":
        message = answer.choices[0].message
        return {"model": MODEL, "messages": [
            {"role": "user", "content": "read a and b"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}}
                for c in message.tool_calls]},
            *({"role": "tool", "tool_call_id": call_id, "content": f"file {n}"} for n, call_id in enumerate(ids)),
        ]}
    return {"model": MODEL, "input": [
        {"role": "user", "content": "read a and b"},
        *(item.model_dump(exclude_none=True) for item in answer.output),
        *({"type": "function_call_output", "call_id": call_id, "output": f"file {n}"} for n, call_id in enumerate(ids)),
    ]}


def gemini_request(client: str, body: dict) -> dict:
    return Direction(client, "gemini").translate_request(body, EncodeOptions()).body


@pytest.mark.parametrize("client", CLIENTS)
def test_parallel_calls_streamed_one_per_chunk_without_ids_each_get_their_own_id(client):
    for answer in read_both_ways(client, parallel_call_chunks(), parallel_call_answer()):
        ids = call_ids(client, answer)
        assert len(ids) == 2 and len(set(ids)) == 2 and all(ids)
        assert how_it_ended(client, answer) == {
            "anthropic": "tool_use", "openai": "tool_calls", "responses": ("completed", None)}[client]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("stream", [False, True])
def test_replayed_parallel_calls_reach_gemini_with_their_ids_each_answered_by_its_result(client, stream):
    answer = client_stream(client, parallel_call_chunks()) if stream else client_answer(client, parallel_call_answer())
    ids = call_ids(client, answer)
    contents = gemini_request(client, replayed(client, answer))["contents"]
    assert [content["role"] for content in contents] == ["user", "model", "user"]
    # Anthropic and Responses clients keep Gemini's signature (a thinking block, a reasoning
    # item); a Chat client has nowhere to, so without the proxy's memory the call goes unsigned.
    first_signature = UNSIGNED_CALL_SIGNATURE if client == "openai" else SIGNATURE
    assert contents[1]["parts"] == [
        {"functionCall": {"id": ids[0], "name": "read", "args": {"path": "a"}}, "thoughtSignature": first_signature},
        {"functionCall": {"id": ids[1], "name": "read", "args": {"path": "b"}}},
    ]
    assert [part["functionResponse"] for part in contents[2]["parts"]] == [
        {"id": ids[0], "name": "read", "response": {"output": "file 0"}},
        {"id": ids[1], "name": "read", "response": {"output": "file 1"}},
    ]


# ---------------------------------------------------------------- signatures in reasoning items


@pytest.mark.parametrize("stream", [False, True])
def test_a_signed_call_reaches_a_responses_client_after_a_reasoning_item_carrying_the_signature(stream):
    answer = client_stream("responses", parallel_call_chunks()) if stream else client_answer("responses", parallel_call_answer())
    assert [item.type for item in answer.output] == ["reasoning", "function_call", "function_call"]
    reasoning = answer.output[0]
    assert (reasoning.encrypted_content, reasoning.summary) == (carried(SIGNATURE), [])


def test_a_reasoning_item_carrying_a_gemini_signature_signs_the_call_after_it():
    # What Codex sends back (store: false): the reasoning item without its id.
    body = {"model": MODEL, "store": False, "input": [
        {"role": "user", "content": "read a"},
        {"type": "reasoning", "summary": [], "encrypted_content": carried("U0lH")},
        {"type": "function_call", "call_id": "call_1", "name": "read", "arguments": "{\"path\":\"a\"}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "file a"},
    ]}
    responses_checks.assert_valid_request(body)
    assert gemini_request("responses", body)["contents"][1:] == [
        {"role": "model", "parts": [
            {"functionCall": {"id": "call_1", "name": "read", "args": {"path": "a"}}, "thoughtSignature": "U0lH"}]},
        {"role": "user", "parts": [{"functionResponse": {"id": "call_1", "name": "read", "response": {"output": "file a"}}}]},
    ]
