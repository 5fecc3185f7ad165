"""Checks with google-genai's own types: a body the SDK parses, and parses without a field it
does not know (its models ignore unknown fields, so the dump must equal the input)."""

from __future__ import annotations

from google.genai import types


def sdk_round_trip(model: type, body: dict) -> object:
    """The body parsed as `model`; asserts that dumping it back gives the body unchanged,
    which fails for any field the SDK does not know or a value it reads differently."""
    parsed = model.model_validate(body)
    assert parsed.model_dump(mode="json", by_alias=True, exclude_none=True) == body
    return parsed


def sdk_answer(body: dict) -> types.GenerateContentResponse:
    return sdk_round_trip(types.GenerateContentResponse, body)
