"""How a Gemini candidate's `finishReason` reads in neutral, and back.

Choices:
- `STOP` is `end_turn`, and `tool_use` when the answer called a tool (Gemini says STOP
  then); `MAX_TOKENS`, and `CONTINUATION` (the per-request limit, the answer unfinished), are
  `max_tokens`; the reasons for content Gemini withheld (`SAFETY`, `RECITATION`, `BLOCKLIST`,
  `PROHIBITED_CONTENT`, `SPII`, `LANGUAGE`, the image ones, and the filters and policies of
  `MODEL_ARMOR`, `ESCALATION` and `PUP_LIMITED_DISABLED`), and a prompt blocked before any
  candidate (`promptFeedback.blockReason`), are `refusal`: a content filter's stop for
  clients that have one (Chat `content_filter`, Responses `incomplete`), Anthropic's
  `refusal`.
- Gemini's other reasons (`MALFORMED_FUNCTION_CALL`, `UNEXPECTED_TOOL_CALL`,
  `TOO_MANY_TOOL_CALLS`, `OTHER` …) have no neutral equivalent: the neutral stop reason is
  Gemini's own word, which other protocols' encoders write as a normal end of turn and a
  Gemini client gets back unchanged (Gemini CLI retries a malformed call, as it does
  against Gemini itself). With a tool call in the answer they are `tool_use`.
- A reason Gemini does not define (aimock's `FUNCTION_CALL`) is read leniently: `tool_use`
  after a call, else `end_turn`.
- Toward a Gemini client: `end_turn`, `tool_use`, `stop_sequence` and `pause_turn` are
  `STOP`, `max_tokens` and the context window `MAX_TOKENS`, `refusal` `SAFETY`; one of
  Gemini's own reasons is itself; anything else `STOP`.
"""

from __future__ import annotations

from ...neutral import StopReason

_REFUSALS = frozenset({
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE",
    "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR", "ESCALATION",
    "PUP_LIMITED_DISABLED",
})
_LIMITS = frozenset({"MAX_TOKENS", "CONTINUATION"})
# Gemini's other reasons, which no neutral one means (google-genai 3.6.1's `FinishReason`).
_OWN_REASONS = frozenset({
    "OTHER", "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS", "MISSING_THOUGHT_SIGNATURE",
    "MALFORMED_RESPONSE", "IMAGE_OTHER", "NO_IMAGE", "FINISH_REASON_UNSPECIFIED",
})
_FINISH_BY_STOP = {
    StopReason.MAX_TOKENS: "MAX_TOKENS",
    StopReason.CONTEXT_WINDOW: "MAX_TOKENS",
    StopReason.REFUSAL: "SAFETY",
}


def neutral_stop(finish_reason: str | None, *, blocked: bool, used_tools: bool) -> str:
    """The neutral stop reason of a candidate that ended with `finish_reason` (`blocked`:
    the prompt was blocked, so there was no candidate)."""
    if blocked or finish_reason in _REFUSALS:
        return StopReason.REFUSAL
    if finish_reason in _LIMITS:
        return StopReason.MAX_TOKENS
    if used_tools:
        return StopReason.TOOL_USE
    if finish_reason in _OWN_REASONS:
        return finish_reason  # type: ignore[return-value]
    return StopReason.END_TURN


def finish_reason_for(stop_reason: str | None) -> str:
    if stop_reason in _OWN_REASONS:
        return stop_reason  # type: ignore[return-value]
    return _FINISH_BY_STOP.get(stop_reason or "", "STOP")
