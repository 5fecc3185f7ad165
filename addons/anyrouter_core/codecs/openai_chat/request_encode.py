"""A neutral `Request` → an OpenAI Chat Completions request body.

Choices where the protocols leave room (the policies an OpenAI-compatible upstream needs):
- The output limit is sent as `max_tokens`, the name that llama.cpp, vLLM, relays and OpenAI's
  non-reasoning models all accept; `max_completion_tokens` is newer and missing from many
  compatible servers.
- Text-only content becomes a plain string (blocks joined by a blank line), which every
  compatible server accepts; content parts are used only when an image or PDF needs them.
- A system turn with no text (Claude Code sends one to carry a mid-conversation
  `output_config`) is not sent, like an empty system prompt.
- Tool results become `role:"tool"` messages placed right after the assistant message that
  asked for them, so the OpenAI rule "tool messages directly follow their tool_calls" holds
  even when a system message sits in between. An error result keeps its meaning as an
  `Error: ` prefix.
- Images and PDFs returned by a tool cannot ride in a tool message; they follow in the next
  user message after a line naming the tool call they came from.
- Reasoning: `reasoning_effort` as `openai_common` chooses it (xhigh/max → high).
  Disabled thinking sends nothing, whatever the effort. Thinking blocks in the history
  are never sent as content (their signatures mean nothing to another model). A reasoning
  summary has no Chat Completions form: dropped and named.
- A user id goes to `user` as `openai_common` writes it.
- Custom tools (free-form input) become functions with one string parameter, `input`
  (`codecs/custom_tools.py`); a tool's namespace is not sent, only its name. A prompt cache
  key is kept as `prompt_cache_key`.
- PDF documents by URL or by file id, and images by file id, cannot be carried (OpenAI file
  parts take inline data only) and are refused, as are blocks with no OpenAI form.
- Stop sequences are sent as they are; OpenAI itself accepts at most 4 and says so. A
  sampling seed (a Gemini client's `generationConfig.seed`) is `seed`.
- Dropped and named: `top_k`, provider tools (web search, bash, …), and every top-level field
  only the client's protocol knows. Cache marks and metadata beyond the user id are removed
  without a mention: they change cost, never the answer.
"""

from __future__ import annotations

import json

from ...errors import RequestRejected, invalid_request
from ...neutral import (
    CUSTOM_TOOL,
    Document,
    Image,
    Opaque,
    RedactedThinking,
    Request,
    Text,
    Thinking,
    Tool,
    ToolCall,
    ToolResult,
    Turn,
)
from ..base import EncodedRequest, EncodeOptions
from ..custom_tools import INPUT_SCHEMA, custom_tool_description
from ..openai_common import effort_for, json_schema_spec, openai_user_id

PROTOCOL = "openai"
_REASONING_BY_EFFORT = {
    "minimal": "minimal", "low": "low", "medium": "medium", "high": "high", "xhigh": "high", "max": "high",
}
_CANNOT_BE_SENT = "cannot be sent to an OpenAI-compatible upstream"
_BLOCK_KINDS = {
    Text: "text", Image: "image", Document: "document", Thinking: "thinking",
    RedactedThinking: "redacted_thinking", ToolCall: "tool_use", ToolResult: "tool_result",
}
_TOOL_CHOICES = {"auto": "auto", "required": "required", "none": "none"}


def encode_request(request: Request, options: EncodeOptions) -> EncodedRequest:
    same_protocol = request.protocol == PROTOCOL
    messages = _system_prompt(request.system) + _Conversation(same_protocol).write(request.turns)
    out: dict = {"model": request.model, "messages": messages}
    if request.max_tokens is not None:
        out[request.client_name("max_tokens") if same_protocol else "max_tokens"] = request.max_tokens
    dropped: list[str] = []
    _add_sampling(request, out, dropped)
    _add_tools(request, out, dropped)
    _add_reasoning(request, out, dropped)
    if request.response_format is not None:
        out["response_format"] = _response_format(request)
    if request.user:
        out["user"] = openai_user_id(request.user)
    if request.cache_key is not None:
        out["prompt_cache_key"] = request.cache_key
    _add_stream(request, out)
    if same_protocol:
        out.update(request.extra)
    else:
        dropped += sorted(request.extra, key=lambda name: not name.startswith("output_config."))
    return EncodedRequest(out, dropped)


def _invalid(path: str, problem: str) -> RequestRejected:
    return invalid_request(f"{path}: {problem}", path)


def _kind(block) -> str:
    return block.type if isinstance(block, Opaque) else _BLOCK_KINDS[type(block)]


def _joined(texts: list[str]) -> str:
    return "\n\n".join(text for text in texts if text)


