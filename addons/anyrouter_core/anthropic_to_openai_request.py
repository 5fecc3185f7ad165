"""Anthropic Messages request body → OpenAI Chat Completions request body.

Used when an Anthropic client (Claude Code, the anthropic SDK) talks to an OpenAI-compatible
upstream. Every malformed input is answered with `RequestRejected` (HTTP 400 in the
client's protocol) whose message starts with the path of the offending field, the way
Anthropic words it: `messages.1.content.0.source.data: ...`. No other exception escapes.

Choices where the two protocols leave room:
- `max_tokens` is required (Anthropic requires it) and sent as `max_tokens`, the name that
  llama.cpp, vLLM, relays and OpenAI's non-reasoning models all accept;
  `max_completion_tokens` is newer and missing from many compatible servers.
- Text-only content becomes a plain string (blocks joined by a blank line), which every
  compatible server accepts; content parts are used only when an image or PDF needs them.
- A `role:"system"` message with no text (Claude Code sends one to carry a mid-conversation
  `output_config`) is not sent, like an empty `system`.
- Tool results become `role:"tool"` messages placed right after the assistant message that
  asked for them, so the OpenAI rule "tool messages directly follow their tool_calls" holds
  even when a `role:"system"` message sits in between. A tool result must answer a
  `tool_use` of the latest assistant turn, as Anthropic itself requires.
- Images and PDFs returned by a tool cannot ride in a tool message; they follow in the next
  user message after a line naming the tool call they came from.
- Reasoning: `output_config.effort` wins when given (xhigh/max → high); otherwise
  `thinking.budget_tokens` decides: below 4096 low, below 16384 medium, else high.
  `adaptive` (and `between_tools`) thinking without an effort sends nothing, leaving the
  choice to the upstream as adaptive thinking leaves it to the model. `disabled` sends
  nothing, whatever the effort.
- `metadata.user_id` goes to `user` unchanged up to 256 characters; a longer one is sent
  as `sha256:<hex>` so it stays a stable identifier without flooding the upstream.
- PDF documents by URL or by Files-API id, and images by file id, cannot be carried (OpenAI
  file parts take inline data only) and are rejected.
- Images and PDFs are checked as Anthropic checks them before they are sent on: base64 data
  must decode, an image's media type must be JPEG, PNG, GIF or WebP, an image URL must be
  http(s). Numbers must be finite (Python's JSON reader lets `NaN` through).
- `stop_sequences` are sent as they are; OpenAI itself accepts at most 4 and says so.
- Dropped and named in `TranslatedRequest.dropped`: `top_k`, server tools (`web_search_…`,
  `bash_…`, any tool whose `type` is not "custom"), and every other top-level field
  (`context_management`, `container`, `mcp_servers`, `service_tier`, …). `cache_control`
  anywhere and `metadata` beyond `user_id` are removed without a mention.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math

from .errors import RequestRejected, invalid_request
from .translated import TranslatedRequest

_REASONING_BY_EFFORT = {"low": "low", "medium": "medium", "high": "high", "xhigh": "high", "max": "high"}
_LOW_BUDGET_BELOW = 4096
_MEDIUM_BUDGET_BELOW = 16384
_USER_ID_LIMIT = 256
_IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")

# Top-level fields this module translates; anything else is Anthropic-only and dropped.
_TRANSLATED_FIELDS = frozenset({
    "model", "max_tokens", "messages", "system", "temperature", "top_p", "top_k",
    "stop_sequences", "stream", "tools", "tool_choice", "thinking", "output_config", "metadata",
})
# Dropped without a mention: prompt caching changes cost, never the answer.
_SILENTLY_DROPPED_FIELDS = frozenset({"cache_control"})
_USER_BLOCK_TYPES = frozenset({"text", "image", "document", "tool_result"})
_ASSISTANT_BLOCK_TYPES = frozenset({"text", "tool_use", "thinking", "redacted_thinking"})
_CANNOT_BE_SENT = "cannot be sent to an OpenAI-compatible upstream"


def translate_anthropic_request(body: dict) -> TranslatedRequest:
    if not isinstance(body, dict):
        raise invalid_request("request body must be a JSON object")
    model = _required_model(body)
    max_tokens = _required_max_tokens(body)
    conversation = _Conversation().translate(_required_list(body, "messages"))
    messages = _system_prompt(body.get("system")) + conversation
    request: dict = {"model": model, "messages": messages, "max_tokens": max_tokens}
    dropped: list[str] = []
    _add_sampling(body, request, dropped)
    _add_tools(body, request, dropped)
    _add_output_config(body, request, dropped)
    _add_user(body, request)
    _add_stream(body, request)
    dropped.extend(
        name for name in body if name not in _TRANSLATED_FIELDS and name not in _SILENTLY_DROPPED_FIELDS
    )
    return TranslatedRequest(request, dropped)


# ---------------------------------------------------------------- field readers


def _required_model(body: dict) -> str:
    if "model" not in body:
        raise _invalid("model", "Field required")
    model = body["model"]
    if not isinstance(model, str) or not model:
        raise _invalid("model", "Input should be a non-empty string")
    return model


def _required_max_tokens(body: dict) -> int:
    if "max_tokens" not in body:
        raise _invalid("max_tokens", "Field required")
    value = body["max_tokens"]
    if not _is_int(value) or value < 1:
        raise _invalid("max_tokens", "Input should be an integer greater than or equal to 1")
    return value


def _required_list(body: dict, name: str) -> list:
    if name not in body:
        raise _invalid(name, "Field required")
    value = body[name]
    if not isinstance(value, list) or not value:
        raise _invalid(name, "Input should be a non-empty list")
    return value


def _invalid(path: str, problem: str) -> RequestRejected:
    """A 400 worded like Anthropic's own: the path of the field, then what is wrong with it."""
    return invalid_request(f"{path}: {problem}", path)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _dict_at(value: object, path: str) -> dict:
    if not isinstance(value, dict):
        raise _invalid(path, "Input should be an object")
    return value


