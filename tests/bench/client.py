"""The benchmark's HTTP client: plain http.client over keep-alive loopback connections, so
that as little of what is measured as possible is the client's own work."""

from __future__ import annotations

import copy
import http.client
import json
import socket
import statistics
from dataclasses import dataclass

from anyrouter_core.codecs.base import EncodeOptions
from anyrouter_core.codecs.gemini import paths as gemini_paths
from anyrouter_core.protocols import ANTHROPIC, GEMINI, OPENAI, RESPONSES, protocol_named
from anyrouter_core.sse import SSEDecoder
from anyrouter_core.translation import translate_request

from .procs import BENCH_FIXTURES
from .requests import claude_code_request, openai_agent_request

ANTHROPIC_HEADERS = {
    "content-type": "application/json",
    "x-api-key": "sk-ant-bench-key-0001",
    "anthropic-version": "2023-06-01",
}
OPENAI_HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-bench-key-0001"}
GEMINI_HEADERS = {"content-type": "application/json", "x-goog-api-key": "AIza-bench-key-0001"}
ANTHROPIC_PATH = "/v1/messages"
OPENAI_PATH = "/v1/chat/completions"
RESPONSES_PATH = "/v1/responses"
# How each protocol's stream ends (a Gemini stream has no closing event: its last chunk says
# why it finished).
STREAM_ENDS = {
    ANTHROPIC: b"message_stop", OPENAI: b"data: [DONE]", RESPONSES: b"response.completed", GEMINI: b'"finishReason"',
}


def _bench_answer_text() -> str:
    """The text aimock answers every `bench reply` request with (tests/fixtures/aimock/bench.json)."""
    fixtures = json.loads(BENCH_FIXTURES.read_text())["fixtures"]
    return next(f["response"]["content"] for f in fixtures if f["match"] == {"userMessage": "bench reply"})


BENCH_ANSWER_TEXT = _bench_answer_text()


