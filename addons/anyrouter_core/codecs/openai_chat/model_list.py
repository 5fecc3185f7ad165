"""The body of `GET /v1/models` for OpenAI clients: a list of `model` objects with owners."""

from __future__ import annotations

from datetime import datetime

from ...model_catalog import release_time


def owner(model_id: str) -> str:
    """`owned_by`: the vendor a model id's family belongs to, else the proxy."""
    if model_id.startswith("claude"):
        return "anthropic"
    if model_id.startswith(("gpt-", "o1", "o3", "o4", "chatgpt")):
        return "openai"
    return "anyrouter"


def model_list(model_ids: list[str], fallback: datetime) -> dict:
    return {
        "object": "list",
        "data": [
            {
                "id": model_id,
                "object": "model",
                "created": int(release_time(model_id, fallback).timestamp()),
                "owned_by": owner(model_id),
            }
            for model_id in model_ids
        ],
    }
