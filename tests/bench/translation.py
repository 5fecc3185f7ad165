"""Translation cost of large requests, in microseconds per request (median and p95)."""

from __future__ import annotations

import json
import statistics
import time

from anyrouter_core.codecs.base import EncodeOptions
from anyrouter_core.codecs.gemini import paths as gemini_paths
from anyrouter_core.protocols import ANTHROPIC, GEMINI, OPENAI, RESPONSES, protocol_named
from anyrouter_core.translation import translate_request

from .client import gemini_agent_call, responses_agent_body
from .requests import claude_code_request, openai_agent_request


def _timings_us(work, body_bytes: bytes, runs: int) -> list[float]:
    """Each run parses the raw body, translates it and serialises the result, as the proxy does."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        work(json.loads(body_bytes))
        timings.append((time.perf_counter_ns() - start) / 1000)
    return timings


def _line(name: str, size: int, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"{name:<44} {size / 1000:6.1f} KB  median {statistics.median(ordered):8.0f} µs  p95 {p95:8.0f} µs"


def run(runs: int = 300) -> list[str]:
    gemini_agent = gemini_agent_call(False)
    # What the proxy does around a Gemini body: the path's model and stream form lifted into
    # the client's, taken out of the upstream's into its path.
    path_call = gemini_paths.parse_call(gemini_agent.path)
    cases = [
        (
            "openai→anthropic request (agent, 20 tools)",
            json.dumps(openai_agent_request()).encode(),
            lambda body: json.dumps(translate_request(OPENAI, ANTHROPIC, body, EncodeOptions()).body),
        ),
        (
            "anthropic→openai request (Claude Code)",
            json.dumps(claude_code_request()).encode(),
            lambda body: json.dumps(translate_request(ANTHROPIC, OPENAI, body, EncodeOptions()).body),
        ),
        (
            "responses→anthropic request (agent, 20 tools)",
            json.dumps(responses_agent_body(False)).encode(),
            lambda body: json.dumps(translate_request(RESPONSES, ANTHROPIC, body, EncodeOptions()).body),
        ),
        (
            "anthropic→responses request (Claude Code)",
            json.dumps(claude_code_request()).encode(),
            lambda body: json.dumps(translate_request(ANTHROPIC, RESPONSES, body, EncodeOptions()).body),
        ),
        (
            "gemini→anthropic request (agent, 20 tools)",
            gemini_agent.body,
            lambda body: json.dumps(
                translate_request(GEMINI, ANTHROPIC, gemini_paths.lift(path_call, body), EncodeOptions()).body),
        ),
        (
            "  of which parse + gemini decode (no encode)",
            gemini_agent.body,
            lambda body: protocol_named(GEMINI).codec.decode_request(gemini_paths.lift(path_call, body)),
        ),
        (
            "anthropic→gemini request (Claude Code)",
            json.dumps(claude_code_request()).encode(),
            lambda body: json.dumps(
                gemini_paths.lowered(translate_request(ANTHROPIC, GEMINI, body, EncodeOptions()).body, None)[1]),
        ),
        (
            "json parse + dump only (baseline, agent body)",
            json.dumps(openai_agent_request()).encode(),
            json.dumps,
        ),
    ]
    return [_line(name, len(raw), _timings_us(work, raw, runs)) for name, raw, work in cases]