class Connection(http.client.HTTPConnection):
    """Nagle off, as every LLM SDK's transport (and mitmproxy's asyncio sockets) has it."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


@dataclass(frozen=True)
class Call:
    """One request as bytes, and what its answer must end with to count as complete."""

    path: str
    headers: dict
    body: bytes
    protocol: str  # the protocol of the answer
    stream: bool

    def check(self, status: int, answer: bytes) -> None:
        if status != 200:
            raise RuntimeError(f"{self.path}: status {status}: {answer[:300]!r}")
        if self.stream:
            end = STREAM_ENDS[self.protocol]
            if end not in answer[-2000:]:
                raise RuntimeError(f"{self.path}: stream did not end with {end!r}: {answer[-300:]!r}")
        elif b"off-by-one" not in answer and b"Load test answer" not in answer:
            raise RuntimeError(f"{self.path}: unexpected answer {answer[:300]!r}")

    def check_text(self, answer: bytes) -> None:
        """A streamed answer carries aimock's whole text, its pieces in order, as the "Event
        Stream" view's summariser of its protocol joins them. (Too dear for every timed request.)
        The summariser is called by protocol: the view's own detection does not know aimock's
        Responses events, which lack `sequence_number`."""
        if not self.stream:
            return
        decoder = SSEDecoder()
        events = decoder.feed(answer) + decoder.end()
        parsed = [json.loads(event.data) if event.data.startswith("{") else None for event in events]
        text = protocol_named(self.protocol).codec.summarise_stream(events, parsed).text
        if text != BENCH_ANSWER_TEXT:
            raise RuntimeError(f"{self.path}: streamed text {text!r}, answer {answer[:300]!r}")


def anthropic_call(body: dict, stream: bool) -> Call:
    return Call(ANTHROPIC_PATH, ANTHROPIC_HEADERS, json.dumps(body).encode(), "anthropic", stream)


def openai_call(body: dict, stream: bool) -> Call:
    return Call(OPENAI_PATH, OPENAI_HEADERS, json.dumps(body).encode(), "openai", stream)


def responses_call(body: dict, stream: bool) -> Call:
    return Call(RESPONSES_PATH, OPENAI_HEADERS, json.dumps(body).encode(), RESPONSES, stream)


def gemini_call(lifted: dict, stream: bool) -> Call:
    """The Gemini request of a body with its model and stream form as fields (as the Gemini
    codec reads and writes it): those go into the path, as a Gemini client sends them."""
    path, body = gemini_paths.lowered(lifted, None)
    return Call(path, GEMINI_HEADERS, json.dumps(body).encode(), GEMINI, stream)


def lifted_gemini_body(call: Call) -> dict:
    """A Gemini client's request as the proxy reads it: its body, with its path's model and
    stream form lifted in."""
    return gemini_paths.lift(gemini_paths.parse_call(call.path), json.loads(call.body))


def gemini_agent_call(stream: bool) -> Call:
    """The 80 KB agent request as a Gemini client (Gemini CLI) would send it."""
    return gemini_call(translate_request(OPENAI, GEMINI, agent_body(stream), EncodeOptions()).body, stream)


def responses_agent_body(stream: bool) -> dict:
    """The 80 KB agent request as a Responses client (Codex) would send it."""
    body = translate_request(OPENAI, RESPONSES, agent_body(False), EncodeOptions()).body
    body["stream"] = stream
    return body


def claude_code_body(stream: bool, marker: str = "bench reply") -> dict:
    """The Claude Code request with `marker` as text after its tool results (aimock matches it)."""
    body = copy.deepcopy(claude_code_request())
    body["messages"][-1]["content"].append({"type": "text", "text": marker})
    body["stream"] = stream
    return body


def agent_body(stream: bool, marker: str = "bench reply") -> dict:
    """The 80 KB OpenAI agent request, its last user turn starting with `marker`."""
    body = openai_agent_request()
    body["messages"][-1]["content"][0]["text"] = f"{marker}: " + body["messages"][-1]["content"][0]["text"]
    body["stream"] = stream
    if not stream:
        body.pop("stream_options", None)
    return body


@dataclass(frozen=True)
class Route:
    """What the client sends through the addon, and the same request in the upstream's protocol
    (as the addon would forward it), which is what goes direct and through bare mitmdump."""

    name: str
    upstream_protocol: str
    through_addon: Call
    upstream_form: Call


def routes(stream: bool) -> list[Route]:
    claude_code = claude_code_body(stream)
    agent = agent_body(stream)
    gemini_agent = gemini_agent_call(stream)
    return [
        Route("pass-through (Claude Code, 64 KB)", "anthropic",
              anthropic_call(claude_code, stream), anthropic_call(claude_code, stream)),
        Route("openai→anthropic (agent, 80 KB)", "anthropic",
              openai_call(agent, stream),
              anthropic_call(translate_request(OPENAI, ANTHROPIC, agent, EncodeOptions()).body, stream)),
        Route("anthropic→openai (Claude Code, 64 KB)", "openai",
              anthropic_call(claude_code, stream),
              openai_call(translate_request(ANTHROPIC, OPENAI, claude_code, EncodeOptions()).body, stream)),
        Route("responses→anthropic (agent, 80 KB)", "anthropic",
              responses_call(responses_agent_body(stream), stream),
              anthropic_call(translate_request(RESPONSES, ANTHROPIC, responses_agent_body(stream), EncodeOptions()).body,
                             stream)),
        Route("anthropic→responses (Claude Code, 64 KB)", "responses",
              anthropic_call(claude_code, stream),
              responses_call(translate_request(ANTHROPIC, RESPONSES, claude_code, EncodeOptions()).body, stream)),
        Route("gemini→anthropic (agent, 80 KB)", "anthropic",
              gemini_agent,
              anthropic_call(translate_request(GEMINI, ANTHROPIC, lifted_gemini_body(gemini_agent), EncodeOptions()).body,
                             stream)),
        Route("anthropic→gemini (Claude Code, 64 KB)", "gemini",
              anthropic_call(claude_code, stream),
              gemini_call(translate_request(ANTHROPIC, GEMINI, claude_code, EncodeOptions()).body, stream)),
    ]


def send(conn: Connection, call: Call) -> bytes:
    conn.request("POST", call.path, body=call.body, headers=call.headers)
    response = conn.getresponse()
    answer = response.read()
    call.check(response.status, answer)
    return answer


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def median(values: list[float]) -> float:
    return statistics.median(values)
