"""The configured system prompt in an Anthropic Messages body (`system`); the modes are
described in `anyrouter_core.system_prompt`.

Absent → `"<prompt>"`. A string: replace modes → `"<prompt>"`; prepend/append → two text
blocks, the prompt first or last (an empty string is dropped). A list of text blocks:

- `replace-first` changes only the first block's `text`; its other keys, `cache_control`
  included, stay. The cached prefix up to each breakpoint then holds the configured prompt
  and is reused by every later request.
- `replace-all` gives one block; it carries the `cache_control` of the last original block
  that had one, so a client that asked for the system prompt to be cached still has it
  cached (one breakpoint, covering the whole prompt).
- `prepend` / `append` add a block without `cache_control`. Prepended, it stays inside the
  prefix the client's breakpoints cover (the text is the same on every request, so the cache
  keeps hitting); appended after the last breakpoint it is simply sent uncached. Adding a
  breakpoint of our own could exceed Anthropic's limit of four per request.

Anything else in `system` (a number, a non-text block) is unexpected.
"""

from __future__ import annotations

from ..system_prompt_parts import UnexpectedBody, is_text_part, last_cache_control, text_block


def with_system_prompt(body: dict, prompt: str, mode: str) -> dict:
    return {**body, "system": _system(body.get("system"), prompt, mode)}


def _system(system: object, prompt: str, mode: str) -> str | list:
    if system is None:
        return prompt
    if isinstance(system, str):
        if mode.startswith("replace") or not system:
            return prompt
        blocks = [text_block(prompt), text_block(system)]
        return blocks if mode == "prepend" else blocks[::-1]
    if not isinstance(system, list):
        raise UnexpectedBody(f"'system' is neither a string nor a list of blocks but {type(system).__name__}")
    for index, block in enumerate(system):
        if not is_text_part(block):
            raise UnexpectedBody(f"'system' block {index} is not a text block")
    if not system:
        return [text_block(prompt)]
    if mode == "replace-first":
        return [{**system[0], "text": prompt}, *system[1:]]
    if mode == "replace-all":
        block = text_block(prompt)
        cache_control = last_cache_control(system)
        if cache_control is not None:
            block["cache_control"] = cache_control
        return [block]
    if mode == "prepend":
        return [text_block(prompt), *system]
    return [*system, text_block(prompt)]