def _str_at(container: dict, key: str, path: str, *, required: bool = True) -> str | None:
    if key not in container or container[key] is None:
        if required:
            raise _invalid(f"{path}.{key}", "Field required")
        return None
    value = container[key]
    if not isinstance(value, str):
        raise _invalid(f"{path}.{key}", "Input should be a valid string")
    return value


def _block_type(block: object, path: str) -> str:
    block = _dict_at(block, path)
    kind = block.get("type")
    if not isinstance(kind, str):
        raise _invalid(f"{path}.type", "Field required")
    return kind


def _joined(texts: list[str]) -> str:
    return "\n\n".join(text for text in texts if text)


# ---------------------------------------------------------------- system prompt


def _system_prompt(system: object) -> list[dict]:
    text = _system_text(system, "system")
    return [{"role": "system", "content": text}] if text else []


def _system_text(system: object, path: str) -> str:
    """A system prompt or `role:"system"` message: a string or a list of text blocks."""
    if system is None:
        return ""
    if isinstance(system, str):
        return system
    if not isinstance(system, list):
        raise _invalid(path, "Input should be a string or a list of text blocks")
    texts = []
    for position, block in enumerate(system):
        block_path = f"{path}.{position}"
        if _block_type(block, block_path) != "text":
            raise _invalid(f"{block_path}.type", "only text blocks are allowed here")
        texts.append(_str_at(block, "text", block_path))
    return _joined(texts)


# ---------------------------------------------------------------- conversation


