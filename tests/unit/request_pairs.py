"""The request translations the unit tests check, each as one composition of two codecs."""

from anyrouter_core.codecs.base import EncodeOptions
from anyrouter_core.protocols import ANTHROPIC, OPENAI
from anyrouter_core.translation import translate_request


def translate_openai_request(body, *, default_max_tokens: int = 8192):
    return translate_request(OPENAI, ANTHROPIC, body, EncodeOptions(default_max_tokens=default_max_tokens))


def translate_anthropic_request(body):
    return translate_request(ANTHROPIC, OPENAI, body, EncodeOptions())
