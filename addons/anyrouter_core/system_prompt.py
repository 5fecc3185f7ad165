"""A configured system prompt put into the request the upstream receives (sans-IO).

One function per upstream protocol, since the prompt goes into the body after translation.
`with_system_prompt` returns a new body and never changes the one it is given; a body whose
system prompt is not shaped as expected raises `UnexpectedBody`, and the caller sends the
request unchanged (as the tool this replaces fell back to the original body).

Modes:

- `replace-first` (default): the first system text becomes the prompt; the rest stays.
- `replace-all`: the prompt becomes the whole system prompt.
- `prepend`: the prompt goes before the existing system text.
- `append`: the prompt goes after it.

A request without a system prompt gets the prompt as its system prompt, whatever the mode.

**Anthropic** (`system`): absent → `"<prompt>"`. A string: replace modes → `"<prompt>"`;
prepend/append → two text blocks, the prompt first or last (an empty string is dropped).
A list of text blocks:

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

**OpenAI** (`messages`): the system prompt is the run of `system` / `developer` messages at
the start of `messages`; system messages further on belong to the conversation (Claude Code's
`role:"system"` messages translated from Anthropic stay where they are), exactly as on the
Anthropic side where they are not part of `system`. Content may be a string or a list of
text parts.

- `replace-first`: the first message's content becomes the prompt (with text parts: the
  first part's `text`, other keys kept); no run → a system message is inserted first.
- `replace-all`: the run becomes one message with the first one's role; its content is the
  prompt, as a one-part list carrying the last `cache_control` found in the run when there
  is one (some OpenAI-compatible relays honour it), else a string.
- `prepend`: a new message at the start; `append`: a new message right after the run. The
  new message takes the role of the run's first message (`developer` stays `developer`),
  else `system`.
"""

from __future__ import annotations

from .errors import ANTHROPIC, OPENAI

MODES = ("replace-first", "replace-all", "prepend", "append")
DEFAULT_MODE = "replace-first"
SYSTEM_ROLES = ("system", "developer")


class UnexpectedBody(ValueError):
    """The body's system prompt is not shaped as expected; the body should go unchanged."""


def with_system_prompt(protocol: str, body: dict, prompt: str, mode: str = DEFAULT_MODE) -> dict:
    if mode not in MODES:
        raise ValueError(f"unknown system prompt mode {mode!r} (allowed: {', '.join(MODES)})")
    if protocol == ANTHROPIC:
        return anthropic_with_system_prompt(body, prompt, mode)
    if protocol == OPENAI:
        return openai_with_system_prompt(body, prompt, mode)
    raise ValueError(f"unknown protocol {protocol!r}")


def _text_block(text: str) -> dict:
    return {"type": "text", "text": text}


def _is_text_part(part: object) -> bool:
    return isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)


def _last_cache_control(parts: list) -> object | None:
    found = None
    for part in parts:
        if isinstance(part, dict) and part.get("cache_control") is not None:
            found = part["cache_control"]
    return found


# Anthropic -----------------------------------------------------------------------------------


def anthropic_with_system_prompt(body: dict, prompt: str, mode: str) -> dict:
    system = body.get("system")
    result = dict(body)
    result["system"] = _anthropic_system(system, prompt, mode)
    return result


def _anthropic_system(system: object, prompt: str, mode: str) -> str | list:
    if system is None:
        return prompt
    if isinstance(system, str):
        if mode.startswith("replace") or not system:
            return prompt
        blocks = [_text_block(prompt), _text_block(system)]
        return blocks if mode == "prepend" else blocks[::-1]
    if not isinstance(system, list):
        raise UnexpectedBody(f"'system' is neither a string nor a list of blocks but {type(system).__name__}")
    for index, block in enumerate(system):
        if not _is_text_part(block):
            raise UnexpectedBody(f"'system' block {index} is not a text block")
    if not system:
        return [_text_block(prompt)]
    if mode == "replace-first":
        return [{**system[0], "text": prompt}, *system[1:]]
    if mode == "replace-all":
        block = _text_block(prompt)
        cache_control = _last_cache_control(system)
        if cache_control is not None:
            block["cache_control"] = cache_control
        return [block]
    if mode == "prepend":
        return [_text_block(prompt), *system]
    return [*system, _text_block(prompt)]


# OpenAI --------------------------------------------------------------------------------------


def _is_system_message(message: object) -> bool:
    return isinstance(message, dict) and message.get("role") in SYSTEM_ROLES


def openai_with_system_prompt(body: dict, prompt: str, mode: str) -> dict:
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise UnexpectedBody("'messages' is not a list")
    end = 0
    while end < len(messages) and _is_system_message(messages[end]):
        content = messages[end].get("content")
        if not isinstance(content, str) and not (
            isinstance(content, list) and all(_is_text_part(part) for part in content)
        ):
            raise UnexpectedBody(f"the content of system message {end} is neither a string nor text parts")
        end += 1
    run, rest = messages[:end], messages[end:]
    role = run[0]["role"] if run else "system"
    new_message = {"role": role, "content": prompt}

    if not run:
        result_messages = [new_message, *rest]
    elif mode == "replace-first":
        result_messages = [_replace_first_text(run[0], prompt), *run[1:], *rest]
    elif mode == "replace-all":
        cache_control = _last_cache_control(
            [part for message in run if isinstance(message["content"], list) for part in message["content"]]
        )
        if cache_control is not None:
            new_message["content"] = [{**_text_block(prompt), "cache_control": cache_control}]
        result_messages = [new_message, *rest]
    elif mode == "prepend":
        result_messages = [new_message, *run, *rest]
    else:
        result_messages = [*run, new_message, *rest]
    return {**body, "messages": result_messages}


def _replace_first_text(message: dict, prompt: str) -> dict:
    content = message["content"]
    if isinstance(content, str) or not content:
        return {**message, "content": prompt}
    return {**message, "content": [{**content[0], "text": prompt}, *content[1:]]}
