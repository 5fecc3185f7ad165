"""The configured system prompt in an OpenAI Chat Completions body (`messages`); the modes
are described in `anyrouter_core.system_prompt`.

The system prompt is the run of `system` / `developer` messages at the start of `messages`;
system messages further on belong to the conversation (Claude Code's `role:"system"` messages
translated from Anthropic stay where they are), exactly as on the Anthropic side where they
are not part of `system`. Content may be a string or a list of text parts.

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

from ..system_prompt_parts import UnexpectedBody, is_text_part, last_cache_control, text_block

SYSTEM_ROLES = ("system", "developer")


def with_system_prompt(body: dict, prompt: str, mode: str) -> dict:
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise UnexpectedBody("'messages' is not a list")
    end = _system_run_end(messages)
    run, rest = messages[:end], messages[end:]
    role = run[0]["role"] if run else "system"
    new_message = {"role": role, "content": prompt}

    if not run:
        result_messages = [new_message, *rest]
    elif mode == "replace-first":
        result_messages = [_replace_first_text(run[0], prompt), *run[1:], *rest]
    elif mode == "replace-all":
        cache_control = last_cache_control(
            [part for message in run if isinstance(message["content"], list) for part in message["content"]]
        )
        if cache_control is not None:
            new_message["content"] = [{**text_block(prompt), "cache_control": cache_control}]
        result_messages = [new_message, *rest]
    elif mode == "prepend":
        result_messages = [new_message, *run, *rest]
    else:
        result_messages = [*run, new_message, *rest]
    return {**body, "messages": result_messages}


def _system_run_end(messages: list) -> int:
    """Where the leading run of system messages ends; UnexpectedBody for content it cannot hold."""
    end = 0
    while end < len(messages) and _is_system_message(messages[end]):
        content = messages[end].get("content")
        if not isinstance(content, str) and not (
            isinstance(content, list) and all(is_text_part(part) for part in content)
        ):
            raise UnexpectedBody(f"the content of system message {end} is neither a string nor text parts")
        end += 1
    return end


def _is_system_message(message: object) -> bool:
    return isinstance(message, dict) and message.get("role") in SYSTEM_ROLES


def _replace_first_text(message: dict, prompt: str) -> dict:
    content = message["content"]
    if isinstance(content, str) or not content:
        return {**message, "content": prompt}
    return {**message, "content": [{**content[0], "text": prompt}, *content[1:]]}
