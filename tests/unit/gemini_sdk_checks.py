"""Checks with google-genai's own types: its models refuse unknown fields (extra="forbid",
recursively), and the dump compared with the input catches a value read otherwise."""

from __future__ import annotations

from google.genai import types


def sdk_round_trip(model: type, body: dict) -> object:
    """The body parsed as `model`; asserts that dumping it back gives the body unchanged,
    so a field unknown to the SDK or a value it reads differently fails."""
    parsed = model.model_validate(body)
    assert parsed.model_dump(mode="json", by_alias=True, exclude_none=True) == body
    return parsed


def sdk_answer(body: dict) -> types.GenerateContentResponse:
    return sdk_round_trip(types.GenerateContentResponse, body)
