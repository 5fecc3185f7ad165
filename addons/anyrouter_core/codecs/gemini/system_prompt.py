"""The configured system prompt in a Gemini body: `systemInstruction` (`system_instruction`
as the google-genai SDK writes it), a content whose parts are text, or a plain string as some
clients send it; the modes are described in `anyrouter_core.system_prompt`.

Absent or null → a content of one text part, the prompt. `replace-first`: the first part's
text becomes the prompt (its other keys kept); `replace-all`: the parts become that one part;
`prepend` / `append`: a part of the prompt before or after the client's parts. The content's
other keys (`role`) stay; a string is read as a content of one text part. Parts that are not
text, or a system instruction that is neither a content nor a string, are unexpected.
"""

from __future__ import annotations

from ..system_prompt_parts import UnexpectedBody

CAMEL, SNAKE = "systemInstruction", "system_instruction"


def with_system_prompt(body: dict, prompt: str, mode: str) -> dict:
    key = SNAKE if SNAKE in body and CAMEL not in body else CAMEL
    instruction = _content(body.get(key))
    parts = instruction.get("parts", [])
    prompt_part = {"text": prompt}
    if not parts or mode == "replace-all":
        parts = [prompt_part]
    elif mode == "replace-first":
        parts = [{**parts[0], "text": prompt}, *parts[1:]]
    elif mode == "prepend":
        parts = [prompt_part, *parts]
    else:
        parts = [*parts, prompt_part]
    return {**body, key: {**instruction, "parts": parts}}


def _content(instruction: object) -> dict:
    if instruction is None:
        return {}
    if isinstance(instruction, str):
        return {"parts": [{"text": instruction}]} if instruction else {}
    if not isinstance(instruction, dict):
        raise UnexpectedBody(f"the system instruction is not a content but {type(instruction).__name__}")
    parts = instruction.get("parts")
    if parts is None:
        return instruction
    if not isinstance(parts, list) or not all(isinstance(part, dict) and isinstance(part.get("text"), str) for part in parts):
        raise UnexpectedBody("the system instruction's parts are not all text parts")
    return instruction
