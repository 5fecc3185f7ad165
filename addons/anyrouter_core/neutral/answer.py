"""A finished answer, its stop reason and its token usage, in neutral form."""

from __future__ import annotations

from dataclasses import dataclass, field

from .blocks import Block


class StopReason:
    """The neutral stop reasons. A decoder maps its protocol's reasons onto these; a reason
    none of them covers is kept as the upstream's own string, and encoders treat an unknown
    reason as a normal end of turn."""

    END_TURN = "end_turn"
    MAX_TOKENS = "max_tokens"
    STOP_SEQUENCE = "stop_sequence"
    TOOL_USE = "tool_use"
    REFUSAL = "refusal"
    PAUSE_TURN = "pause_turn"
    CONTEXT_WINDOW = "model_context_window_exceeded"


@dataclass(slots=True)
class Usage:
    """Token counts kept apart: `input` is fresh input only (neither read from nor written to
    the cache), `reasoning` is the part of `output` spent thinking. None: not reported."""

    input: int | None = None
    cache_read: int | None = None
    cache_write: int | None = None
    output: int | None = None
    reasoning: int | None = None

    def updated(self, newer: Usage | None) -> Usage:
        """These counts, with every count `newer` reports replacing the older one."""
        if newer is None:
            return self
        return Usage(
            *(new if new is not None else old for old, new in zip(self.counts(), newer.counts()))
        )

    def counts(self) -> tuple[int | None, ...]:
        return (self.input, self.cache_read, self.cache_write, self.output, self.reasoning)

    @property
    def prompt_total(self) -> int:
        """All input tokens, cached or not: what OpenAI calls prompt_tokens."""
        return (self.input or 0) + (self.cache_read or 0) + (self.cache_write or 0)


@dataclass(slots=True)
class Answer:
    id: str
    model: str
    blocks: list[Block] = field(default_factory=list)
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: Usage = field(default_factory=Usage)
    created: int | None = None
    # The protocol the answer was decoded from, and its top-level fields without a neutral
    # form (`system_fingerprint`, llama.cpp's `timings` …): only that protocol's encoder
    # sends them back.
    protocol: str = ""
    extra: dict = field(default_factory=dict)