def _system_prompt(system: list[Text]) -> list[dict]:
    text = _joined([block.text for block in system])
    return [{"role": "system", "content": text}] if text else []


class _Conversation:
    """Writes the turns in order, keeping where the next tool message goes: after the latest
    assistant message and its tool messages, ahead of any system message that came later."""

    def __init__(self, same_protocol: bool) -> None:
        self.same_protocol = same_protocol
        self.out: list[dict] = []
        self.tool_insert_at = 0

    def write(self, turns: list[Turn]) -> list[dict]:
        for turn in turns:
            if turn.role == "user":
                self._user(turn)
            elif turn.role == "assistant":
                self._assistant(turn)
            else:
                self._system(turn)
        return self.out

    def _message(self, turn: Turn, role: str, content) -> dict:
        message: dict = {"role": role, "content": content}
        if self.same_protocol:
            message.update(turn.extra)
        return message

    def _system(self, turn: Turn) -> None:
        # Claude Code sends `{"role":"system","content":[],"output_config":{...}}` to change
        # the effort mid-conversation: an empty system message some servers refuse, and
        # which says nothing to any of them.
        text = _joined([block.text for block in turn.blocks if isinstance(block, Text)])
        if text:
            self.out.append(self._message(turn, "system", text))

    def _user(self, turn: Turn) -> None:
        moved_parts: list[dict] = []
        parts: list[dict] = []
        answered_any = False
        for block in turn.blocks:
            if isinstance(block, ToolResult):
                moved_parts += self._tool_result(block)
                answered_any = True
            elif isinstance(block, (Text, Image, Document)):
                parts += _user_parts(block)
            else:
                raise _unsupported_block(block, "user")
        parts = moved_parts + parts
        if parts or not answered_any:
            self.out.append(self._message(turn, "user", _user_content(parts)))

    def _tool_result(self, block: ToolResult) -> list[dict]:
        """Adds the tool message; returns the images and PDFs it had, for the user message."""
        text, attachments = _tool_result_content(block)
        if block.is_error:
            text = f"Error: {text}" if text else "Error"
        message = {"role": "tool", "tool_call_id": block.call_id, "content": text}
        self.out.insert(self.tool_insert_at, message)
        self.tool_insert_at += 1
        if not attachments:
            return []
        label = {"type": "text", "text": f"Content returned by tool call {block.call_id}:"}
        return [label, *attachments]

    def _assistant(self, turn: Turn) -> None:
        texts: list[str] = []
        tool_calls: list[dict] = []
        for block in turn.blocks:
            if isinstance(block, Text):
                texts.append(block.text)
            elif isinstance(block, ToolCall):
                tool_calls.append(_tool_call(block))
            elif not isinstance(block, (Thinking, RedactedThinking)):
                raise _unsupported_block(block, "assistant")
        text = _joined(texts)
        if not text and not tool_calls:
            return
        message = self._message(turn, "assistant", text or None)
        if tool_calls:
            message["tool_calls"] = tool_calls
        self.out.append(message)
        self.tool_insert_at = len(self.out)


def _tool_call(block: ToolCall) -> dict:
    arguments = block.raw_arguments if block.raw_arguments is not None else json.dumps(block.arguments, ensure_ascii=False)
    return {"id": block.id, "type": "function", "function": {"name": block.name, "arguments": arguments}}


def _unsupported_block(block, where: str) -> RequestRejected:
    return _invalid(f"{block.path}.type", f"'{_kind(block)}' blocks in {where} messages {_CANNOT_BE_SENT}")


def _user_content(parts: list[dict]) -> str | list[dict]:
    if all(part["type"] == "text" for part in parts):
        return _joined([part["text"] for part in parts])
    return [part for part in parts if part["type"] != "text" or part["text"]]


def _user_parts(block) -> list[dict]:
    if isinstance(block, Text):
        return [{"type": "text", "text": block.text}]
    if isinstance(block, Image):
        return [_image_part(block)]
    return _document_parts(block)


def _tool_result_content(block: ToolResult) -> tuple[str, list[dict]]:
    """The text of a tool result, and its images and PDFs as user-message parts."""
    texts: list[str] = []
    attachments: list[dict] = []
    for item in block.content:
        if isinstance(item, Text):
            texts.append(item.text)
        elif isinstance(item, Image):
            attachments.append(_image_part(item))
        elif isinstance(item, Document):
            for part in _document_parts(item):
                if part["type"] == "text":
                    texts.append(part["text"])
                else:
                    attachments.append(part)
        else:
            raise _invalid(f"{item.path}.type", f"'{_kind(item)}' blocks in a tool_result {_CANNOT_BE_SENT}")
    return _joined(texts), attachments


