"""Usage of real SDK traffic through a real mitmdump, in every direction, streamed and not:
each saved flow (`-w`) and each row of the usage log (`usage_db`) holds the upstream's exact
figures in neutral form, and `/stats` adds them up.

The upstreams report cache reads and writes: Chat Completions is aimock's, on its
OpenRouter-shaped path (`/api/v1/…`, the only place its fixtures' cache and reasoning counts
reach the answer: tests/fixtures/aimock/usage.json); Messages and Responses are
`fake_upstreams.CacheUsageUpstream`, since aimock writes only input and output counts there.
One routes file sends each model to its upstream, so one proxy serves every direction.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import anthropic
import openai
import pytest
from mitmproxy import io

from fake_upstreams import CacheUsageUpstream
from harness import LOOPBACK, Mitmdump, http_get

CLIENT_KEY = "sk-usage-meter-client-key-0042"
ASK = "usage meter: "  # what aimock's fixture matches

# The neutral figures of each upstream's usage (fresh input: neither read from nor written to the cache).
MESSAGES = {"input": 21, "cache_read": 9000, "cache_write": 1500, "output": 33, "reasoning": None}
# prompt_tokens 12000 of which 11008 read from the cache and 64 written to it.
CHAT = {"input": 928, "cache_read": 11008, "cache_write": 64, "output": 40, "reasoning": 9}
# input_tokens 15000 of which 14000 cached; 13 of the 55 output tokens were reasoning.
RESPONSES = {"input": 1000, "cache_read": 14000, "cache_write": 0, "output": 55, "reasoning": 13}
UPSTREAMS = {"messages": ("usage-claude", MESSAGES), "chat": ("usage-gpt", CHAT), "responses": ("usage-resp", RESPONSES)}


@dataclass(frozen=True)
class Case:
    client: str  # anthropic, chat, responses: which SDK call
    upstream: str  # a key of UPSTREAMS
    stream: bool

    @property
    def id(self) -> str:
        return f"{self.client}→{self.upstream}-{'stream' if self.stream else 'plain'}"

    @property
    def marker(self) -> str:
        return f"{ASK}{self.id}"


CASES = [Case(client, upstream, stream)
         for client in ("anthropic", "chat", "responses")
         for upstream in UPSTREAMS
         for stream in (False, True)]


def ask(proxy: Mitmdump, case: Case) -> tuple[str, object]:
    """The answer's text and the usage object the client got, through the SDK of `case.client`."""
    model = UPSTREAMS[case.upstream][0]
    messages = [{"role": "user", "content": case.marker}]
    if case.client == "anthropic":
        client = anthropic.Anthropic(base_url=proxy.url, api_key=CLIENT_KEY, max_retries=0)
        params = dict(model=model, max_tokens=64, messages=messages)
        if case.stream:
            with client.messages.stream(**params) as stream:
                message = stream.get_final_message()
        else:
            message = client.messages.create(**params)
        return message.content[0].text, message.usage
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key=CLIENT_KEY, max_retries=0)
    if case.client == "chat":
        if not case.stream:
            completion = client.chat.completions.create(model=model, messages=messages)
            return completion.choices[0].message.content, completion.usage
        chunks = list(client.chat.completions.create(
            model=model, messages=messages, stream=True, stream_options={"include_usage": True}))
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices), chunks[-1].usage
    if not case.stream:
        response = client.responses.create(model=model, input=case.marker)
        return response.output_text, response.usage
    events = list(client.responses.create(model=model, input=case.marker, stream=True))
    completed = next(event.response for event in events if event.type == "response.completed")
    return completed.output_text, completed.usage


@dataclass
class Metered:
    answers: dict[str, tuple[str, object]]
    flows: dict[str, object]
    stats: dict
    log: str
    rows: list[dict]


