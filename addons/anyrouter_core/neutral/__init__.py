"""The neutral model of an LLM exchange: what every protocol's codec decodes into and encodes from.

It is a superset of the four wire protocols, not one of them: a request (`request.py`), a
finished answer with its usage and stop reason (`answer.py`) and the events of a streamed
answer (`events.py`). Translating between two protocols is decoding with one codec and
encoding with the other (`anyrouter_core.translation`); nothing that both sides can carry is
lost in between (thinking signatures, cache marks, tool ids and errors, stop sequences, cache
usage).
"""

from .answer import Answer, StopReason, Usage
from .blocks import (
    Block,
    Document,
    Image,
    Opaque,
    RedactedThinking,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
)
from .events import (
    ArgumentsDelta,
    BlockStart,
    BlockStop,
    CitationDelta,
    Event,
    MessageDelta,
    MessageStart,
    MessageStop,
    SignatureDelta,
    StreamError,
    TextDelta,
    ThinkingDelta,
)
from .request import CUSTOM_TOOL, Namespace, Reasoning, Request, ResponseFormat, Tool, ToolChoice, Turn

__all__ = [
    "CUSTOM_TOOL", "Answer", "ArgumentsDelta", "Block", "BlockStart", "BlockStop", "CitationDelta", "Document", "Event", "Image",
    "MessageDelta", "MessageStart", "MessageStop", "Namespace", "Opaque", "Reasoning", "RedactedThinking",
    "Request", "ResponseFormat", "SignatureDelta", "StopReason", "StreamError", "Text", "TextDelta",
    "Thinking", "ThinkingDelta", "Tool", "ToolCall", "ToolChoice", "ToolResult", "Turn", "Usage",
]
