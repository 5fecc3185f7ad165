"""A deliberately high estimate of a neutral request's input tokens, without a tokenizer.

Routing by size (`input_tokens_above` in a routes file) must work whatever protocol the
client speaks, so this counts the neutral request a codec decoded, with the formula of the
Anthropic estimate (`codecs/anthropic/token_estimate.py`) so that both say the same of the
same request:

    16
    + ceil(ascii_chars / 3) + non_ascii_chars     over all text
    + 8 per message + 16 per tool
    + 1600 per image
    + 3000 per base64 document for every started 100,000 base64 characters

"All text" is the system prompt, text blocks, thinking, tool calls' names and inputs (compact
JSON), tool results, and each tool's name, description and schema as compact JSON. A route
that sends long requests to a large-context upstream must rather send one too many there
than one too few elsewhere: every choice rounds up.
"""

from __future__ import annotations

from ..neutral.blocks import Document, Image, Opaque, RedactedThinking, Text, Thinking, ToolCall, ToolResult
from ..neutral.request import Request, Tool
from ..token_arithmetic import (
    BASE_TOKENS,
    TOKENS_PER_IMAGE,
    TOKENS_PER_MESSAGE,
    TOKENS_PER_TOOL,
    TokenCounter,
    compact_json,
    pdf_tokens,
)


def estimate_tokens(request: Request) -> int:
    """The estimated input tokens of `request`, erring high; never raises.

    Blocks are walked without recursion, so tool results nested in tool results cost no
    stack; a JSON value nested deeper than the encoder follows is counted by its characters.
    """
    counter = _Counter()
    for text in request.system:
        counter.text(text.text)
    for turn in request.turns:
        counter.tokens += TOKENS_PER_MESSAGE
        counter.blocks(turn.blocks)
    for tool in request.tools:
        counter.tokens += TOKENS_PER_TOOL
        counter.text(compact_json(_tool_as_sent(tool)))
    return BASE_TOKENS + counter.total()


def _tool_as_sent(tool: Tool) -> object:
    if tool.raw is not None:  # a provider's built-in tool, or a client tool kept whole
        return tool.raw
    written = {"name": tool.name, "description": tool.description, "schema": tool.schema, "format": tool.format}
    return {field: value for field, value in written.items() if value is not None}


class _Counter(TokenCounter):
    def blocks(self, blocks: list) -> None:
        pending = list(reversed(blocks))
        while pending:
            block = pending.pop()
            if isinstance(block, ToolResult):
                pending.extend(reversed(block.content))
            elif isinstance(block, Document) and block.source == "content":
                pending.extend(reversed(block.content))
            else:
                self.block(block)

    def block(self, block: object) -> None:
        if isinstance(block, Text):
            self.text(block.text)
        elif isinstance(block, Thinking):
            self.text(block.text)
        elif isinstance(block, RedactedThinking):
            self.text(block.data)
        elif isinstance(block, ToolCall):
            self.text(block.name)
            self.text(block.raw_arguments if block.raw_arguments is not None else compact_json(block.arguments))
        elif isinstance(block, Image):
            self.tokens += TOKENS_PER_IMAGE
        elif isinstance(block, Document):
            self.document(block)
        elif isinstance(block, Opaque):
            self.text(compact_json(block.raw))
        else:
            self.text(compact_json(block))

    def document(self, document: Document) -> None:
        if document.source == "base64":
            self.tokens += pdf_tokens(len(document.data))
        else:  # "text" holds its text in data; "url" and "file" only name where it is
            self.text(document.data or document.url or document.file_id)
