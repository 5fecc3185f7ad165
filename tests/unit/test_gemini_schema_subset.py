"""JSON Schema rewritten into the OpenAPI subset Gemini accepts (`gemini_schema`), and a Gemini
client's subset read back as JSON Schema (`json_schema`): each rule by example, the tools of
real Claude Code and Codex CLI requests, and for generated schemas the properties that keep Gemini from
refusing a tool: only allowed keywords at every level, no loop, and a fixed point."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from anyrouter_core.codecs.gemini.schema_subset import TYPES, gemini_schema, json_schema
from unit.gemini_checks import keywords_outside_the_subset

DATA = Path(__file__).parent.parent / "data"
CLAUDE_CODE = json.loads((DATA / "claude_code_request.json").read_text())
# The model and tools of the first Responses request Codex CLI 0.169.0 sent through the proxy
# (recorded from the run of tests/e2e/test_codex_cli.py's hello prompt): function tools and a
# namespace of them, with `additionalProperties: false` and nested objects and arrays.
CODEX = json.loads((DATA / "codex_request_tools.json").read_text())


# ---------------------------------------------------------------- rules by example


def test_json_schema_bookkeeping_and_unknown_keywords_are_left_out():
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#", "$id": "x", "$comment": "c", "type": "object",
        "additionalProperties": False, "propertyNames": {"pattern": "^a"}, "patternProperties": {"^x": {}},
        "unevaluatedProperties": False, "dependentRequired": {"a": ["b"]},
        "properties": {"a": {"type": "number", "multipleOf": 2, "not": {"const": 3}, "if": {}, "then": {}, "else": {}}},
    }
    assert gemini_schema(schema) == {"type": "object", "properties": {"a": {"type": "number"}}}


def test_references_are_inlined_from_defs_definitions_and_any_pointer():
    schema = {
        "type": "object",
        "$defs": {"name": {"type": "string", "minLength": 1}},
        "definitions": {"age": {"type": "integer", "minimum": 0}},
        "properties": {
            "name": {"$ref": "#/$defs/name", "description": "who"},
            "age": {"$ref": "#/definitions/age"},
            "again": {"$ref": "#/properties/age"},
        },
    }
    assert gemini_schema(schema)["properties"] == {
        "name": {"type": "string", "minLength": 1, "description": "who"},
        "age": {"type": "integer", "minimum": 0},
        "again": {"type": "integer", "minimum": 0},
    }


def test_a_recursive_reference_becomes_a_described_object_after_one_inlining():
    tree = {
        "$defs": {"node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
        "$ref": "#/$defs/node",
    }
    converted = gemini_schema(tree)
    inner = converted["properties"]["children"]["items"]
    assert inner == {"type": "object", "description": "An object of the schema #/$defs/node (a recursive reference, not expanded further)."}
    assert gemini_schema({"$ref": "#"}) == {"type": "object", "description": "An object of the schema # (a recursive reference, not expanded further)."}


def test_references_that_multiply_stop_at_a_bound():
    # Each definition uses the next twice: inlined in full it would have 2**40 leaves.
    defs = {f"d{n}": {"type": "object", "properties": {"a": {"$ref": f"#/$defs/d{n + 1}"}, "b": {"$ref": f"#/$defs/d{n + 1}"}}} for n in range(40)}
    defs["d40"] = {"type": "string"}
    converted = gemini_schema({"$defs": defs, "$ref": "#/$defs/d0"})
    assert len(json.dumps(converted)) < 2_000_000
    assert keywords_outside_the_subset(converted) == []


def test_an_unresolvable_reference_is_an_unconstrained_schema():
    assert gemini_schema({"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}}) == {
        "type": "object", "properties": {"a": {}},
    }


def test_all_of_is_merged_and_one_of_becomes_any_of():
    schema = {"allOf": [
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        {"properties": {"b": {"type": "integer"}}, "required": ["b"]},
    ]}
    assert gemini_schema(schema) == {
        "type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a", "b"],
    }
    assert gemini_schema({"oneOf": [{"type": "string"}, {"type": "integer"}]}) == {"anyOf": [{"type": "string"}, {"type": "integer"}]}


def test_null_in_a_type_list_an_any_of_or_an_enum_becomes_nullable():
    assert gemini_schema({"type": ["string", "null"], "format": "date-time"}) == {"type": "string", "format": "date-time", "nullable": True}
    assert gemini_schema({"anyOf": [{"type": "integer"}, {"type": "null"}], "description": "n"}) == {
        "type": "integer", "description": "n", "nullable": True,
    }
    assert gemini_schema({"type": "string", "enum": ["a", None]}) == {"type": "string", "enum": ["a"], "nullable": True}
    assert gemini_schema({"type": ["string", "integer"]}) == {"anyOf": [{"type": "string"}, {"type": "integer"}]}


def test_const_and_enums_are_kept_for_strings_and_told_in_the_description_otherwise():
    assert gemini_schema({"const": "fixed"}) == {"type": "string", "enum": ["fixed"]}
    assert gemini_schema({"type": "integer", "enum": [1, 2], "description": "Level"}) == {
        "type": "integer", "description": "Level (Allowed values: 1, 2.)",
    }
    assert gemini_schema({"const": True}) == {"description": "(Allowed values: true.)"}


def test_bounds_formats_examples_and_counts():
    assert gemini_schema({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10, "maximum": 5}) == {
        "type": "number", "minimum": 0, "maximum": 5,
    }
    assert gemini_schema({"type": "integer", "minimum": 1, "exclusiveMinimum": True}) == {"type": "integer", "minimum": 1}
    assert gemini_schema({"type": "string", "format": "uri"}) == {"type": "string"}
    assert gemini_schema({"type": "integer", "format": "int64"}) == {"type": "integer", "format": "int64"}
    assert gemini_schema({"type": "string", "examples": ["x", "y"], "default": "x", "title": "T"}) == {
        "type": "string", "title": "T", "default": "x", "example": "x",
    }
    assert gemini_schema({"type": "array", "minItems": 1, "maxItems": -1, "uniqueItems": True}) == {
        "type": "array", "minItems": 1, "items": {},
    }


def test_required_names_that_are_not_properties_and_empty_properties_are_left_out():
    assert gemini_schema({"type": "object", "properties": {}, "required": ["ghost"]}) == {"type": "object"}
    assert gemini_schema({"type": "object", "properties": {"a": {}}, "required": ["a", "ghost", "a"]}) == {
        "type": "object", "properties": {"a": {}}, "required": ["a"],
    }


def test_property_names_are_kept_exactly_even_when_they_look_like_keywords():
    names = {"$ref": {"type": "string"}, "-A": {"type": "number"}, "additionalProperties": {"type": "boolean"}}
    assert list(gemini_schema({"type": "object", "properties": names})["properties"]) == ["$ref", "-A", "additionalProperties"]


def test_tuple_items_become_an_any_of():
    assert gemini_schema({"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}) == {
        "type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    }


def test_a_schema_nested_too_deeply_is_an_object_not_a_crash():
    deep: dict = {"type": "string"}
    for _ in range(5000):
        deep = {"type": "array", "items": deep}
    assert gemini_schema(deep) == {"type": "object", "description": "An object (its schema is nested too deeply to be described here)."}


def assert_fits_the_subset_and_keeps_its_properties(name: str, schema: dict) -> None:
    converted = gemini_schema(schema)
    assert keywords_outside_the_subset(converted) == [], name
    assert list(converted.get("properties", {})) == list(schema.get("properties", {})), name
    assert converted.get("required", []) == schema.get("required", []), name


def test_every_claude_code_tool_fits_the_subset_and_keeps_its_properties():
    for tool in CLAUDE_CODE["tools"]:
        assert_fits_the_subset_and_keeps_its_properties(tool["name"], tool["input_schema"])


def codex_functions() -> list[dict]:
    """Codex's function tools, those of its namespaces included."""
    return [function for tool in CODEX["tools"] for function in tool.get("tools", [tool])]


