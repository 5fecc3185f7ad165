"""Where a Gemini stream names the model: every chunk's top-level `modelVersion`.

Used to give a passed-through client the model name it asked for (`anyrouter_core.model_map`).
"""

from __future__ import annotations

# Only an event holding this text can name the model: every other event goes unparsed.
MODEL_EVENT_MARKER = '"modelVersion"'


def rename_model_in_event(event: dict, client_model: str) -> bool:
    """Sets the chunk's model name, if it has one; True if it did."""
    if "modelVersion" not in event:
        return False
    event["modelVersion"] = client_model
    return True
