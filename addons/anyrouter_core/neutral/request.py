"""A request for one answer, in neutral form.

Decoders fill it from a client's body after checking it (a malformed body is a
`RequestRejected` naming the field); encoders write it for an upstream, applying the policies
their protocol needs. What a client sent that has no neutral field stays in `extra` (top-level
fields only its own protocol knows), so that the same protocol's encoder can send it back and
any other encoder can name it as dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .blocks import Block, Text

# Reasoning efforts, weakest first. Each protocol accepts a part of this scale.
EFFORTS = ("minimal", "low", "medium", "high", "xhigh", "max")


@dataclass(slots=True)
class Turn:
    """One message of the conversation. `role` is "user", "assistant" or "system" (a system
    message in the middle of the conversation, as Claude Code sends)."""

    role: str
    blocks: list[Block]
    path: str = ""
    # Fields of the message only the client's protocol knows (OpenAI's `name`, or its
    # `developer` role for a system turn), kept for an encoder of that protocol.
    extra: dict = field(default_factory=dict)


# A client tool whose input is free-form text rather than a JSON object (OpenAI Responses'
# `custom` tools, such as Codex's `apply_patch`).
CUSTOM_TOOL = "custom"


@dataclass(frozen=True, slots=True)
class Namespace:
    """A group of tools under one name (OpenAI Responses' `namespace` tools)."""

    name: str
    description: str | None = None


@dataclass(slots=True)
class Tool:
    """A tool the model may call. `kind` is "function" for the client's own tools (with
    `schema`, the JSON Schema of its input; None when the client gave none), CUSTOM_TOOL for
    a client tool whose input is free-form text (with `format`, the grammar or text format
    that input follows, as the client gave it); any other kind is a provider's built-in tool
    (Anthropic's web search, …), kept whole in `raw`. `namespace`: the group the client put
    the tool in, if any (its calls name it again)."""

    name: str
    description: str | None = None
    schema: dict | None = None
    strict: bool | None = None
    kind: str = "function"
    raw: dict | None = None
    cache: dict | None = None
    path: str = ""
    format: dict | None = None
    namespace: Namespace | None = None


@dataclass(slots=True)
class ToolChoice:
    """`mode`: "auto", "none", "required" (some tool) or "tool" (the one named)."""

    mode: str
    name: str | None = None


@dataclass(slots=True)
class Reasoning:
    """What the client asked of the model's thinking. `mode`: "enabled" (with `budget`
    tokens), "adaptive" (the model decides), "disabled", or None when the client named only
    an `effort` (one of EFFORTS)."""

    mode: str | None = None
    effort: str | None = None
    budget: int | None = None
    # The summary of its reasoning the client asked to see ("auto", "concise", "detailed":
    # OpenAI Responses' `reasoning.summary`), None when it asked for none.
    summary: str | None = None
    # The client's own thinking settings, for an encoder of the same protocol.
    raw: dict | None = None


@dataclass(slots=True)
class ResponseFormat:
    """Structured output: `kind` "json_object" (any JSON object) or "json_schema"."""

    kind: str
    name: str | None = None
    schema: dict | None = None
    description: str | None = None
    strict: bool | None = None


@dataclass(slots=True)
class Request:
    model: str
    turns: list[Turn]
    system: list[Text] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] = field(default_factory=list)
    # The seed of the sampling, which Chat Completions and Gemini take (best effort there).
    seed: int | None = None
    reasoning: Reasoning | None = None
    response_format: ResponseFormat | None = None
    user: str | None = None
    metadata: dict = field(default_factory=dict)
    stream: bool | None = None
    include_usage: bool = False
    # Asked for, and refused by every encoder that cannot produce them: several choices,
    # log probabilities, spoken output.
    choices: int = 1
    logprobs: bool = False
    audio_output: bool = False
    # A cache mark on the whole request (Anthropic's top-level cache_control), and the key a
    # client gave to route its requests to the same prompt cache (OpenAI's prompt_cache_key).
    cache: dict | None = None
    cache_key: str | None = None
    # The protocol the request was decoded from, and its top-level fields without a neutral form.
    protocol: str = ""
    extra: dict = field(default_factory=dict)
    # How the client named a neutral field ("max_tokens" → "max_completion_tokens"), for the
    # names an encoder puts in its messages and in the dropped list.
    names: dict[str, str] = field(default_factory=dict)

    def client_name(self, neutral_field: str) -> str:
        return self.names.get(neutral_field, neutral_field)