class _Conversation:
    """Translates `messages` in order, keeping what the tool-call pairing rules need."""

    def __init__(self) -> None:
        self.out: list[dict] = []
        self.all_tool_use_ids: set[str] = set()
        # tool_use ids of the latest assistant turn that no tool_result has answered yet.
        self.unanswered_ids: set[str] = set()
        # Where the next tool message goes: after the latest assistant message and its tool
        # messages, ahead of any system message that came later.
        self.tool_insert_at = 0

    def translate(self, messages: list) -> list[dict]:
        for position, message in enumerate(messages):
            path = f"messages.{position}"
            message = _dict_at(message, path)
            role = message.get("role")
            if role not in ("user", "assistant", "system"):
                raise _invalid(f"{path}.role", "Input should be 'user', 'assistant' or 'system'")
            if "content" not in message:
                raise _invalid(f"{path}.content", "Field required")
            content = message["content"]
            if role == "user":
                self._user(content, f"{path}.content")
            elif role == "assistant":
                self._assistant(content, f"{path}.content")
            else:
                self._system(content, f"{path}.content")
        return self.out

    def _system(self, content: object, path: str) -> None:
        # Claude Code sends `{"role":"system","content":[],"output_config":{...}}` to change
        # the effort mid-conversation: an empty system message some servers refuse, and
        # which says nothing to any of them.
        text = _system_text(content, path)
        if text:
            self.out.append({"role": "system", "content": text})

    def _user(self, content: object, path: str) -> None:
        if isinstance(content, str):
            self.out.append({"role": "user", "content": content})
            return
        blocks = _content_list(content, path)
        moved_parts: list[dict] = []
        parts: list[dict] = []
        answered_any = False
        for position, block in enumerate(blocks):
            block_path = f"{path}.{position}"
            kind = _block_type(block, block_path)
            if kind not in _USER_BLOCK_TYPES:
                raise _unsupported_block(kind, block_path, "user")
            if kind == "tool_result":
                moved_parts += self._tool_result(block, block_path)
                answered_any = True
            else:
                parts += _user_parts(block, kind, block_path)
        parts = moved_parts + parts
        if parts or not answered_any:
            self.out.append({"role": "user", "content": _user_content(parts)})

    def _tool_result(self, block: dict, path: str) -> list[dict]:
        """Adds the tool message; returns the images and PDFs it had, for the user message."""
        tool_use_id = _str_at(block, "tool_use_id", path)
        if tool_use_id not in self.unanswered_ids:
            problem = (
                "answers a tool_use that already has a tool_result"
                if tool_use_id in self.all_tool_use_ids
                else "matches no tool_use in the previous assistant message"
            )
            raise _invalid(f"{path}.tool_use_id", f"'{tool_use_id}' {problem}")
        self.unanswered_ids.discard(tool_use_id)
        is_error = block.get("is_error", False)
        if not isinstance(is_error, bool):
            raise _invalid(f"{path}.is_error", "Input should be a valid boolean")
        text, attachments = _tool_result_content(block.get("content"), f"{path}.content")
        if is_error:
            text = f"Error: {text}" if text else "Error"
        self.out.insert(self.tool_insert_at, {"role": "tool", "tool_call_id": tool_use_id, "content": text})
        self.tool_insert_at += 1
        if not attachments:
            return []
        label = {"type": "text", "text": f"Content returned by tool call {tool_use_id}:"}
        return [label, *attachments]

    def _assistant(self, content: object, path: str) -> None:
        self.unanswered_ids = set()
        if isinstance(content, str):
            if content:
                self.out.append({"role": "assistant", "content": content})
            return
        texts: list[str] = []
        tool_calls: list[dict] = []
        for position, block in enumerate(_content_list(content, path)):
            block_path = f"{path}.{position}"
            kind = _block_type(block, block_path)
            if kind not in _ASSISTANT_BLOCK_TYPES:
                raise _unsupported_block(kind, block_path, "assistant")
            if kind == "text":
                texts.append(_str_at(block, "text", block_path))
            elif kind == "tool_use":
                tool_calls.append(self._tool_call(block, block_path))
            # Thinking blocks are not sent: their signatures mean nothing to another model.
        text = _joined(texts)
        if not text and not tool_calls:
            return
        message: dict = {"role": "assistant", "content": text or None}
        if tool_calls:
            message["tool_calls"] = tool_calls
        self.out.append(message)
        self.tool_insert_at = len(self.out)

    def _tool_call(self, block: dict, path: str) -> dict:
        tool_use_id = _str_at(block, "id", path)
        if not tool_use_id:
            raise _invalid(f"{path}.id", "String should have at least 1 character")
        if tool_use_id in self.all_tool_use_ids:
            raise _invalid(f"{path}.id", f"tool_use ids must be unique, '{tool_use_id}' repeats")
        name = _str_at(block, "name", path)
        tool_input = block.get("input", {})
        if tool_input is None:
            tool_input = {}
        if not isinstance(tool_input, dict):
            raise _invalid(f"{path}.input", "Input should be an object")
        self.all_tool_use_ids.add(tool_use_id)
        self.unanswered_ids.add(tool_use_id)
        arguments = json.dumps(tool_input, ensure_ascii=False)
        return {"id": tool_use_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _content_list(content: object, path: str) -> list:
    if not isinstance(content, list):
        raise _invalid(path, "Input should be a string or a list of content blocks")
    return content


def _unsupported_block(kind: str, path: str, role: str) -> RequestRejected:
    return _invalid(f"{path}.type", f"'{kind}' blocks in {role} messages {_CANNOT_BE_SENT}")


def _user_content(parts: list[dict]) -> str | list[dict]:
    if all(part["type"] == "text" for part in parts):
        return _joined([part["text"] for part in parts])
    return [part for part in parts if part["type"] != "text" or part["text"]]


def _user_parts(block: dict, kind: str, path: str) -> list[dict]:
    if kind == "text":
        return [{"type": "text", "text": _str_at(block, "text", path)}]
    if kind == "image":
        return [_image_part(block, path)]
    return _document_parts(block, path)


def _tool_result_content(content: object, path: str) -> tuple[str, list[dict]]:
    """The text of a tool result, and its images and PDFs as user-message parts."""
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    texts: list[str] = []
    attachments: list[dict] = []
    for position, block in enumerate(_content_list(content, path)):
        block_path = f"{path}.{position}"
        kind = _block_type(block, block_path)
        if kind == "text":
            texts.append(_str_at(block, "text", block_path))
        elif kind == "image":
            attachments.append(_image_part(block, block_path))
        elif kind == "document":
            for part in _document_parts(block, block_path):
                if part["type"] == "text":
                    texts.append(part["text"])
                else:
                    attachments.append(part)
        else:
            raise _invalid(f"{block_path}.type", f"'{kind}' blocks in a tool_result {_CANNOT_BE_SENT}")
    return _joined(texts), attachments


def _source(block: dict, path: str) -> tuple[dict, str, str]:
    """The block's source, its type, and its path for error messages."""
    source_path = f"{path}.source"
    source = _dict_at(block.get("source"), source_path)
    return source, _str_at(source, "type", source_path), source_path


def _base64_data(source: dict, path: str) -> str:
    data = _str_at(source, "data", path)
    if not data:
        raise _invalid(f"{path}.data", "String should have at least 1 character")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(f"{path}.data", "Input should be valid base64 data") from None
    return data


def _image_part(block: dict, path: str) -> dict:
    source, kind, source_path = _source(block, path)
    if kind == "base64":
        media_type = _str_at(source, "media_type", source_path)
        if media_type not in _IMAGE_MEDIA_TYPES:
            allowed = ", ".join(f"'{name}'" for name in _IMAGE_MEDIA_TYPES)
            raise _invalid(f"{source_path}.media_type", f"Input should be one of {allowed}")
        url = f"data:{media_type};base64,{_base64_data(source, source_path)}"
    elif kind == "url":
        url = _str_at(source, "url", source_path)
        if not url.startswith(("http://", "https://")):
            raise _invalid(f"{source_path}.url", "Input should be an http or https URL")
    else:
        raise _unsupported_source(kind, source_path, "image")
    return {"type": "image_url", "image_url": {"url": url}}


def _document_parts(block: dict, path: str) -> list[dict]:
    source, kind, source_path = _source(block, path)
    title = _str_at(block, "title", path, required=False)
    context = _str_at(block, "context", path, required=False)
    if kind == "base64":
        media_type = _str_at(source, "media_type", source_path)
        if media_type != "application/pdf":
            raise _invalid(f"{source_path}.media_type", "base64 documents must be 'application/pdf'")
        data = _base64_data(source, source_path)
        file = {"filename": title or "document.pdf", "file_data": f"data:application/pdf;base64,{data}"}
        parts = [{"type": "file", "file": file}]
        return [{"type": "text", "text": context}, *parts] if context else parts
    if kind == "text":
        text = _str_at(source, "data", source_path)
        return [{"type": "text", "text": _joined([title or "", context or "", text])}]
    if kind == "content":
        return _document_content_parts(source, source_path, title, context)
    raise _unsupported_source(kind, source_path, "document")


def _document_content_parts(source: dict, path: str, title: str | None, context: str | None) -> list[dict]:
    """A document built from content blocks: its text and images, headed by title and context."""
    content = source.get("content")
    heading = _joined([title or "", context or ""])
    parts = [{"type": "text", "text": heading}] if heading else []
    if isinstance(content, str):
        return [*parts, {"type": "text", "text": content}]
    for position, block in enumerate(_content_list(content, f"{path}.content")):
        block_path = f"{path}.content.{position}"
        kind = _block_type(block, block_path)
        if kind not in ("text", "image"):
            raise _unsupported_block(kind, block_path, "document")
        parts += _user_parts(block, kind, block_path)
    return parts


def _unsupported_source(kind: str, path: str, what: str) -> RequestRejected:
    problem = f"{what} sources of type '{kind}' {_CANNOT_BE_SENT}; send the data as base64"
    return _invalid(f"{path}.type", problem)


# ---------------------------------------------------------------- parameters


def _add_sampling(body: dict, request: dict, dropped: list[str]) -> None:
    for name in ("temperature", "top_p"):
        if body.get(name) is None:
            continue
        if not _is_number(body[name]):
            raise _invalid(name, "Input should be a valid number")
        request[name] = body[name]
    if "top_k" in body:
        dropped.append("top_k")
    stop = body.get("stop_sequences")
    if stop is None:
        return
    if not isinstance(stop, list) or not all(isinstance(item, str) for item in stop):
        raise _invalid("stop_sequences", "Input should be a list of strings")
    if stop:
        request["stop"] = list(stop)


def _add_tools(body: dict, request: dict, dropped: list[str]) -> None:
    tools = body.get("tools")
    if tools is None:
        tools = []
    if not isinstance(tools, list):
        raise _invalid("tools", "Input should be a list")
    functions = []
    for position, tool in enumerate(tools):
        path = f"tools.{position}"
        tool = _dict_at(tool, path)
        kind = tool.get("type")
        if kind in (None, "custom"):
            functions.append(_function_tool(tool, path))
        else:
            dropped.append(f"tools.{tool.get('name') or position} ({kind})")
    if functions:
        request["tools"] = functions
    _add_tool_choice(body.get("tool_choice"), request, {tool["function"]["name"] for tool in functions})


def _function_tool(tool: dict, path: str) -> dict:
    name = _str_at(tool, "name", path)
    schema = tool.get("input_schema")
    if schema is None:
        schema = {"type": "object"}
    elif not isinstance(schema, dict):
        raise _invalid(f"{path}.input_schema", "Input should be an object")
    function: dict = {"name": name}
    description = _str_at(tool, "description", path, required=False)
    if description:
        function["description"] = description
    function["parameters"] = schema
    if isinstance(tool.get("strict"), bool):
        function["strict"] = tool["strict"]
    return {"type": "function", "function": function}


def _add_tool_choice(choice: object, request: dict, tool_names: set[str]) -> None:
    if choice is None:
        return
    choice = _dict_at(choice, "tool_choice")
    kind = choice.get("type")
    if kind not in ("auto", "any", "tool", "none"):
        raise _invalid("tool_choice.type", "Input should be 'auto', 'any', 'tool' or 'none'")
    parallel = choice.get("disable_parallel_tool_use")
    if parallel is not None and not isinstance(parallel, bool):
        raise _invalid("tool_choice.disable_parallel_tool_use", "Input should be a valid boolean")
    if kind == "tool":
        name = _str_at(choice, "name", "tool_choice")
        if name not in tool_names:
            raise _invalid("tool_choice.name", f"no client tool named '{name}' can be sent upstream")
        request["tool_choice"] = {"type": "function", "function": {"name": name}}
    elif kind == "any" and not tool_names:
        problem = "'any' needs a client tool; server tools are not available upstream"
        raise _invalid("tool_choice.type", problem)
    elif tool_names:
        # OpenAI refuses tool_choice and parallel_tool_calls when no tools are sent.
        request["tool_choice"] = {"auto": "auto", "any": "required", "none": "none"}[kind]
    if parallel and tool_names:
        request["parallel_tool_calls"] = False


def _add_output_config(body: dict, request: dict, dropped: list[str]) -> None:
    config = body.get("output_config")
    config = {} if config is None else _dict_at(config, "output_config")
    effort = config.get("effort")
    if effort is not None and (not isinstance(effort, str) or effort not in _REASONING_BY_EFFORT):
        raise _invalid("output_config.effort", "Input should be 'low', 'medium', 'high', 'xhigh' or 'max'")
    reasoning = _reasoning_effort(body.get("thinking"), effort, dropped)
    if reasoning:
        request["reasoning_effort"] = reasoning
    if config.get("format") is not None:
        request["response_format"] = _response_format(config["format"])
    dropped.extend(f"output_config.{name}" for name in config if name not in ("effort", "format"))


def _reasoning_effort(thinking: object, effort: str | None, dropped: list[str]) -> str | None:
    if thinking is None:
        return _REASONING_BY_EFFORT[effort] if effort else None
    thinking = _dict_at(thinking, "thinking")
    kind = thinking.get("type")
    if kind == "disabled":
        if effort:
            dropped.append("output_config.effort (thinking disabled)")
        return None
    if effort:
        return _REASONING_BY_EFFORT[effort]
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        if not _is_int(budget) or budget < 1:
            raise _invalid("thinking.budget_tokens", "Input should be a positive integer")
        if budget < _LOW_BUDGET_BELOW:
            return "low"
        return "medium" if budget < _MEDIUM_BUDGET_BELOW else "high"
    if kind in ("adaptive", "between_tools"):
        return None
    raise _invalid("thinking.type", "Input should be 'enabled', 'adaptive' or 'disabled'")


def _response_format(output_format: object) -> dict:
    output_format = _dict_at(output_format, "output_config.format")
    if output_format.get("type") != "json_schema":
        raise _invalid("output_config.format.type", "Input should be 'json_schema'")
    schema = _dict_at(output_format.get("schema"), "output_config.format.schema")
    return {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}


def _add_user(body: dict, request: dict) -> None:
    metadata = body.get("metadata")
    if metadata is None:
        return
    user_id = _str_at(_dict_at(metadata, "metadata"), "user_id", "metadata", required=False)
    if not user_id:
        return
    if len(user_id) > _USER_ID_LIMIT:
        user_id = "sha256:" + hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()
    request["user"] = user_id


def _add_stream(body: dict, request: dict) -> None:
    stream = body.get("stream")
    if stream is None:
        return
    if not isinstance(stream, bool):
        raise _invalid("stream", "Input should be a valid boolean")
    if stream:
        request["stream"] = True
        request["stream_options"] = {"include_usage": True}
