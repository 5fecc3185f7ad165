"""Requests of the load tests, made with the official SDKs' async clients, each answer
validated in full: the whole text, the finish reason, and for streams the shape of every
event (the SDKs' own types and accumulators)."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field

import anthropic
import httpx2
import openai
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from bench.requests import claude_code_request, openai_agent_request

# bench.json: "bench load" answers at once, "bench load paced" one 4-character chunk every 300 ms (21 events, ~6 s).
ANSWER = "Load test answer: every word of this sentence arrives in order, through the proxy."
OUTPUT_TOKENS = 17  # the fixtures' usage
MODEL = "claude-sonnet-4-6"


def http_client() -> httpx2.AsyncClient:
    # One connection per concurrent request: the SDKs' default pool allows 1000.
    return httpx2.AsyncClient(limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=1000),
                              timeout=httpx2.Timeout(120.0))


def openai_client(proxy) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=proxy.url + "/v1", api_key="sk-load-openai-client-0001",
                              max_retries=0, http_client=http_client())


def anthropic_client(proxy) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=proxy.url, api_key="sk-ant-load-client-0001",
                                    max_retries=0, http_client=http_client())


@dataclass
class InFlight:
    """How many streams have received their first event and not yet their last."""

    now: int = 0
    peak: int = 0
    first_event_s: list[float] = field(default_factory=list)

    def opened(self) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)

    def closed(self) -> None:
        self.now -= 1


class WrongAnswer(AssertionError):
    pass


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise WrongAnswer(what)


def openai_messages(marker: str, large: bool) -> dict:
    if large:
        body = openai_agent_request()
        body["messages"][-1]["content"][0]["text"] = f"{marker}: " + body["messages"][-1]["content"][0]["text"]
        return {"messages": body["messages"], "tools": body["tools"]}
    return {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": marker}]}


def anthropic_messages(marker: str, large: bool) -> dict:
    if large:
        body = copy.deepcopy(claude_code_request())
        body["messages"][-1]["content"].append({"type": "text", "text": marker})
        return {"messages": body["messages"], "system": body["system"], "tools": body["tools"]}
    return {"system": "Be brief.", "messages": [{"role": "user", "content": marker}]}


async def openai_stream(client: openai.AsyncOpenAI, marker: str, in_flight: InFlight | None = None,
                        large: bool = False) -> None:
    state = ChatCompletionStreamState()
    chunks = 0
    started = asyncio.get_running_loop().time()
    stream = await client.chat.completions.create(
        model=MODEL, stream=True, stream_options={"include_usage": True}, max_tokens=200,
        **openai_messages(marker, large))
    try:
        async for chunk in stream:
            if chunks == 0 and in_flight:
                in_flight.opened()
                in_flight.first_event_s.append(asyncio.get_running_loop().time() - started)
            chunks += 1
            ChatCompletionChunk.model_validate(chunk.to_dict())
            expect(all(choice.index == 0 for choice in chunk.choices), f"choice index: {chunk}")
            state.handle_chunk(chunk)
    finally:
        if chunks and in_flight:
            in_flight.closed()
    final = state.get_final_completion()
    expect(final.choices[0].message.content == ANSWER, f"text: {final.choices[0].message.content!r}")
    expect(final.choices[0].finish_reason == "stop", f"finish_reason: {final.choices[0].finish_reason}")
    expect(final.model == MODEL, f"model: {final.model}")
    expect(final.usage is not None and final.usage.completion_tokens == OUTPUT_TOKENS, f"usage: {final.usage}")


async def openai_plain(client: openai.AsyncOpenAI, marker: str, large: bool = False) -> None:
    completion = await client.chat.completions.create(model=MODEL, max_tokens=200, **openai_messages(marker, large))
    ChatCompletion.model_validate(completion.to_dict())
    expect(completion.choices[0].message.content == ANSWER, f"text: {completion.choices[0].message.content!r}")
    expect(completion.choices[0].finish_reason == "stop", f"finish_reason: {completion.choices[0].finish_reason}")
    expect(completion.usage is not None and completion.usage.completion_tokens == OUTPUT_TOKENS, f"usage: {completion.usage}")


async def anthropic_stream(client: anthropic.AsyncAnthropic, marker: str, in_flight: InFlight | None = None,
                           large: bool = False) -> None:
    kinds = []
    started = asyncio.get_running_loop().time()
    async with client.messages.stream(model=MODEL, max_tokens=200, **anthropic_messages(marker, large)) as stream:
        try:
            async for event in stream:
                if not kinds and in_flight:
                    in_flight.opened()
                    in_flight.first_event_s.append(asyncio.get_running_loop().time() - started)
                kinds.append(event.type)
        finally:
            if kinds and in_flight:
                in_flight.closed()
        message = await stream.get_final_message()
    raw = [k for k in kinds if k not in ("text", "citation", "thinking", "signature", "input_json")]
    expect(raw[0] == "message_start" and raw[-1] == "message_stop", f"event order: {raw}")
    expect(raw.count("content_block_start") == raw.count("content_block_stop") == 1, f"blocks: {raw}")
    expect(len(message.content) == 1 and message.content[0].type == "text", f"content: {message.content}")
    expect(message.content[0].text == ANSWER, f"text: {message.content[0].text!r}")
    expect(message.stop_reason == "end_turn", f"stop_reason: {message.stop_reason}")
    expect(message.model == MODEL, f"model: {message.model}")
    expect(message.usage.output_tokens == OUTPUT_TOKENS, f"usage: {message.usage}")


async def anthropic_plain(client: anthropic.AsyncAnthropic, marker: str, large: bool = False) -> None:
    message = await client.messages.create(model=MODEL, max_tokens=200, **anthropic_messages(marker, large))
    expect(message.content[0].type == "text" and message.content[0].text == ANSWER, f"content: {message.content}")
    expect(message.stop_reason == "end_turn", f"stop_reason: {message.stop_reason}")
    expect(message.usage.output_tokens == OUTPUT_TOKENS, f"usage: {message.usage}")
