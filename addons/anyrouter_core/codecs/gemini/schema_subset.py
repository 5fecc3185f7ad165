"""JSON Schema and the part of OpenAPI 3.0's Schema object that Gemini reads.

A function declaration's `parameters` (and a `responseSchema`) is Gemini's own subset of
OpenAPI's Schema object, and Gemini refuses the whole request, with an "Unknown name" 400,
for any keyword outside it. The tools of Claude Code, Codex and MCP servers are written in
full JSON Schema (`$schema`, `additionalProperties`, `$ref`/`$defs`, `const` …), so a tool of
theirs reaches Gemini only after `gemini_schema` has rewritten it into the subset, keeping
what the subset can say:

- `$ref` (to `#/$defs/…`, `#/definitions/…` or any JSON pointer into the schema) is replaced
  by what it points to; a reference that points into itself (a tree of nodes) is inlined once
  and its recursion becomes `{"type": "object"}` with a description saying so, and past
  `_MAX_INLINED` inlined references the rest are treated alike, so that no schema makes the
  proxy loop or multiply a schema beyond bounds.
- `allOf` is merged into one schema (properties and required names joined); `oneOf` becomes
  `anyOf`; a `null` alternative, `type: [..., "null"]` or a `null` in `enum` becomes
  `nullable`; several types become an `anyOf` of one type each.
- `const` becomes a one-value `enum`; Gemini takes `enum` for strings only, so the values of
  any other enum are told in the description instead. `exclusiveMinimum`/`Maximum` become
  `minimum`/`maximum`; `examples` its first value as `example`.
- `format` is kept where Gemini reads it (`enum` and `date-time` for strings, `int32`,
  `int64`, `float`, `double` for numbers); an array without `items` gets `items: {}` and
  required names that are not properties are removed (Gemini refuses both); an empty
  `properties` is left out (Gemini refuses that too).
- Every other keyword (`additionalProperties`, `patternProperties`, `propertyNames`,
  `multipleOf`, `not`, `if`/`then`/`else`, `unevaluated*` …) is left out. Property names
  are kept exactly.

`json_schema` reads the other way: a Gemini client's subset (UPPERCASE types, `nullable`,
snake_case keywords from google-genai) as the JSON Schema every other protocol takes.
"""

from __future__ import annotations

import json
import math
import urllib.parse

from .field_names import camel_case

ALLOWED = frozenset({
    "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties",
    "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf",
    "propertyOrdering", "default", "items", "minimum", "maximum",
})
TYPES = ("string", "number", "integer", "boolean", "array", "object")
_FORMATS = {"string": ("enum", "date-time"), "number": ("float", "double"), "integer": ("int32", "int64")}
_COUNTS = ("maxItems", "minItems", "minProperties", "maxProperties", "minLength", "maxLength")
_TEXTS = ("title", "description", "pattern")
_NULL = {"nullable": True}
# References inlined in one schema at most: a schema whose definitions refer to one another
# many times over would otherwise grow exponentially when inlined.
_MAX_INLINED = 1000
_TOO_DEEP = "An object (its schema is nested too deeply to be described here)."


def gemini_schema(schema: object) -> dict:
    """`schema` (any JSON Schema) in the subset of OpenAPI's Schema object Gemini accepts."""
    try:
        return _Subset(schema).convert(schema, ())
    except RecursionError:
        return {"type": "object", "description": _TOO_DEEP}


