"""The body of `GET /v1/models` for Responses clients: OpenAI's model list, the same shape
(Codex reads it like any OpenAI client)."""

from ..openai_chat.model_list import model_list

__all__ = ["model_list"]
