"""Gemini's thought signatures, carried through other protocols.

Gemini signs the thinking behind a function call with a `thoughtSignature` on the call's
part, and refuses a replayed history whose call lacks it ("Function call is missing a
thought_signature"). A client of another protocol keeps it by its own means: the neutral
call carries it (`ToolCall.signature`), and the answer also gets a thinking block with no
text whose signature is the Gemini one marked as such, which Anthropic clients send back as
a thinking block and Responses clients as a reasoning item's `encrypted_content`. The mark
keeps such a signature away from Anthropic and OpenAI upstreams, which would refuse it, and
tells the Gemini encoder to put it back on the call that follows.
"""

from __future__ import annotations

PREFIX = "gemini-thought-signature:"


def carried(signature: str) -> str:
    """A Gemini signature as another protocol's thinking signature."""
    return PREFIX + signature


def gemini_signature(signature: str | None) -> str | None:
    """The Gemini signature a thinking signature carries, or None when it carries none."""
    if signature and signature.startswith(PREFIX):
        return signature[len(PREFIX):] or None
    return None


def is_carried(signature: str | None) -> bool:
    return gemini_signature(signature) is not None