@pytest.fixture(scope="module")
def metered(aimock, log_dir, tmp_path_factory) -> Iterator[Metered]:
    folder = tmp_path_factory.mktemp("usage")
    with CacheUsageUpstream() as scripted:
        routes = folder / "routes.yaml"
        routes.write_text(f"""\
upstreams:
  messages:  {{url: "{scripted.url}", protocol: anthropic}}
  chat:      {{url: "{aimock.url}/api", protocol: openai}}
  responses: {{url: "{scripted.url}", protocol: responses}}
routes:
  - {{match: {{model: {UPSTREAMS['messages'][0]}}}, to: messages}}
  - {{match: {{model: {UPSTREAMS['chat'][0]}}}, to: chat}}
  - {{match: {{model: {UPSTREAMS['responses'][0]}}}, to: responses}}
""")
        saved = folder / "flows.mitm"
        database = folder / "usage.sqlite3"
        options = {"routes": str(routes), "usage_db": str(database)}
        proxy = Mitmdump(scripted.url, log_dir, options, ["-w", str(saved)])
        try:
            answers = {case.id: ask(proxy, case) for case in CASES}
            status, body, _ = http_get(LOOPBACK, proxy.port, "/stats")
            assert status == 200, body
            stats = json.loads(body)
        finally:
            proxy.stop()  # mitmdump writes and closes the file
    with open(saved, "rb") as file:
        flows = {case.id: flow for flow in io.FlowReader(file).stream()
                 for case in CASES if case.marker.encode() in (flow.request.content or b"")}
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        rows = [dict(row) for row in db.execute("SELECT * FROM requests")]
    yield Metered(answers, flows, stats, proxy.log_text(), rows)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_saved_flow_holds_the_upstreams_exact_usage(metered, case):
    text, _ = metered.answers[case.id]
    assert text.startswith("Counted by")
    flow = metered.flows[case.id]
    shown = flow.metadata["anyrouter"]
    assert shown["upstream"] == case.upstream
    translated = {"anthropic": "messages", "chat": "chat", "responses": "responses"}[case.client] != case.upstream
    assert ("translation" in shown) is translated
    assert shown["usage"] == UPSTREAMS[case.upstream][1]


CLIENT_PROTOCOLS = {"anthropic": "anthropic", "chat": "openai", "responses": "responses"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_usage_log_row_holds_the_upstreams_exact_usage(metered, case):
    [row] = [row for row in metered.rows
             if (row["client_protocol"], row["upstream"], row["stream"])
             == (CLIENT_PROTOCOLS[case.client], case.upstream, int(case.stream))]
    assert {name: row[name] for name in MESSAGES} == UPSTREAMS[case.upstream][1]
    assert (row["status"], row["estimated"], row["key"]) == (200, 0, "sk-…0042")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_client_was_told_the_same_counts_in_its_protocol(metered, case):
    _, usage = metered.answers[case.id]
    figures = UPSTREAMS[case.upstream][1]
    if case.client == "anthropic":
        told = (usage.input_tokens, usage.cache_read_input_tokens, usage.cache_creation_input_tokens, usage.output_tokens)
        assert told == (figures["input"], figures["cache_read"], figures["cache_write"], figures["output"])
    elif case.client == "chat":
        prompt = figures["input"] + figures["cache_read"] + figures["cache_write"]
        assert (usage.prompt_tokens, usage.prompt_tokens_details.cached_tokens, usage.completion_tokens) == (
            prompt, figures["cache_read"], figures["output"])
    else:
        prompt = figures["input"] + figures["cache_read"] + figures["cache_write"]
        assert (usage.input_tokens, usage.input_tokens_details.cached_tokens, usage.output_tokens) == (
            prompt, figures["cache_read"], figures["output"])


def test_stats_add_up_every_answer_overall_and_per_model(metered):
    per_case = len(CASES) // len(UPSTREAMS)  # each upstream answered this many requests
    expected_by_model = {
        model: {name: (count or 0) * per_case for name, count in figures.items()}
        for model, figures in UPSTREAMS.values()
    }
    assert metered.stats["usage_by_model"] == expected_by_model
    assert metered.stats["usage"] == {
        name: sum(counts[name] for counts in expected_by_model.values()) for name in MESSAGES
    }
    assert metered.stats["usage"]["cache_read"] == 6 * (9000 + 11008 + 14000)


def test_the_log_line_and_the_comment_show_the_tokens(metered):
    line = next(line for line in metered.log.splitlines() if "anthropic→openai POST /api/v1/chat/completions" in line)
    assert re.search(r" status=200 tokens=928/11008/64/40 \d+ms$", line), line
    flow = metered.flows[Case("anthropic", "chat", True).id]
    assert flow.comment.endswith(" · in 928 (cache 11008 read, 64 written) out 40 (reasoning 9)")