def test_every_codex_tool_fits_the_subset_and_keeps_its_properties():
    functions = codex_functions()
    assert {tool["type"] for tool in CODEX["tools"]} == {"function", "namespace"}
    assert {function["type"] for function in functions} == {"function"}
    assert "exec_command" in [function["name"] for function in functions]
    for function in functions:
        assert_fits_the_subset_and_keeps_its_properties(function["name"], function["parameters"])


# ---------------------------------------------------------------- Gemini → JSON Schema


def test_a_gemini_subset_reads_as_json_schema():
    subset = {
        "type": "OBJECT", "propertyOrdering": ["a", "b"],
        "properties": {
            "a": {"type": "STRING", "nullable": True, "format": "enum", "enum": ["x"], "example": "x"},
            "b": {"type": "ARRAY", "items": {"type": "INTEGER"}, "max_items": "3"},
            "c": {"any_of": [{"type": "STRING"}], "nullable": True},
        },
        "required": ["a"],
    }
    assert json_schema(subset) == {
        "type": "object",
        "properties": {
            "a": {"type": ["string", "null"], "enum": ["x"], "examples": ["x"]},
            "b": {"type": "array", "items": {"type": "integer"}, "maxItems": 3},
            "c": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["a"],
    }


# ---------------------------------------------------------------- properties

_NAMES = st.sampled_from(["a", "b", "node", "$ref", "type", "x-y"])
_SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=4)
_KEYWORDS = {
    "type": st.sampled_from([*TYPES, "null", "STRING", "OBJECT"]) | st.lists(st.sampled_from([*TYPES, "null"]), max_size=3),
    "format": st.sampled_from(["date-time", "enum", "uri", "email", "int32", "double"]),
    "description": st.text(max_size=5), "title": st.text(max_size=5), "pattern": st.just("^a+$"),
    "enum": st.lists(_SCALARS, max_size=3), "const": _SCALARS, "default": _SCALARS, "examples": st.lists(_SCALARS, max_size=2),
    "minimum": st.integers(-3, 3), "exclusiveMinimum": st.integers(-3, 3) | st.booleans(),
    "maximum": st.floats(-3, 3), "exclusiveMaximum": st.floats(-3, 3), "multipleOf": st.just(2),
    "minLength": st.integers(-1, 3), "maxItems": st.integers(0, 3), "nullable": st.booleans(),
    "additionalProperties": st.booleans(), "$schema": st.just("https://json-schema.org/draft/2020-12/schema"),
    "$ref": st.sampled_from(["#", "#/$defs/a", "#/$defs/node", "#/definitions/b", "#/nowhere", "other.json"]),
    "required": st.lists(_NAMES, max_size=3),
}


