"""Makes a scripted call with the official SDK, the way an application would, and returns what
the client got, validated with the SDK's own types."""

from __future__ import annotations

import json
from dataclasses import dataclass

import anthropic
import openai
import pydantic
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from .scenarios import CLIENT_KEYS, OPENAI, Call, Scenario

_ANTHROPIC_EVENT = pydantic.TypeAdapter(RawMessageStreamEvent)


@dataclass
class Answer:
    status: int
    body: dict | None  # a non-streamed answer's JSON
    events: list[dict] | None  # a stream's events as the SDK yielded them
    final: ChatCompletion | Message  # the answer as the SDK understands it (accumulated for a stream)


def call(base_url: str, scenario: Scenario, call: Call) -> Answer:
    if scenario.client == OPENAI:
        return _openai_call(base_url, call)
    return _anthropic_call(base_url, call)


def _openai_call(base_url: str, call: Call) -> Answer:
    client = openai.OpenAI(base_url=base_url + "/v1", api_key=CLIENT_KEYS[OPENAI], max_retries=0, timeout=60)
    with client:
        if not call.stream:
            raw = client.chat.completions.with_raw_response.create(**call.params)
            body = json.loads(raw.http_response.content)
            return Answer(raw.http_response.status_code, body, None, ChatCompletion.model_validate(body))
        state = ChatCompletionStreamState()
        events = []
        stream = client.chat.completions.create(stream=True, **call.params)
        for chunk in stream:
            events.append(ChatCompletionChunk.model_validate(chunk.to_dict()).to_dict())
            state.handle_chunk(chunk)
        try:
            final = state.get_final_completion()
        except openai.LengthFinishReasonError:  # the SDK refuses to "parse" a cut answer; keep it
            final = state.current_completion_snapshot
        return Answer(stream.response.status_code, None, events, ChatCompletion.model_validate(final.to_dict()))


def _anthropic_call(base_url: str, call: Call) -> Answer:
    client = anthropic.Anthropic(base_url=base_url, api_key=CLIENT_KEYS["anthropic"], max_retries=0, timeout=60)
    with client:
        if not call.stream:
            raw = client.messages.with_raw_response.create(**call.params)
            body = json.loads(raw.http_response.content)
            return Answer(raw.http_response.status_code, body, None, Message.model_validate(body))
        events = []
        snapshot = None
        json_bufs: dict[int, bytes] = {}
        stream = client.messages.create(stream=True, **call.params)
        for event in stream:
            events.append(_ANTHROPIC_EVENT.validate_python(event.to_dict()).to_dict())
            snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
        assert snapshot is not None, "the stream had no events"
        return Answer(stream.response.status_code, None, events, Message.model_validate(snapshot.to_dict()))
