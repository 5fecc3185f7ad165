"""A deliberately high estimate of a Gemini request's input tokens, without a tokenizer.

The same arithmetic as every estimator of the proxy (`token_arithmetic`, the formula in
`codecs/anthropic/token_estimate.py`), over Gemini's shapes: the system instruction, every
content (8 tokens each) and its parts (text, thought text, function calls by name and
arguments, function responses as JSON, 1600 per image, the PDF rate per base64 PDF, any
other part as its JSON) and each function declaration (16 tokens, plus its JSON). A
countTokens body that wraps a whole request (`generateContentRequest`) is counted as that
request. Fields are read under both of their spellings (`field_names`); a malformed body is
counted as far as it can be, and this function never raises.
"""

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
from .field_names import value_of


def estimate_input_tokens(gemini_request_body: dict) -> int:
    body = gemini_request_body if isinstance(gemini_request_body, dict) else {}
    wrapped = value_of(body, "generateContentRequest")
    if isinstance(wrapped, dict) and value_of(body, "contents") is None:
        body = wrapped
    try:
        return _estimate(body)
    except RecursionError:
        return BASE_TOKENS + characters(body)


def _estimate(body: dict) -> int:
    counter = _Counter()
    instruction = value_of(body, "systemInstruction")
    counter.content(instruction)
    contents = value_of(body, "contents")
    for content in contents if isinstance(contents, list) else ():
        counter.tokens += TOKENS_PER_MESSAGE
        counter.content(content)
    tools = value_of(body, "tools")
    for tool in tools if isinstance(tools, list) else ():
        declarations = value_of(tool, "functionDeclarations") if isinstance(tool, dict) else None
        for declaration in declarations if isinstance(declarations, list) else [tool]:
            counter.tokens += TOKENS_PER_TOOL
            counter.text(compact_json(declaration))
    return BASE_TOKENS + counter.total()


class _Counter(TokenCounter):
    def content(self, content: object) -> None:
        if isinstance(content, str):
            self.text(content)
            return
        parts = value_of(content, "parts") if isinstance(content, dict) else None
        if isinstance(parts, list):
            for part in parts:
                self.part(part)
        elif content is not None:
            self.text(compact_json(content))

    def part(self, part: object) -> None:
        if not isinstance(part, dict):
            self.text(compact_json(part))
            return
        text, inline = value_of(part, "text"), value_of(part, "inlineData")
        call, response = value_of(part, "functionCall"), value_of(part, "functionResponse")
        if isinstance(text, str):
            self.text(text)
        elif isinstance(inline, dict):
            self.inline(inline)
        elif isinstance(call, dict):
            self.text(str(value_of(call, "name") or ""))
            self.text(compact_json(value_of(call, "args")))
        elif isinstance(response, dict):
            self.text(str(value_of(response, "name") or ""))
            self.text(compact_json(value_of(response, "response")))
            returned = value_of(response, "parts")  # the images or documents a function returned
            for item in returned if isinstance(returned, list) else ():
                self.part(item)
        else:
            self.text(compact_json(part))

    def inline(self, inline: dict) -> None:
        media_type, data = value_of(inline, "mimeType"), value_of(inline, "data")
        media_type = media_type.lower() if isinstance(media_type, str) else ""
        size = len(data) if isinstance(data, str) else 0
        if media_type.startswith("image/"):
            self.tokens += TOKENS_PER_IMAGE
        elif media_type == "application/pdf":
            self.tokens += pdf_tokens(size)
        else:
            # Text, or media no other protocol reads: one token per base64 character errs high.
            self.tokens += size
