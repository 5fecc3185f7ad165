"""Reading typed values out of a routes file's mappings, each error on the value's own line.

Shared by the parts of the routes file parser (`routes_file.py`, `upstream_entry.py`). A key
whose value is null counts as left out, as in header rules files. Where a string is needed,
anything else is an error asking to quote it: YAML reads `1.10` as the number 1.1 and `007`
as 7, and a model or key name must not silently become something other than what the file
says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from ..yaml_lines import FileLineError, describe, is_comment, item_line, key_line, own_line, value_line

ReadText = Callable[[str], str]


class RoutesFileError(FileLineError):
    """A mistake in a routes file, on its 1-based line."""


def entries(mapping: dict) -> Iterator[tuple[object, object]]:
    """The mapping's keys and values, comments (`__` keys) left out."""
    return ((key, value) for key, value in mapping.items() if not is_comment(key))


def check_keys(mapping: dict, allowed: Sequence[str], where: str) -> None:
    for key, _ in entries(mapping):
        if key not in allowed:
            raise RoutesFileError(
                key_line(mapping, key), f"unknown key {key!r} in {where} (allowed: {', '.join(allowed)})"
            )


def mapping_at(mapping: dict, key: str, what: str, expected: str) -> dict | None:
    value = mapping.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise RoutesFileError(value_line(mapping, key), f"{what} must be {expected}, not {describe(value)}")


def _quote_hint(value: object) -> str:
    return ": quote it" if isinstance(value, (bool, int, float)) else ""


def checked_string(value: object, line: int, what: str) -> str:
    """`value` as a plain non-empty string, else an error on `line`."""
    if not isinstance(value, str):
        raise RoutesFileError(line, f"{what} must be a string, not {describe(value)}{_quote_hint(value)}")
    if not value.strip():
        raise RoutesFileError(line, f"{what} is empty")
    return str(value)  # ruamel's string kinds (literal, folded …) as a plain str


def string_at(mapping: dict, key: str, what: str) -> str | None:
    value = mapping.get(key)
    return None if value is None else checked_string(value, value_line(mapping, key), what)


def required_string(mapping: dict, key: str, what: str, where: str) -> str:
    value = string_at(mapping, key, what)
    if value is None:
        raise RoutesFileError(key_line(mapping, key) if key in mapping else own_line(mapping), f"{where} needs {key!r}")
    return value


def bool_at(mapping: dict, key: str, what: str) -> bool | None:
    value = mapping.get(key)
    if value is None or isinstance(value, bool):
        return value
    shown = f" ({value!r})" if isinstance(value, str) else ""
    raise RoutesFileError(value_line(mapping, key), f"{what} must be true or false, not {describe(value)}{shown}")


def whole_number_at(mapping: dict, key: str, what: str, minimum: int) -> int | None:
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RoutesFileError(value_line(mapping, key), f"{what} must be a whole number, not {describe(value)}")
    if value < minimum:
        raise RoutesFileError(value_line(mapping, key), f"{what} must be at least {minimum}, not {value}")
    return int(value)


def strings_at(mapping: dict, key: str, what: str) -> list[tuple[str, int]]:
    """One string or a list of them, each with its line; [] when the key is left out."""
    value = mapping.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        if not value:
            raise RoutesFileError(value_line(mapping, key), f"{what} is an empty list: give at least one, or leave it out")
        return [(checked_string(item, item_line(value, i), what), item_line(value, i)) for i, item in enumerate(value)]
    line = value_line(mapping, key)
    return [(checked_string(value, line, f"{what} (one, or a list of them)"), line)]


def file_reference(value: str) -> str | None:
    """The path in a `@path` value, or None for a value given inline."""
    return value[1:].strip() if value.startswith("@") else None


def read_referenced(read_text: ReadText, path: str, line: int, what: str) -> str:
    """The text of the file a `@path` value names; any failure is an error on its line."""
    if not path:
        raise RoutesFileError(line, f"{what}: give a file name after '@'")
    try:
        return read_text(path)
    except OSError as exc:
        raise RoutesFileError(line, f"{what}: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RoutesFileError(line, f"{what}: {path} is not UTF-8 text") from None
