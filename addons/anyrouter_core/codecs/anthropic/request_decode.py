"""An Anthropic Messages request body → a neutral `Request`, checked on the way.

Every malformed input is answered with `RequestRejected` (HTTP 400 in the client's protocol)
whose message starts with the path of the offending field, the way Anthropic words it:
`messages.1.content.0.source.data: ...`. No other exception escapes.

What is checked here is what Anthropic itself requires (required fields, types, base64 data,
image media types, every `tool_result` answering a `tool_use` of the latest assistant turn,
unique tool ids). Blocks of kinds the neutral model has no meaning for (server tool calls and
their results, search results, …) are kept whole as `Opaque`; an encoder of another protocol
decides whether it can carry them. Claude Code's `role:"system"` messages stay system turns in
place. Fields the neutral model has no place for are kept in `extra` (and the unknown fields
of `output_config` as `output_config.<name>`), so that they can be named when dropped.
"""

from __future__ import annotations

import base64
import binascii
import math

from ...errors import RequestRejected, invalid_request
from ...neutral import (
    Document,
    Image,
    Opaque,
    RedactedThinking,
    Request,
    ResponseFormat,
    Text,
    Thinking,
    Tool,
    ToolCall,
    ToolChoice,
    ToolResult,
    Turn,
)
from ...neutral.request import Reasoning

PROTOCOL = "anthropic"
_EFFORTS = ("low", "medium", "high", "xhigh", "max")
IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
_READ_FIELDS = frozenset({
    "model", "max_tokens", "messages", "system", "temperature", "top_p", "top_k",
    "stop_sequences", "stream", "tools", "tool_choice", "thinking", "output_config", "metadata",
    "cache_control",
})
_TOOL_CHOICE_MODES = {"auto": "auto", "any": "required", "tool": "tool", "none": "none"}


def decode_request(body: dict) -> Request:
    if not isinstance(body, dict):
        raise invalid_request("request body must be a JSON object")
    request = Request(model=_required_model(body), turns=[], protocol=PROTOCOL)
    request.max_tokens = _required_max_tokens(body)
    request.system = _system_blocks(body.get("system"), "system")
    request.turns = _Conversation().read(_required_list(body, "messages"))
    _read_sampling(body, request)
    request.tools = _tools(body.get("tools"))
    _read_tool_choice(body.get("tool_choice"), request)
    _read_output_config(body, request)
    _read_metadata(body.get("metadata"), request)
    _read_stream(body.get("stream"), request)
    if isinstance(body.get("cache_control"), dict):
        request.cache = body["cache_control"]
    request.extra.update((name, value) for name, value in body.items() if name not in _READ_FIELDS)
    return request


# ---------------------------------------------------------------- field readers


def _invalid(path: str, problem: str) -> RequestRejected:
    """A 400 worded like Anthropic's own: the path of the field, then what is wrong with it."""
    return invalid_request(f"{path}: {problem}", path)


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


def _cache(block: dict) -> dict | None:
    cache = block.get("cache_control")
    return cache if isinstance(cache, dict) else None


# ---------------------------------------------------------------- system prompt


def _system_blocks(system: object, path: str) -> list[Text]:
    """A system prompt or `role:"system"` message: a string or a list of text blocks."""
    if system is None:
        return []
    if isinstance(system, str):
        return [Text(system, path=path)]
    if not isinstance(system, list):
        raise _invalid(path, "Input should be a string or a list of text blocks")
    blocks = []
    for position, block in enumerate(system):
        block_path = f"{path}.{position}"
        if _block_type(block, block_path) != "text":
            raise _invalid(f"{block_path}.type", "only text blocks are allowed here")
        blocks.append(_text(block, block_path))
    return blocks


def _text(block: dict, path: str) -> Text:
    citations = block.get("citations") if isinstance(block.get("citations"), list) else None
    return Text(_str_at(block, "text", path), _cache(block), citations, path)


# ---------------------------------------------------------------- conversation


