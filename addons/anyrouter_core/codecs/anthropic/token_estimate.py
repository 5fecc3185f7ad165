"""A deliberately high estimate of an Anthropic request's input tokens, without a tokenizer."""

from __future__ import annotations

from ...token_arithmetic import (
    BASE_TOKENS,
    TOKENS_PER_IMAGE,
    TOKENS_PER_MESSAGE,
    TOKENS_PER_TOOL,
    TokenCounter,
    characters,
    compact_json,
    pdf_tokens,
)

def estimate_input_tokens(anthropic_request_body: dict) -> int:
    """Estimate the input tokens of an Anthropic Messages request, erring high.

    Used for `/v1/messages/count_tokens` when the upstream cannot count, and for the
    `message_start` usage of a translated stream. A client that compacts its context by
    this number must compact too early rather than too late, hence every choice rounds up:

        16
        + ceil(ascii_chars / 3) + non_ascii_chars     over all text
        + 8 per message + 16 per tool
        + 1600 per image
        + 3000 per base64 PDF for every started 100,000 base64 characters

    "All text" is the system prompt, message text, thinking, tool_use inputs and tool
    results, and each tool's name, description and schema as compact JSON. Tokenizers put
    about 3.5–4 ASCII characters in a token, and at most one other character. Block types
    not listed count as their compact JSON. A malformed body is counted as far as it can
    be; this function never raises.
    """
    body = anthropic_request_body if isinstance(anthropic_request_body, dict) else {}
    try:
        return _estimate(body)
    except RecursionError:
        # Content nested deeper than Python follows (lists in lists, tool results in tool
        # results): one token per character of the whole body, counted without recursion.
        return BASE_TOKENS + characters(body)


def _estimate(body: dict) -> int:
    counter = _Counter()
    counter.content(body.get("system"))
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else ():
        counter.tokens += TOKENS_PER_MESSAGE
        counter.content(message.get("content") if isinstance(message, dict) else message)
    tools = body.get("tools")
    for tool in tools if isinstance(tools, list) else ():
        counter.tokens += TOKENS_PER_TOOL
        counter.text(compact_json(tool))
    return BASE_TOKENS + counter.total()


class _Counter(TokenCounter):
    def content(self, content: object) -> None:
        if isinstance(content, str):
            self.text(content)
        elif isinstance(content, list):
            for block in content:
                self.block(block)
        elif content is not None:
            self.text(compact_json(content))

    def block(self, block: object) -> None:
        if not isinstance(block, dict):
            self.content(block)
            return
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            self.text(block["text"])
        elif kind == "thinking" and isinstance(block.get("thinking"), str):
            self.text(block["thinking"])
        elif kind == "tool_use":
            self.text(str(block.get("name", "")))
            self.text(compact_json(block.get("input")))
        elif kind == "tool_result":
            self.content(block.get("content"))
        elif kind == "image":
            self.tokens += TOKENS_PER_IMAGE
        elif kind == "document" and (data := _base64_data(block)) is not None:
            self.tokens += pdf_tokens(len(data))
        else:
            self.text(compact_json(block))


def _base64_data(block: dict) -> str | None:
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "base64" and isinstance(source.get("data"), str):
        return source["data"]
    return None
