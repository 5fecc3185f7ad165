"""The registry of protocols: every "which protocol is this" decision is made here or in a
codec, nowhere else."""

from __future__ import annotations

from types import SimpleNamespace

from .codecs.anthropic import request_decode as anthropic_decode, request_encode as anthropic_encode
from .codecs.openai_chat import request_decode as openai_decode, request_encode as openai_encode
from .errors import ANTHROPIC, OPENAI

_CODECS = {
    ANTHROPIC: SimpleNamespace(decode_request=anthropic_decode.decode_request, encode_request=anthropic_encode.encode_request),
    OPENAI: SimpleNamespace(decode_request=openai_decode.decode_request, encode_request=openai_encode.encode_request),
}


def codec_of(protocol: str):
    return _CODECS[protocol]
