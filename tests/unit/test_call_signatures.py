"""Thought signatures of Gemini function calls kept for a client that has nowhere to keep them
(Chat Completions): remembered by call id from the upstream's answer or stream, given back to
the replayed call of the next request, the memory bounded (`anyrouter_core.call_signatures`)."""

from __future__ import annotations

import json

from anyrouter_core.call_signatures import CallSignatures
from anyrouter_core.codecs.base import EncodeOptions, Exchange
from anyrouter_core.codecs.gemini.request_encode import UNSIGNED_CALL_SIGNATURE
from anyrouter_core.neutral import Request, ToolCall, Turn
from anyrouter_core.translation import Direction

SIGNED_CALL = {"functionCall": {"id": "call_a", "name": "read", "args": {"path": "a.txt"}}, "thoughtSignature": "c2lnLWE="}
GEMINI_ANSWER = {
    "candidates": [{"content": {"role": "model", "parts": [SIGNED_CALL]}, "finishReason": "STOP", "index": 0}],
    "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8},
    "modelVersion": "gemini-2.5-pro", "responseId": "r1",
}


def chat_replay(call_id: str) -> dict:
    """The next request of a Chat Completions client: its history holds the call, unsigned."""
    return {
        "model": "gemini-2.5-pro",
        "messages": [
            {"role": "user", "content": "read a.txt"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "read", "arguments": '{"path": "a.txt"}'}}]},
            {"role": "tool", "tool_call_id": call_id, "content": "hello"},
        ],
    }


def replayed_call_part(direction: Direction, call_id: str) -> dict:
    body = direction.translate_request(chat_replay(call_id), EncodeOptions()).body
    model_turn = next(content for content in body["contents"] if content["role"] == "model")
    return next(part for part in model_turn["parts"] if "functionCall" in part)


def call(call_id: str, signature: str | None) -> ToolCall:
    return ToolCall(call_id, "read", {"path": "a.txt"}, signature=signature)


def test_a_streamed_calls_signature_comes_back_on_the_replayed_call():
    direction = Direction("openai", "gemini", CallSignatures())
    translator = direction.stream_translator(Exchange(model="gemini-2.5-pro", stream=True))
    out = translator.feed(b"data: " + json.dumps(GEMINI_ANSWER).encode() + b"\r\n\r\n") + translator.end()
    assert b'"id":"call_a"' in out.replace(b" ", b"")  # the client got the call by its id
    assert replayed_call_part(direction, "call_a") == {
        "functionCall": {"id": "call_a", "name": "read", "args": {"path": "a.txt"}}, "thoughtSignature": "c2lnLWE="}


def test_a_finished_answers_call_signature_comes_back_too():
    direction = Direction("openai", "gemini", CallSignatures())
    completion = direction.translate_answer(GEMINI_ANSWER, Exchange(model="gemini-2.5-pro", stream=False))
    assert completion["choices"][0]["message"]["tool_calls"][0]["id"] == "call_a"
    assert replayed_call_part(direction, "call_a")["thoughtSignature"] == "c2lnLWE="


def test_without_the_memory_the_replayed_call_has_only_the_unsigned_mark():
    direction = Direction("openai", "gemini")
    direction.translate_answer(GEMINI_ANSWER, Exchange(model="gemini-2.5-pro", stream=False))
    assert replayed_call_part(direction, "call_a")["thoughtSignature"] == UNSIGNED_CALL_SIGNATURE


def test_a_call_of_another_id_gets_no_signature():
    signatures = CallSignatures()
    signatures.remember(call("call_a", "sig-a"))
    request = Request(model="m", turns=[Turn("assistant", [call("call_b", None)])])
    signatures.restore(request)
    assert request.turns[0].blocks[0].signature is None


def test_a_signature_the_client_kept_is_not_replaced():
    signatures = CallSignatures()
    signatures.remember(call("call_a", "remembered"))
    request = Request(model="m", turns=[Turn("assistant", [call("call_a", "kept-by-client")])])
    signatures.restore(request)
    assert request.turns[0].blocks[0].signature == "kept-by-client"


def test_unsigned_or_anonymous_calls_are_not_remembered():
    signatures = CallSignatures()
    signatures.remember(call("call_a", None))
    signatures.remember(call("", "sig"))
    assert len(signatures) == 0


def test_the_memory_forgets_the_oldest_first():
    signatures = CallSignatures(limit=3)
    for n in range(5):
        signatures.remember(call(f"call_{n}", f"sig-{n}"))
    signatures.remember(call("call_2", "sig-2"))  # used again: now the newest
    signatures.remember(call("call_5", "sig-5"))
    assert len(signatures) == 3
    request = Request(model="m", turns=[Turn("assistant", [call(f"call_{n}", None) for n in range(6)])])
    signatures.restore(request)
    assert [block.signature for block in request.turns[0].blocks] == [None, None, "sig-2", None, "sig-4", "sig-5"]
