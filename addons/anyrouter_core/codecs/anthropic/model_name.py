"""Where an Anthropic stream names the model: only `message_start`, in `message.model`.

Used to give a passed-through client the model name it asked for (`anyrouter_core.model_map`).
"""

from __future__ import annotations

# Only an event holding this text can name the model: every other event goes unparsed.
MODEL_EVENT_MARKER = '"message_start"'


def rename_model_in_event(event: dict, client_model: str) -> bool:
    """Sets the model name the event carries, if it carries one; True if it did."""
    message = event.get("message")
    if event.get("type") == "message_start" and isinstance(message, dict) and "model" in message:
        message["model"] = client_model
        return True
    return False