class _Conversation:
    """Reads `messages` in order, keeping what the tool-call pairing rules need."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.all_tool_use_ids: set[str] = set()
        # tool_use ids of the latest assistant turn that no tool_result has answered yet.
        self.unanswered_ids: set[str] = set()

    def read(self, messages: list) -> list[Turn]:
        for position, message in enumerate(messages):
            path = f"messages.{position}"
            message = _dict_at(message, path)
            role = message.get("role")
            if role not in ("user", "assistant", "system"):
                raise _invalid(f"{path}.role", "Input should be 'user', 'assistant' or 'system'")
            if "content" not in message:
                raise _invalid(f"{path}.content", "Field required")
            content, content_path = message["content"], f"{path}.content"
            if role == "user":
                blocks = self._user(content, content_path)
            elif role == "assistant":
                blocks = self._assistant(content, content_path)
            else:
                blocks = _system_blocks(content, content_path)
            extra = {key: value for key, value in message.items() if key not in ("role", "content")}
            self.turns.append(Turn(role, blocks, path, extra))
        return self.turns

    def _user(self, content: object, path: str) -> list:
        return _blocks(content, path, {"tool_result": self._tool_result})

    def _tool_result(self, block: dict, path: str) -> ToolResult:
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
        content = _tool_result_content(block.get("content"), f"{path}.content")
        return ToolResult(tool_use_id, content, is_error, _cache(block), path)

    def _assistant(self, content: object, path: str) -> list:
        self.unanswered_ids = set()
        return _blocks(content, path, {"tool_use": self._tool_call})

    def _tool_call(self, block: dict, path: str) -> ToolCall:
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
        return ToolCall(tool_use_id, name, tool_input, cache=_cache(block), path=path)


def _content_list(content: object, path: str) -> list:
    if not isinstance(content, list):
        raise _invalid(path, "Input should be a string or a list of content blocks")
    return content


def _content_block(block: dict, path: str):
    """A block other than tool_use and tool_result (read by the conversation)."""
    kind = block["type"]
    if kind == "text":
        return _text(block, path)
    if kind == "image":
        return _image(block, path)
    if kind == "document":
        return _document(block, path)
    if kind == "thinking":
        thinking = block.get("thinking")
        signature = block.get("signature")
        return Thinking(
            thinking if isinstance(thinking, str) else "",
            signature if isinstance(signature, str) else None,
            path,
        )
    if kind == "redacted_thinking" and isinstance(block.get("data"), str):
        return RedactedThinking(block["data"], path)
    return Opaque(kind, block, PROTOCOL, path)


def _blocks(content: object, path: str, readers: dict | None = None) -> list:
    """Content as neutral blocks: a string is one text block; a list is read block by block,
    by `readers` for the kinds they name (tool calls and results, which the conversation
    checks), by `_content_block` for the others."""
    if isinstance(content, str):
        return [Text(content, path=path)]
    blocks = []
    for position, block in enumerate(_content_list(content, path)):
        block_path = f"{path}.{position}"
        read = (readers or {}).get(_block_type(block, block_path), _content_block)
        blocks.append(read(block, block_path))
    return blocks


def _tool_result_content(content: object, path: str) -> list:
    return [] if content is None else _blocks(content, path)


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


def _image(block: dict, path: str) -> Image:
    source, kind, source_path = _source(block, path)
    image = Image(kind, cache=_cache(block), path=path)
    if kind == "base64":
        media_type = _str_at(source, "media_type", source_path)
        if media_type not in IMAGE_MEDIA_TYPES:
            allowed = ", ".join(f"'{name}'" for name in IMAGE_MEDIA_TYPES)
            raise _invalid(f"{source_path}.media_type", f"Input should be one of {allowed}")
        image.media_type, image.data = media_type, _base64_data(source, source_path)
    elif kind == "url":
        image.url = _str_at(source, "url", source_path)
        if not image.url.startswith(("http://", "https://")):
            raise _invalid(f"{source_path}.url", "Input should be an http or https URL")
    elif kind == "file" and isinstance(source.get("file_id"), str):
        image.file_id = source["file_id"]
    return image


def _document(block: dict, path: str) -> Document:
    source, kind, source_path = _source(block, path)
    document = Document(
        kind,
        title=_str_at(block, "title", path, required=False),
        context=_str_at(block, "context", path, required=False),
        citations=block.get("citations") if isinstance(block.get("citations"), dict) else None,
        cache=_cache(block),
        path=path,
    )
    if kind == "base64":
        media_type = _str_at(source, "media_type", source_path)
        if media_type != "application/pdf":
            raise _invalid(f"{source_path}.media_type", "base64 documents must be 'application/pdf'")
        document.media_type, document.data = media_type, _base64_data(source, source_path)
    elif kind == "text":
        document.data = _str_at(source, "data", source_path)
        document.media_type = source.get("media_type") if isinstance(source.get("media_type"), str) else ""
    elif kind == "content":
        document.content = _blocks(source.get("content"), f"{source_path}.content")
    elif kind == "url" and isinstance(source.get("url"), str):
        document.url = source["url"]
    elif kind == "file" and isinstance(source.get("file_id"), str):
        document.file_id = source["file_id"]
    return document


# ---------------------------------------------------------------- parameters


def _read_sampling(body: dict, request: Request) -> None:
    for name in ("temperature", "top_p"):
        if body.get(name) is None:
            continue
        if not _is_number(body[name]):
            raise _invalid(name, "Input should be a valid number")
        setattr(request, name, body[name])
    if "top_k" in body:
        request.top_k = body["top_k"]
    stop = body.get("stop_sequences")
    if stop is None:
        return
    if not isinstance(stop, list) or not all(isinstance(item, str) for item in stop):
        raise _invalid("stop_sequences", "Input should be a list of strings")
    request.stop = list(stop)


def _tools(tools: object) -> list[Tool]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise _invalid("tools", "Input should be a list")
    return [_tool(_dict_at(tool, f"tools.{position}"), f"tools.{position}") for position, tool in enumerate(tools)]


def _tool(tool: dict, path: str) -> Tool:
    kind = tool.get("type")
    if kind not in (None, "custom"):
        name = tool.get("name")
        return Tool(name if isinstance(name, str) else "", kind=str(kind), raw=tool, path=path)
    name = _str_at(tool, "name", path)
    schema = tool.get("input_schema")
    if schema is not None and not isinstance(schema, dict):
        raise _invalid(f"{path}.input_schema", "Input should be an object")
    description = _str_at(tool, "description", path, required=False)
    strict = tool["strict"] if isinstance(tool.get("strict"), bool) else None
    return Tool(name, description, schema, strict, raw=tool, cache=_cache(tool), path=path)


def _read_tool_choice(choice: object, request: Request) -> None:
    if choice is None:
        return
    choice = _dict_at(choice, "tool_choice")
    kind = choice.get("type")
    if not isinstance(kind, str) or kind not in _TOOL_CHOICE_MODES:
        raise _invalid("tool_choice.type", "Input should be 'auto', 'any', 'tool' or 'none'")
    disable_parallel = choice.get("disable_parallel_tool_use")
    if disable_parallel is not None and not isinstance(disable_parallel, bool):
        raise _invalid("tool_choice.disable_parallel_tool_use", "Input should be a valid boolean")
    name = _str_at(choice, "name", "tool_choice") if kind == "tool" else None
    request.tool_choice = ToolChoice(_TOOL_CHOICE_MODES[kind], name)
    if disable_parallel:
        request.parallel_tool_calls = False


def _read_output_config(body: dict, request: Request) -> None:
    config = body.get("output_config")
    config = {} if config is None else _dict_at(config, "output_config")
    effort = config.get("effort")
    if effort is not None and (not isinstance(effort, str) or effort not in _EFFORTS):
        raise _invalid("output_config.effort", "Input should be 'low', 'medium', 'high', 'xhigh' or 'max'")
    request.names["reasoning"] = "thinking"
    request.names["effort"] = "output_config.effort"
    request.reasoning = _reasoning(body.get("thinking"), effort)
    if config.get("format") is not None:
        request.response_format = _response_format(config["format"])
    for name, value in config.items():
        if name not in ("effort", "format"):
            request.extra[f"output_config.{name}"] = value


def _reasoning(thinking: object, effort: str | None) -> Reasoning | None:
    if thinking is None:
        return Reasoning(effort=effort) if effort else None
    thinking = _dict_at(thinking, "thinking")
    kind = thinking.get("type")
    budget = thinking.get("budget_tokens")
    if effort is None and kind == "enabled" and (not _is_int(budget) or budget < 1):
        raise _invalid("thinking.budget_tokens", "Input should be a positive integer")
    if effort is None and kind not in ("enabled", "adaptive", "between_tools", "disabled"):
        raise _invalid("thinking.type", "Input should be 'enabled', 'adaptive' or 'disabled'")
    mode = "adaptive" if kind == "between_tools" else kind
    return Reasoning(
        mode=mode if isinstance(mode, str) else None,
        effort=effort,
        budget=budget if _is_int(budget) and kind == "enabled" else None,
        raw=thinking,
    )


def _response_format(output_format: object) -> ResponseFormat:
    output_format = _dict_at(output_format, "output_config.format")
    if output_format.get("type") != "json_schema":
        raise _invalid("output_config.format.type", "Input should be 'json_schema'")
    schema = _dict_at(output_format.get("schema"), "output_config.format.schema")
    return ResponseFormat("json_schema", schema=schema)


def _read_metadata(metadata: object, request: Request) -> None:
    if metadata is None:
        return
    metadata = _dict_at(metadata, "metadata")
    request.user = _str_at(metadata, "user_id", "metadata", required=False)
    request.metadata = {key: value for key, value in metadata.items() if key != "user_id"}


def _read_stream(stream: object, request: Request) -> None:
    if stream is None:
        return
    if not isinstance(stream, bool):
        raise _invalid("stream", "Input should be a valid boolean")
    request.stream = stream
