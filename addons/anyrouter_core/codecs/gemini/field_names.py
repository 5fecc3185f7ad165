"""The two spellings of a Gemini field name.

Gemini documents its fields in camelCase (`functionCall`, `maxOutputTokens`), but its API
reads snake_case too, and the google-genai SDK sends that (`function_call`,
`max_output_tokens`). A reader of a Gemini body looks each field up under both names, and
names it in its messages the way the client wrote it.
"""

from __future__ import annotations

import functools
import re

_UPPER = re.compile(r"[A-Z]")
_UNDERSCORED = re.compile(r"_([a-z0-9])")


# A reader looks up every field of every part under both names: about 1,700 calls for an
# 80 KB request, half its decoding time when each was a regex substitution. The names are the
# codec's own (a few dozen); the bound keeps the cache small whatever a caller passes.
@functools.lru_cache(maxsize=256)
def snake_case(camel: str) -> str:
    return _UPPER.sub(lambda found: "_" + found.group().lower(), camel)


def camel_case(name: str) -> str:
    return _UNDERSCORED.sub(lambda found: found.group(1).upper(), name)


def key_in(container: dict, camel: str) -> str:
    """The key the client wrote field `camel` under: its camelCase or its snake_case name
    (the camelCase one when it wrote neither)."""
    if camel in container:
        return camel
    snake = snake_case(camel)
    return snake if snake in container else camel


def value_of(container: dict, camel: str) -> object:
    return container.get(key_in(container, camel))
