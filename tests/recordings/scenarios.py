"""What `scripts/record-flows` records: four proxy set-ups, each with its scripted client calls.

The e2e replay test makes exactly these calls again: the same SDK call with the same
parameters sends the same bytes, so the proxy sends the upstream the recorded request and
the replaying mitmdump finds it (server replay matches method, path and body).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

RECORDINGS = Path(__file__).resolve().parent
OPENAI, ANTHROPIC = "openai", "anthropic"
# Dummy keys only: recordings are committed, and no real upstream is ever involved.
CLIENT_KEYS = {OPENAI: "sk-recording-dummy-0001", ANTHROPIC: "sk-recording-dummy-0002"}
CLIENT_SIDE, UPSTREAM_SIDE = "client_side.mitm", "upstream_side.mitm"


@dataclass(frozen=True)
class Call:
    name: str
    marker: str  # the text of the first user message: unique, so flows can be paired by it
    stream: bool
    params: dict


@dataclass(frozen=True)
class Scenario:
    name: str
    peer: str  # "aimock" or "llama"
    client: str  # the client's protocol: OPENAI (the openai SDK) or ANTHROPIC (the anthropic SDK)
    options: dict[str, str]  # the proxy's options, as `--set name=value`
    calls: list[Call] = field(default_factory=list)

    @property
    def directory(self) -> Path:
        return RECORDINGS / self.name

    @property
    def upstream_protocol(self) -> str:
        return self.options["upstream_protocol"]


OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Current time in a zone",
            "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}},
        },
    },
]
ANTHROPIC_TOOLS = [
    {"name": t["function"]["name"], "description": t["function"]["description"], "input_schema": t["function"]["parameters"]}
    for t in OPENAI_TOOLS
]
MODEL = "claude-sonnet-4-6"


def _openai_calls(prefix: str) -> list[Call]:
    def user(text: str) -> dict:
        return {"role": "user", "content": text}

    weather = f"{prefix} weather in Oslo"
    return [
        Call("greeting", f"{prefix} greeting", False, {
            "model": MODEL,
            "messages": [{"role": "system", "content": "Be brief."}, user(f"{prefix} greeting")],
            "max_tokens": 64, "stop": ["END"], "temperature": 0.5, "user": "recording-user-1",
        }),
        Call("greeting-stream", f"{prefix} greeting, streamed", True, {
            "model": MODEL, "messages": [user(f"{prefix} greeting, streamed")],
            "stream_options": {"include_usage": True},
        }),
        Call("tools", weather, False, {
            "model": MODEL, "messages": [user(weather)], "tools": OPENAI_TOOLS, "tool_choice": "required",
        }),
        Call("tools-stream", f"{weather}, streamed", True, {
            "model": MODEL, "messages": [user(f"{weather}, streamed")], "tools": OPENAI_TOOLS,
            "stream_options": {"include_usage": True},
        }),
        Call("tool-result", f"{weather}, answered", False, {
            "model": MODEL, "tools": OPENAI_TOOLS,
            "messages": [
                user(f"{weather}, answered"),
                {
                    "role": "assistant", "content": None,
                    "tool_calls": [
                        {"id": "toolu_rec_o2a_weather", "type": "function",
                         "function": {"name": "get_weather", "arguments": '{"city": "Oslo", "unit": "celsius"}'}},
                        {"id": "toolu_rec_o2a_time", "type": "function",
                         "function": {"name": "get_time", "arguments": '{"zone": "Europe/Oslo"}'}},
                    ],
                },
                {"role": "tool", "tool_call_id": "toolu_rec_o2a_weather", "content": "4C, clear"},
                {"role": "tool", "tool_call_id": "toolu_rec_o2a_time", "content": "09:30"},
            ],
        }),
        Call("reasoning-stream", f"{prefix} reasoning, streamed", True, {
            "model": MODEL, "messages": [user(f"{prefix} reasoning, streamed")], "reasoning_effort": "low",
            "max_completion_tokens": 4096,
        }),
    ]


def _anthropic_calls(prefix: str) -> list[Call]:
    def user(text: str) -> dict:
        return {"role": "user", "content": text}

    weather = f"{prefix} weather in Lima"
    return [
        Call("greeting", f"{prefix} greeting", False, {
            "model": MODEL, "max_tokens": 64, "system": "Be brief.",
            "messages": [user(f"{prefix} greeting")],
            "stop_sequences": ["END"], "metadata": {"user_id": "recording-user-2"},
        }),
        Call("greeting-stream", f"{prefix} greeting, streamed", True, {
            "model": MODEL, "max_tokens": 256, "messages": [user(f"{prefix} greeting, streamed")],
        }),
        Call("tools", weather, False, {
            "model": MODEL, "max_tokens": 256, "messages": [user(weather)], "tools": ANTHROPIC_TOOLS,
            "tool_choice": {"type": "any"},
        }),
        Call("tools-stream", f"{weather}, streamed", True, {
            "model": MODEL, "max_tokens": 256, "messages": [user(f"{weather}, streamed")], "tools": ANTHROPIC_TOOLS,
        }),
        Call("tool-result", f"{weather}, answered", False, {
            "model": MODEL, "max_tokens": 256, "tools": ANTHROPIC_TOOLS,
            "messages": [
                user(f"{weather}, answered"),
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "call_rec_a2o_weather", "name": "get_weather",
                     "input": {"city": "Lima", "unit": "celsius"}},
                    {"type": "tool_use", "id": "call_rec_a2o_time", "name": "get_time", "input": {"zone": "America/Lima"}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_rec_a2o_weather", "content": "19C, overcast"},
                    {"type": "tool_result", "tool_use_id": "call_rec_a2o_time", "content": "03:30"},
                ]},
            ],
        }),
        Call("reasoning-stream", f"{prefix} reasoning, streamed", True, {
            "model": MODEL, "max_tokens": 4096, "messages": [user(f"{prefix} reasoning, streamed")],
            "thinking": {"type": "enabled", "budget_tokens": 2048},
        }),
    ]


def _llama_calls(client: str, prefix: str) -> list[Call]:
    calls = []
    for stream in (False, True):
        marker = f"What colour is the sky? ({prefix}{', streamed' if stream else ''})"
        params = {"model": "smollm2", "max_tokens": 12, "messages": [{"role": "user", "content": marker}]}
        if stream and client == OPENAI:
            params["stream_options"] = {"include_usage": True}
        calls.append(Call("sky-stream" if stream else "sky", marker, stream, params))
    return calls


SCENARIOS = [
    Scenario("aimock_openai_to_anthropic", "aimock", OPENAI, {"upstream_protocol": ANTHROPIC},
             _openai_calls("rec o2a")),
    Scenario("aimock_anthropic_to_openai", "aimock", ANTHROPIC, {"upstream_protocol": OPENAI},
             _anthropic_calls("rec a2o")),
    Scenario("llama_openai_to_anthropic", "llama", OPENAI, {"upstream_protocol": ANTHROPIC},
             _llama_calls(OPENAI, "rec llama o2a")),
    Scenario("llama_anthropic_to_openai", "llama", ANTHROPIC, {"upstream_protocol": OPENAI},
             _llama_calls(ANTHROPIC, "rec llama a2o")),
]


def scenario(name: str) -> Scenario:
    return next(s for s in SCENARIOS if s.name == name)
