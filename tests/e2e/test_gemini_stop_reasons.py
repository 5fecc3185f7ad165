"""How a Gemini answer ends, as Anthropic, Chat Completions and Responses clients get it: their
SDKs through a real mitmdump with `upstream_protocol=gemini`, in front of aimock's Gemini
endpoint (behind the recording relay), which ends its answers with the finishReason its
fixture names (tests/fixtures/aimock/gemini_stop_reasons.json): SAFETY, RECITATION and
MAX_TOKENS, answered whole and streamed. The answers are read with each SDK's own types and
stream accumulators; the relay shows the Gemini path the proxy called."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from anthropic_stream_checks import check_anthropic_stream
from unit import responses_checks
from unit.checks_openai_to_anthropic import accumulate as accumulate_chat
from unit.checks_openai_to_anthropic import read_openai_stream

MODEL = "gemini-2.5-flash"
KEY = "AIza-gstop-client-0001"
# prompt → (the text aimock sends before it stops, each client's word for the stop)
ENDINGS = {
    "gstop filtered by safety": ("The first words before the filter", {
        "anthropic": "refusal", "openai": "content_filter", "responses": ("incomplete", "content_filter")}),
    "gstop stopped for recitation": ("A line it would have quoted", {
        "anthropic": "refusal", "openai": "content_filter", "responses": ("incomplete", "content_filter")}),
    "gstop hits the limit": ("This answer stops at the token lim", {
        "anthropic": "max_tokens", "openai": "length", "responses": ("incomplete", "max_output_tokens")}),
}


@pytest.fixture(scope="module")
def to_gemini(start_proxy, relay):
    return start_proxy(relay.url, upstream_protocol="gemini")


def anthropic_answer(proxy, prompt: str, stream: bool) -> tuple[str, str]:
    client = anthropic.Anthropic(base_url=proxy.url, api_key=KEY, max_retries=0)
    body = {"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": prompt}]}
    if stream:
        with client.messages.with_streaming_response.create(**body, stream=True) as raw:
            message = check_anthropic_stream(raw.read()).message
    else:
        message = anthropic.types.Message.model_validate(json.loads(client.messages.with_raw_response.create(**body).http_response.content))
    return "".join(block.text for block in message.content if block.type == "text"), message.stop_reason


def chat_answer(proxy, prompt: str, stream: bool) -> tuple[str, str]:
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key=KEY, max_retries=0)
    body = {"model": MODEL, "messages": [{"role": "user", "content": prompt}]}
    if stream:
        with client.chat.completions.with_streaming_response.create(**body, stream=True) as raw:
            chunks, ending = read_openai_stream(raw.read())
        assert ending == "[DONE]"
        completion = accumulate_chat(chunks)
    else:
        completion = client.chat.completions.create(**body)
    return completion.choices[0].message.content, completion.choices[0].finish_reason


def responses_answer(proxy, prompt: str, stream: bool) -> tuple[str, tuple[str, str | None]]:
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key=KEY, max_retries=0)
    body = {"model": MODEL, "input": prompt}
    if stream:
        with client.responses.with_streaming_response.create(**body, stream=True) as raw:
            events = responses_checks.stream_events(raw.read())
        assert events[-1]["type"] == "response.incomplete"
        response = responses_checks.accumulate(events)
    else:
        response = responses_checks.validated_response(json.loads(client.responses.with_raw_response.create(**body).http_response.content))
    details = response.incomplete_details
    return response.output_text, (response.status, details.reason if details else None)


ASK = {"anthropic": anthropic_answer, "openai": chat_answer, "responses": responses_answer}


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("client", sorted(ASK))
@pytest.mark.parametrize("prompt", sorted(ENDINGS))
def test_the_clients_answer_ends_with_its_own_word_for_geminis_finish_reason(to_gemini, relay, prompt, client, stream):
    before = len(relay.find(prompt))
    text, ending = ASK[client](to_gemini, prompt, stream)
    expected_text, endings = ENDINGS[prompt]
    assert (text, ending) == (expected_text, endings[client])
    [turn] = relay.find(prompt)[before:]
    method = "streamGenerateContent?alt=sse" if stream else "generateContent"
    assert turn.path == f"/v1beta/models/{MODEL}:{method}"
    assert turn.body["contents"] == [{"role": "user", "parts": [{"text": prompt}]}]