def _schemas() -> st.SearchStrategy:
    leaves = st.fixed_dictionaries({}, optional=_KEYWORDS) | st.booleans()
    return st.recursive(
        leaves,
        lambda inner: st.fixed_dictionaries({}, optional={
            **_KEYWORDS,
            "properties": st.dictionaries(_NAMES, inner, max_size=3),
            "items": inner | st.lists(inner, max_size=2),
            "anyOf": st.lists(inner, max_size=3), "oneOf": st.lists(inner, max_size=3),
            "allOf": st.lists(inner, max_size=3), "not": inner,
            "$defs": st.dictionaries(st.sampled_from(["a", "node"]), inner, max_size=2),
            "definitions": st.dictionaries(st.just("b"), inner, max_size=1),
        }),
        max_leaves=12,
    )


@given(_schemas())
def test_generated_schemas_come_out_inside_the_subset_and_stay_there(schema):
    converted = gemini_schema(schema)
    assert keywords_outside_the_subset(converted) == []
    assert gemini_schema(converted) == converted
    json.dumps(converted)  # plain JSON: no shared or circular structure a writer could loop on


@given(_schemas())
def test_a_gemini_client_schema_survives_reading_and_rewriting(schema):
    subset = gemini_schema(schema)
    assert keywords_outside_the_subset(gemini_schema(json_schema(subset))) == []
