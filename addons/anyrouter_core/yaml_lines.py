"""Reading the proxy's JSON or YAML files so that every error names its line (sans-IO).

The files people write for the proxy (header rules, routes) are parsed with ruamel.yaml in
round-trip mode: it remembers where each mapping key, value and list item stood, so a value
that is wrong is reported on the line it was written on, not as "somewhere in the file". JSON
is YAML, so one parser reads both. Keys starting with `__` are comments in every such file.

What the callers share is here; what each file means is theirs (`header_rules.py`,
`routing/routes_file.py`).
"""

from __future__ import annotations

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError


class FileLineError(ValueError):
    """A mistake on one line (1-based) of a file, and what to do about it."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def load_document(text: str, error: type[FileLineError]) -> object:
    """The document in `text` (None when it holds nothing); invalid text raises `error`."""
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "not valid JSON or YAML"
        raise error(line, f"not valid JSON or YAML: {problem}") from None
    except YAMLError as exc:  # unmarked, e.g. a control character (ReaderError has a position)
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
        raise error(line, f"not valid JSON or YAML: {str(exc).splitlines()[0]}") from None


def is_comment(key: object) -> bool:
    return isinstance(key, str) and key.startswith("__")


def own_line(node: object, default: int = 1) -> int:
    """The line a mapping or list starts on; `default` for a scalar, which keeps no place."""
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else default


def key_line(mapping: object, key: object) -> int:
    try:
        return mapping.lc.key(key)[0] + 1  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError):
        return own_line(mapping)


def value_line(mapping: object, key: object) -> int:
    if mapping.get(key) is None:  # type: ignore[attr-defined]
        return key_line(mapping, key)  # a null has no place of its own: ruamel points past it
    try:
        return mapping.lc.value(key)[0] + 1  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError):
        return key_line(mapping, key)


def item_line(sequence: object, index: int) -> int:
    try:
        return sequence.lc.item(index)[0] + 1  # type: ignore[attr-defined]
    except (AttributeError, KeyError, IndexError, TypeError):
        return own_line(sequence)


def describe(value: object) -> str:
    """What a value is, as a message to the file's author names it ("a number", "a list")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"  # YAML also reads dates and timestamps
