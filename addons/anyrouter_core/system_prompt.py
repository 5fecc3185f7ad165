"""A configured system prompt put into the request the upstream receives (sans-IO).

The prompt goes into the body after translation, so each codec has its own rules for where a
system prompt lives in its protocol (`codecs/<protocol>/system_prompt.py`); this module picks
the upstream's. `with_system_prompt` returns a new body and never changes the one it is
given; a body whose system prompt is not shaped as expected raises `UnexpectedBody`, and the
caller sends the request unchanged (as the tool this replaces fell back to the original body).

Modes:

- `replace-first` (default): the first system text becomes the prompt; the rest stays.
- `replace-all`: the prompt becomes the whole system prompt.
- `prepend`: the prompt goes before the existing system text.
- `append`: the prompt goes after it.

A request without a system prompt gets the prompt as its system prompt, whatever the mode.
"""

from __future__ import annotations

from .codecs.system_prompt_parts import UnexpectedBody
from .protocols import protocol_named

__all__ = ["DEFAULT_MODE", "MODES", "UnexpectedBody", "with_system_prompt"]

MODES = ("replace-first", "replace-all", "prepend", "append")
DEFAULT_MODE = "replace-first"


def with_system_prompt(protocol: str, body: dict, prompt: str, mode: str = DEFAULT_MODE) -> dict:
    if mode not in MODES:
        raise ValueError(f"unknown system prompt mode {mode!r} (allowed: {', '.join(MODES)})")
    return protocol_named(protocol).codec.with_system_prompt(body, prompt, mode)