def _image_part(block: Image) -> dict:
    if block.source == "base64":
        url = f"data:{block.media_type};base64,{block.data}"
    elif block.source == "url":
        url = block.url
    else:
        raise _unsupported_source(block, "image")
    image_url: dict = {"url": url}
    if block.detail is not None:
        image_url["detail"] = block.detail
    return {"type": "image_url", "image_url": image_url}


def _document_parts(block: Document) -> list[dict]:
    if block.source == "base64":
        file = {"filename": block.title or "document.pdf", "file_data": f"data:application/pdf;base64,{block.data}"}
        parts = [{"type": "file", "file": file}]
        return [{"type": "text", "text": block.context}, *parts] if block.context else parts
    if block.source == "text":
        return [{"type": "text", "text": _joined([block.title or "", block.context or "", block.data])}]
    if block.source == "content":
        return _document_content_parts(block)
    raise _unsupported_source(block, "document")


def _document_content_parts(block: Document) -> list[dict]:
    """A document built from content blocks: its text and images, headed by title and context."""
    heading = _joined([block.title or "", block.context or ""])
    parts = [{"type": "text", "text": heading}] if heading else []
    for item in block.content:
        if not isinstance(item, (Text, Image)):
            raise _unsupported_block(item, "document")
        parts += _user_parts(item)
    return parts


def _unsupported_source(block: Image | Document, what: str) -> RequestRejected:
    problem = f"{what} sources of type '{block.source}' {_CANNOT_BE_SENT}; send the data as base64"
    return _invalid(f"{block.path}.source.type", problem)


# ---------------------------------------------------------------- parameters


def _add_sampling(request: Request, out: dict, dropped: list[str]) -> None:
    if request.temperature is not None:
        out["temperature"] = request.temperature
    if request.top_p is not None:
        out["top_p"] = request.top_p
    if request.top_k is not None:
        dropped.append(request.client_name("top_k"))
    if request.stop:
        out["stop"] = list(request.stop)
    if request.seed is not None:
        out["seed"] = request.seed


def _add_tools(request: Request, out: dict, dropped: list[str]) -> None:
    functions = []
    for tool in request.tools:
        if tool.kind == "function":
            functions.append(_function_tool(tool))
        elif tool.kind == CUSTOM_TOOL:
            functions.append(_function_tool(Tool(tool.name, custom_tool_description(tool), INPUT_SCHEMA)))
        else:
            dropped.append(f"tools.{tool.name or tool.path.rpartition('.')[2]} ({tool.kind})")
    if functions:
        out["tools"] = functions
    _add_tool_choice(request, out, {tool["function"]["name"] for tool in functions})


def _function_tool(tool: Tool) -> dict:
    function: dict = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = tool.schema if tool.schema is not None else {"type": "object"}
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def _add_tool_choice(request: Request, out: dict, tool_names: set[str]) -> None:
    choice = request.tool_choice
    if choice is not None:
        if choice.mode == "tool":
            if choice.name not in tool_names:
                raise _invalid("tool_choice.name", f"no client tool named '{choice.name}' can be sent upstream")
            out["tool_choice"] = {"type": "function", "function": {"name": choice.name}}
        elif choice.mode == "required" and not tool_names:
            problem = "'any' needs a client tool; server tools are not available upstream"
            raise _invalid("tool_choice.type", problem)
        elif tool_names:
            # OpenAI refuses tool_choice and parallel_tool_calls when no tools are sent.
            out["tool_choice"] = _TOOL_CHOICES[choice.mode]
    if request.parallel_tool_calls is not None and tool_names:
        if request.protocol == PROTOCOL or request.parallel_tool_calls is False:
            out["parallel_tool_calls"] = request.parallel_tool_calls


def _add_reasoning(request: Request, out: dict, dropped: list[str]) -> None:
    reasoning = request.reasoning
    if reasoning is None:
        return
    if reasoning.mode == "disabled":
        if reasoning.effort:
            dropped.append(f"{request.client_name('effort')} (thinking disabled)")
        elif request.protocol == PROTOCOL:
            out["reasoning_effort"] = "none"
        return
    effort = effort_for(reasoning, _REASONING_BY_EFFORT)
    if effort is not None:
        out["reasoning_effort"] = effort
    if reasoning.summary is not None:
        dropped.append(request.client_name("reasoning.summary"))


def _response_format(request: Request) -> dict:
    response_format = request.response_format
    assert response_format is not None
    if response_format.kind == "json_object":
        return {"type": "json_object"}
    return {"type": "json_schema", "json_schema": json_schema_spec(response_format)}


def _add_stream(request: Request, out: dict) -> None:
    if request.protocol == PROTOCOL:
        if request.stream is not None:
            out["stream"] = request.stream
        if request.include_usage:
            out["stream_options"] = {"include_usage": True}
        return
    if request.stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
