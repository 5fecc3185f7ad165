"""The configured system prompt in an OpenAI Responses body: `instructions`, a string; the
modes are described in `anyrouter_core.system_prompt`.

Absent, null or empty → the prompt. Replace modes → the prompt; `prepend` / `append` → the
prompt before or after the client's instructions, a blank line between. Developer and system
messages inside `input` belong to the conversation and stay where they are, as system
messages after the leading run do in Chat Completions. Instructions that are not a string
(the Responses API takes only a string from clients) are unexpected.
"""

from __future__ import annotations

from ..system_prompt_parts import UnexpectedBody


def with_system_prompt(body: dict, prompt: str, mode: str) -> dict:
    return {**body, "instructions": _instructions(body.get("instructions"), prompt, mode)}


def _instructions(instructions: object, prompt: str, mode: str) -> str:
    if instructions is None or instructions == "":
        return prompt
    if not isinstance(instructions, str):
        raise UnexpectedBody(f"'instructions' is not a string but {type(instructions).__name__}")
    if mode.startswith("replace"):
        return prompt
    return f"{prompt}\n\n{instructions}" if mode == "prepend" else f"{instructions}\n\n{prompt}"
