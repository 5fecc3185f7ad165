"""The bodies of `GET /v1beta/models` and `GET /v1beta/models/{model}` for Gemini clients:
Gemini's `Model` objects, named `models/<id>`.

Choices:
- `version` is the model's release date (`YYYYMMDD`) as its id says it, else the given
  fallback's, else `latest`; `displayName` as the other lists show it (`Claude Sonnet 4.5`).
- The token limits are those Gemini 2.5 models report (1 048 576 in, 65 536 out): the proxy
  does not know the limits of the models behind it, and Gemini CLI keeps its own table
  rather than reading them; the upstream refuses what is too long for its model.
- Every model supports the three methods the proxy serves for Gemini clients.
"""

from __future__ import annotations

from datetime import datetime

from ...model_catalog import display_name, release_time
from .paths import model_path

INPUT_TOKEN_LIMIT = 1_048_576
OUTPUT_TOKEN_LIMIT = 65_536
METHODS = ("generateContent", "streamGenerateContent", "countTokens")


def model_entry(model_id: str, released: datetime | None = None) -> dict:
    name = display_name(model_id)
    return {
        "name": f"models/{model_id}",
        "baseModelId": model_id,
        "version": released.strftime("%Y%m%d") if released is not None else "latest",
        "displayName": name,
        "description": f"{name}, served through anyrouter",
        "inputTokenLimit": INPUT_TOKEN_LIMIT,
        "outputTokenLimit": OUTPUT_TOKEN_LIMIT,
        "supportedGenerationMethods": list(METHODS),
    }


def model_list(model_ids: list[str], fallback: datetime) -> dict:
    return {"models": [model_entry(model_id, release_time(model_id, fallback)) for model_id in model_ids]}


def models_at(path: str, model_ids: list[str], started: datetime) -> dict:
    """The list at `/v1beta/models`, or the one model `/v1beta/models/{model}` names: any name
    is answered, as the proxy serves any name the upstream knows (Gemini CLI reads a model
    before it calls it)."""
    listed = model_path(path)
    model = listed[1] if listed is not None else None
    if model is not None:
        return model_entry(model.removeprefix("models/"))
    return model_list(model_ids, started)
