"""Where an OpenAI Chat Completions stream names the model: every chunk's top-level `model`.

Used to give a passed-through client the model name it asked for (`anyrouter_core.model_map`).
"""

from __future__ import annotations

# Only an event holding this text can name the model: every other event goes unparsed.
MODEL_EVENT_MARKER = '"model"'


def rename_model_in_event(event: dict, client_model: str) -> bool:
    """Sets the chunk's model name, if it has one; True if it did."""
    if "model" not in event:
        return False
    event["model"] = client_model
    return True
