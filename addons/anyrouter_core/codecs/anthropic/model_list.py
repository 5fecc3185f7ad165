"""The body of `GET /v1/models` for Anthropic clients: a page of `model` objects."""

from __future__ import annotations

from datetime import datetime

from ...model_catalog import display_name, release_time


def model_list(model_ids: list[str], fallback: datetime) -> dict:
    data = [
        {
            "type": "model",
            "id": model_id,
            "display_name": display_name(model_id),
            "created_at": release_time(model_id, fallback).strftime("%Y-%m-%dT%H:%M:%SZ"),
            # The proxy serves only the models it was configured with: all of them in use.
            "lifecycle": "active",
            "deprecated_at": None,
            "retires_at": None,
        }
        for model_id in model_ids
    ]
    return {
        "data": data,
        "has_more": False,
        "first_id": model_ids[0] if model_ids else None,
        "last_id": model_ids[-1] if model_ids else None,
    }