class _Subset:
    """One schema's conversion: its root (what `$ref`s point into) and the references
    inlined so far."""

    def __init__(self, root: object) -> None:
        self.root = root
        self.inlined = 0

    def convert(self, schema: object, refs: tuple[str, ...]) -> dict:
        """`refs`: the references being inlined around this schema, to stop recursion."""
        if not isinstance(schema, dict):
            return {}
        flat = self._flattened(schema, refs)
        if isinstance(flat, str):
            return _recursion_placeholder(flat, schema)
        node, refs = flat
        out: dict = {}
        types, nullable = _types(node.get("type"))
        nullable = nullable or node.get("nullable") is True
        alternatives = node.get("anyOf", node.get("oneOf"))
        merged_alternative: dict = {}
        if isinstance(alternatives, list):
            converted = [self.convert(alternative, refs) for alternative in alternatives]
            kept = [alternative for alternative in converted if alternative != _NULL]
            nullable = nullable or len(kept) < len(converted)
            if len(kept) == 1:
                merged_alternative = kept[0]
            elif kept:
                out["anyOf"] = kept
        if len(types) == 1:
            out["type"] = types[0]
        elif len(types) > 1 and "anyOf" not in out:
            out["anyOf"] = [self.convert({"type": kind}, refs) for kind in types]
        nullable = _add_enum(node, out) or nullable
        self._add_structure(node, out, refs)
        _add_annotations(node, out)
        if nullable:
            out["nullable"] = True
        return _with_alternative(out, merged_alternative) if merged_alternative else out

    def _flattened(self, schema: dict, refs: tuple[str, ...]) -> tuple[dict, tuple[str, ...]] | str:
        """`schema` with its `$ref` replaced by what it points to and its `allOf` merged into
        it, and the references that took; or the reference that would recurse."""
        while isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if ref in refs or self.inlined >= _MAX_INLINED:
                return ref
            self.inlined += 1
            target = _pointed_to(self.root, ref)
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            schema = {**(target if isinstance(target, dict) else {}), **siblings}
            refs = (*refs, ref)
        parts = schema.get("allOf")
        if not isinstance(parts, list):
            return schema, refs
        merged = {key: value for key, value in schema.items() if key != "allOf"}
        for part in parts:
            if not isinstance(part, dict):
                continue
            flat = self._flattened(part, refs)
            if isinstance(flat, str):
                continue  # a part that recurses adds nothing its first inlining did not
            part, refs = flat
            merged = _merge(merged, part)
        return merged, refs

    def _add_structure(self, node: dict, out: dict, refs: tuple[str, ...]) -> None:
        properties = node.get("properties")
        if isinstance(properties, dict) and properties:
            out["properties"] = {name: self.convert(value, refs) for name, value in properties.items()}
            required = node.get("required")
            if isinstance(required, list):
                names = list(dict.fromkeys(name for name in required if isinstance(name, str) and name in properties))
                if names:
                    out["required"] = names
            ordering = node.get("propertyOrdering")
            if isinstance(ordering, list):
                names = [name for name in ordering if isinstance(name, str) and name in properties]
                if names:
                    out["propertyOrdering"] = names
        items = node.get("items")
        if isinstance(items, list):  # draft 4's tuple: each item one of these
            out["items"] = self.convert({"anyOf": items}, refs)
        elif items is not None:
            out["items"] = self.convert(items, refs)
        elif out.get("type") == "array":
            out["items"] = {}


def _with_alternative(own: dict, alternative: dict) -> dict:
    """A schema and the one alternative its anyOf leaves, as one schema (both hold): the
    properties and required names of both, and elsewhere its own keywords win; the
    alternative's format and enum, which say something only of the alternative's own type,
    are left out when the types differ."""
    if "type" in own and alternative.get("type", own["type"]) != own["type"]:
        alternative = {key: value for key, value in alternative.items() if key not in ("format", "enum")}
    merged = {**alternative, **own}
    if "properties" in own and "properties" in alternative:
        merged["properties"] = {**alternative["properties"], **own["properties"]}
    if "required" in own and "required" in alternative:
        merged["required"] = list(dict.fromkeys([*own["required"], *alternative["required"]]))
    return merged


def _recursion_placeholder(ref: str, schema: dict) -> dict:
    description = schema.get("description")
    note = f"An object of the schema {ref} (a recursive reference, not expanded further)."
    return {"type": "object", "description": f"{description} ({note})" if isinstance(description, str) else note}


def _pointed_to(root: object, ref: str) -> object:
    """What a local reference (`#`, `#/$defs/name` …) points to in `root`; None for any other."""
    if not ref.startswith("#"):
        return None
    target = root
    for token in urllib.parse.unquote(ref[1:]).split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and token in target:
            target = target[token]
        elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
            target = target[int(token)]
        else:
            return None
    return target


