"""Content blocks: the typed pieces of a turn, of a tool result and of an answer.

Every block may carry `path`, where it came from in the client's body written the way the
client's protocol writes paths (`messages.2.content.0`, `messages[2].content[0]`), so that an
encoder that cannot carry a block can say exactly which one; and `cache`, the cache mark a
client put on it (Anthropic's `cache_control` object, kept as sent).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Text:
    """`refusal`: the model declined, and this text says so (OpenAI keeps such text apart from
    the content; protocols without that distinction send it as ordinary text)."""

    text: str
    cache: dict | None = None
    citations: list | None = None
    path: str = ""
    refusal: bool = False


@dataclass(slots=True)
class Image:
    """`source` says which of the other fields hold the image: "base64" (media_type and data),
    "url" (url) or "file" (file_id, an id in a provider's file store). `detail` is the
    resolution an OpenAI client asked for."""

    source: str
    media_type: str = ""
    data: str = ""
    url: str = ""
    file_id: str = ""
    detail: str | None = None
    cache: dict | None = None
    path: str = ""


@dataclass(slots=True)
class Document:
    """A document (a PDF, plain text, or content blocks). `source`: "base64" (media_type and
    data), "text" (data holds the text), "content" (content holds blocks), "url" or "file"."""

    source: str
    media_type: str = ""
    data: str = ""
    url: str = ""
    file_id: str = ""
    content: list[Block] = field(default_factory=list)
    title: str | None = None
    context: str | None = None
    citations: dict | None = None
    cache: dict | None = None
    path: str = ""


@dataclass(slots=True)
class Thinking:
    """Reasoning text. `signature` is the upstream's proof of it (Anthropic signs thinking and
    wants it back unchanged; OpenAI Responses' `encrypted_content` is its opaque state of the
    reasoning); None when the upstream gave none. `raw_text`: the upstream said the text is
    the model's reasoning itself, not a summary of it (only OpenAI Responses tells them apart,
    as `reasoning_text` and `summary_text`)."""

    text: str
    signature: str | None = None
    path: str = ""
    raw_text: bool = False


@dataclass(slots=True)
class RedactedThinking:
    data: str
    path: str = ""


@dataclass(slots=True)
class ToolCall:
    """A call of a client tool. `arguments` is the parsed JSON object; when an upstream sent
    arguments that are not a JSON object, `raw_arguments` holds them as sent. A call of a
    custom tool (`custom`, free-form input text) holds that text as `arguments["input"]`, the
    one string parameter such a tool has in protocols that know only JSON input.
    `namespace`: the name of the group of tools the called one belongs to, if any.
    `signature`: Gemini's `thoughtSignature` of the call, which it wants back on the call when
    the history is replayed (see `codecs/gemini/thought_signatures.py`); None when there is none."""

    id: str
    name: str
    arguments: dict = field(default_factory=dict)
    raw_arguments: str | None = None
    cache: dict | None = None
    path: str = ""
    custom: bool = False
    namespace: str | None = None
    signature: str | None = None


@dataclass(slots=True)
class ToolResult:
    call_id: str
    content: list[Block] = field(default_factory=list)
    is_error: bool = False
    cache: dict | None = None
    path: str = ""


@dataclass(slots=True)
class Opaque:
    """A block of the client's own protocol with no neutral meaning (a server tool's call or
    result, a search result …), kept whole: an encoder of that protocol sends it back as it
    was, any other encoder refuses or drops it and says so."""

    type: str
    raw: dict
    protocol: str
    path: str = ""


Block = Text | Image | Document | Thinking | RedactedThinking | ToolCall | ToolResult | Opaque
