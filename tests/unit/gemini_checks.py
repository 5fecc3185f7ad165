"""Checks for what the Gemini request encoder writes: schemas inside the subset Gemini accepts."""

from __future__ import annotations

from anyrouter_core.codecs.gemini.schema_subset import ALLOWED, TYPES


def keywords_outside_the_subset(schema: object, where: str = "") -> list[str]:
    """Every keyword Gemini would refuse, with where it is, walking only schema positions
    (property values, items, anyOf entries); values (enum, default, example) are not schemas."""
    if not isinstance(schema, dict):
        return [f"{where}: not an object"]
    found = [f"{where}.{key}" for key in schema if key not in ALLOWED]
    if "type" in schema and schema["type"] not in TYPES:
        found.append(f"{where}.type={schema['type']!r}")
    for name, inner in (schema.get("properties") or {}).items():
        found += keywords_outside_the_subset(inner, f"{where}.properties[{name}]")
    if "items" in schema:
        found += keywords_outside_the_subset(schema["items"], f"{where}.items")
    for index, inner in enumerate(schema.get("anyOf") or []):
        found += keywords_outside_the_subset(inner, f"{where}.anyOf[{index}]")
    if isinstance(schema.get("required"), list):
        missing = set(schema["required"]) - set(schema.get("properties") or {})
        found += [f"{where}.required names {sorted(missing)}"] if missing else []
    if schema.get("type") == "array" and "items" not in schema:
        found.append(f"{where}: an array without items")
    if "enum" in schema and not all(isinstance(value, str) for value in schema["enum"]):
        found.append(f"{where}.enum holds values that are not strings")
    return found
