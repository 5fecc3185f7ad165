"""Request bodies as JSON, read strictly, and what to tell a client whose body is not an object.

Python's `json` accepts `NaN`, `Infinity` and `-Infinity`, which are not JSON (RFC 8259) and
which the proxy would otherwise send on to an upstream that cannot read them; and it raises
`RecursionError`, not `ValueError`, for a body nested deeper than the interpreter allows.
`load_json` turns both into `ValueError`, so a caller needs to catch one exception only.
"""

from __future__ import annotations

import json

_KINDS = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def load_json(content: bytes | str) -> object:
    """The parsed JSON value; ValueError for anything RFC 8259 does not call JSON."""
    try:
        return json.loads(content, parse_constant=_no_constants)
    except RecursionError:
        raise ValueError("it is nested too deeply") from None


def json_bytes(value: object) -> bytes:
    """`value` as JSON in UTF-8. A lone surrogate (legal in a JSON escape such as "\\ud83d",
    which clients send when they cut text inside an emoji) cannot be UTF-8: the text is then
    written with ASCII escapes, which keep it exactly."""
    try:
        return json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(value).encode()


def json_kind(value: object) -> str:
    """'an object', 'an array', … 'null': how a JSON value is named in an error message."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    return _KINDS.get(type(value), "a value")


def body_problem(content: bytes) -> str | None:
    """What is wrong with a body that must be a JSON object, e.g. 'is an array'; None when
    it is a JSON object."""
    if not content.strip():
        return "is empty"
    try:
        value = load_json(content)
    except ValueError as exc:
        return f"is not valid JSON ({exc})"
    if isinstance(value, dict):
        return None
    return f"is {json_kind(value)}"
