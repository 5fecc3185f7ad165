"""Where an OpenAI Responses stream names the model: the `response` object that the
lifecycle events (`response.created`, `.in_progress`, `.completed`, …) carry.

Used to give a passed-through client the model name it asked for (`anyrouter_core.model_map`).
"""

from __future__ import annotations

# Only an event holding this text can name the model: every other event goes unparsed.
MODEL_EVENT_MARKER = '"model"'


def rename_model_in_event(event: dict, client_model: str) -> bool:
    """Sets the model name of the response the event carries, if it has one; True if it did."""
    response = event.get("response")
    if isinstance(response, dict) and "model" in response:
        response["model"] = client_model
        return True
    return False