def _merge(schema: dict, part: dict) -> dict:
    """`schema` and `part` as one schema (both hold): properties and required names joined,
    a property both describe made an `allOf` of both; elsewhere `schema`'s own keyword wins."""
    merged = dict(schema)
    for key, value in part.items():
        if key == "properties" and isinstance(value, dict) and isinstance(merged.get(key), dict):
            properties = dict(merged[key])
            for name, inner in value.items():
                properties[name] = {"allOf": [properties[name], inner]} if name in properties else inner
            merged[key] = properties
        elif key == "required" and isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = [*merged[key], *value]
        elif key not in merged:
            merged[key] = value
    return merged


def _types(kind: object) -> tuple[list[str], bool]:
    """The types a `type` keyword names (lower case, known ones only), and whether null is one."""
    kinds = kind if isinstance(kind, list) else [kind]
    names = [item.lower() for item in kinds if isinstance(item, str)]
    return list(dict.fromkeys(name for name in names if name in TYPES)), "null" in names


def _add_enum(node: dict, out: dict) -> bool:
    """Adds `node`'s enum (or const) to `out` as Gemini takes it; True when it allows null."""
    values = node.get("enum")
    if "const" in node and not isinstance(values, list):
        values = [node["const"]]
    if not isinstance(values, list) or not values:
        return False
    allows_null = None in values
    values = [value for value in values if value is not None]
    if not values:
        return allows_null
    if all(isinstance(value, str) for value in values) and out.get("type", "string") == "string":
        out["type"] = "string"
        out["enum"] = list(dict.fromkeys(values))
    else:
        allowed = ", ".join(_json_text(value) for value in values)
        description = node.get("description")
        prefix = f"{description} " if isinstance(description, str) and description else ""
        out["description"] = f"{prefix}(Allowed values: {allowed}.)"
    return allows_null


def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _add_annotations(node: dict, out: dict) -> None:
    for key in _TEXTS:
        if isinstance(node.get(key), str) and key not in out:
            out[key] = node[key]
    formats = _FORMATS.get(out.get("type", ""), ())
    if node.get("format") in formats:
        out["format"] = node["format"]
    for key in _COUNTS:
        if _is_count(node.get(key)):
            out[key] = node[key]
    _add_bounds(node, out)
    if "default" in node:
        out["default"] = node["default"]
    if "example" in node:
        out["example"] = node["example"]
    elif isinstance(node.get("examples"), list) and node["examples"]:
        out["example"] = node["examples"][0]


def _add_bounds(node: dict, out: dict) -> None:
    """minimum/maximum, tightened by an exclusive bound (JSON Schema draft 6 on writes it as a
    number; draft 4's boolean form adds nothing Gemini can hold)."""
    for bound, exclusive, tighter in (("minimum", "exclusiveMinimum", max), ("maximum", "exclusiveMaximum", min)):
        values = [node[key] for key in (bound, exclusive) if _is_number(node.get(key))]
        if values:
            out[bound] = tighter(values)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# ---------------------------------------------------------------- Gemini → JSON Schema


def json_schema(schema: object) -> object:
    """A Gemini client's schema (its OpenAPI subset, as Gemini or google-genai writes it) as
    JSON Schema: types in lower case, `nullable` as a `null` type, `example` as `examples`,
    snake_case keywords in camelCase. Property names are kept exactly."""
    if not isinstance(schema, dict):
        return schema
    out: dict = {}
    nullable = False
    for key, value in schema.items():
        name = camel_case(key)
        if name == "type" and isinstance(value, str):
            out["type"] = value.lower()
        elif name == "properties" and isinstance(value, dict):
            out["properties"] = {prop: json_schema(inner) for prop, inner in value.items()}
        elif name == "items":
            out["items"] = json_schema(value)
        elif name == "anyOf" and isinstance(value, list):
            out["anyOf"] = [json_schema(inner) for inner in value]
        elif name == "nullable":
            nullable = value is True
        elif name == "example":
            out["examples"] = [value]
        elif name == "propertyOrdering" or (name == "format" and value == "enum"):
            continue  # Gemini's own: the order of its output, and a format JSON Schema has no name for
        elif name in _COUNTS and isinstance(value, str) and value.isdigit():
            out[name] = int(value)  # int64 fields arrive as strings from proto-JSON writers
        else:
            out[name] = value
    if nullable:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        elif isinstance(out.get("anyOf"), list):
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    return out
