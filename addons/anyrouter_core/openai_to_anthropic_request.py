"""OpenAI Chat Completions request body → Anthropic Messages request body.

Every problem with the client's body becomes a `RequestRejected` (HTTP 400, rendered later in
the client's own error shape) whose message starts with the path of the offending field, e.g.
`messages[2].content[0].image_url.url: not a valid data URL`. No other exception escapes.

Choices made where the protocols leave room:
- `reasoning_effort` → `thinking` with a budget per effort (`_THINKING_BUDGETS`). OpenAI counts
  reasoning inside `max_completion_tokens` and Anthropic counts thinking inside `max_tokens`, so
  a client's own limit keeps its meaning: the budget takes at most half of it (at least the
  1024 Anthropic requires; a limit too small for that is raised by 1024). Without a client
  limit, the configured default is room for the answer and the budget is added on top.
- Anthropic refuses `temperature` with thinking and `top_p` below 0.95 with thinking, so those
  are dropped then (and named). Recent models refuse `temperature` together with `top_p`, so
  `top_p` is dropped when both are sent.
- Thinking is not enabled (and `reasoning_effort` is named as dropped) when the request forces
  a tool (`required` or a named function: Anthropic allows only auto/none with thinking), when
  the latest assistant turn called tools (Anthropic then wants that turn to start with a
  signed thinking block, which an OpenAI client cannot send back), or when the conversation
  ends with an assistant turn (a prefill to Anthropic, which thinking does not allow).
- A final assistant turn loses its trailing whitespace, which Anthropic refuses.
- `response_format` json_object/json_schema → a final system block telling the model to answer
  with bare JSON (naming and embedding the schema). This is stateless and works on every
  model; the response needs no rewriting.
- Anthropic wants the conversation to start with a user turn: when it would start with an
  assistant turn (or hold no turn at all), a user turn reading "." is put first.
- Tool call ids outside Anthropic's `[a-zA-Z0-9_-]` alphabet are rewritten the same way in
  `tool_use` and `tool_result`, with a hash of the original so distinct ids stay distinct.
- Legacy `functions`/`function_call` are refused (400) rather than silently ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re

from .errors import RequestRejected, invalid_request
from .translated import TranslatedRequest

_MIN_THINKING_BUDGET = 1024
_THINKING_BUDGETS = {
    "minimal": 1024,
    "low": 2048,
    "medium": 8192,
    "high": 16384,
    "xhigh": 32768,
}
_THINKING_MIN_TOP_P = 0.95

_IMAGE_MEDIA_TYPES = {
    "image/jpeg": "image/jpeg",
    "image/jpg": "image/jpeg",
    "image/png": "image/png",
    "image/gif": "image/gif",
    "image/webp": "image/webp",
}
_PDF = "application/pdf"

_PLACEHOLDER_USER_TEXT = "."

_JSON_ONLY = "Do not wrap it in Markdown code fences and do not write anything before or after it."

_ANTHROPIC_ID = re.compile(r"[A-Za-z0-9_-]+")
_NOT_ID_CHAR = re.compile(r"[^A-Za-z0-9_-]")
_DATA_URL = re.compile(r"data:([^,;]*)((?:;[^,;]*)*),(.*)", re.DOTALL)

# Parameters this module reads; any other key with a value is dropped and named.
_HANDLED = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "temperature",
        "top_p",
        "user",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning_effort",
        "response_format",
        "stream",
        "stream_options",
        "n",
        "logprobs",
        "top_logprobs",
        "audio",
        "modalities",
        "functions",
        "function_call",
    }
)


def translate_openai_request(body: dict, *, default_max_tokens: int) -> TranslatedRequest:
    if not isinstance(body, dict):
        raise invalid_request("the request body must be a JSON object")
    _refuse_what_cannot_be_carried(body)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("model", "must be a non-empty string")
    conversation = _Conversation()
    conversation.add_messages(body.get("messages"))
    out: dict = {"model": model, "messages": conversation.turns}
    system = conversation.system + _response_format_instruction(body.get("response_format"))
    if system:
        out["system"] = system
    tools = _tools(body.get("tools"))
    tool_choice = _tool_choice(body.get("tool_choice"), tools, body.get("parallel_tool_calls"))
    dropped = [key for key, value in body.items() if key not in _HANDLED and value is not None]

    client_max_tokens = _client_max_tokens(body)
    effort = _reasoning_effort(body.get("reasoning_effort"))
    if effort is not None and (_forces_tool(tool_choice) or conversation.rules_out_thinking()):
        dropped.append("reasoning_effort")
        effort = None
    if effort is None:
        out["max_tokens"] = client_max_tokens or default_max_tokens
    else:
        budget, out["max_tokens"] = _thinking_budget(effort, client_max_tokens, default_max_tokens)
        out["thinking"] = {"type": "enabled", "budget_tokens": budget}

    stop_sequences = _stop_sequences(body.get("stop"))
    if stop_sequences:
        out["stop_sequences"] = stop_sequences
    _add_sampling(out, body, thinking="thinking" in out, dropped=dropped)
    user_id = _user_id(body.get("user"))
    if user_id:
        out["metadata"] = {"user_id": user_id}
    if tools:
        out["tools"] = tools
    if tool_choice is not None:
        out["tool_choice"] = tool_choice
    stream = _stream_flag(body)
    if stream is not None:
        out["stream"] = stream
    return TranslatedRequest(out, dropped)


def _bad(path: str, problem: str) -> RequestRejected:
    return invalid_request(f"{path}: {problem}", path)


def _refuse_what_cannot_be_carried(body: dict) -> None:
    n = body.get("n")
    if n is not None and (not _is_int(n) or n < 1):
        raise _bad("n", "must be a positive integer")
    if n is not None and n > 1:
        raise _bad("n", "only one choice (n=1) can be generated by an Anthropic upstream")
    logprobs = body.get("logprobs")
    if logprobs is not None and not isinstance(logprobs, bool):
        raise _bad("logprobs", "must be a boolean")
    if logprobs:
        raise _bad("logprobs", "log probabilities are not available from an Anthropic upstream")
    if body.get("top_logprobs"):
        raise _bad("top_logprobs", "log probabilities are not available from an Anthropic upstream")
    if body.get("audio") is not None:
        raise _bad("audio", "audio output is not available from an Anthropic upstream")
    modalities = body.get("modalities")
    if modalities is not None:
        if not isinstance(modalities, list) or not all(isinstance(m, str) for m in modalities):
            raise _bad("modalities", "must be a list of strings")
        if "audio" in modalities:
            raise _bad("modalities", "audio output is not available from an Anthropic upstream")
    for legacy in ("functions", "function_call"):
        if body.get(legacy) is not None:
            raise _bad(legacy, "legacy function calling is not supported; use tools and tool_choice")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


class _Conversation:
    """Anthropic `system` blocks and user/assistant turns, built one OpenAI message at a time.

    It also follows the tool round in progress: which calls of the latest assistant message
    still await their `role:"tool"` answer, because Anthropic needs every `tool_use` answered
    by a `tool_result` in the very next user turn.
    """

    def __init__(self) -> None:
        self.system: list[dict] = []
        self.turns: list[dict] = []
        self._awaiting: dict[str, str] = {}  # OpenAI tool call id → path of that call
        self._in_tool_round = False

    def add_messages(self, messages: object) -> None:
        if not isinstance(messages, list) or not messages:
            raise _bad("messages", "must be a non-empty list")
        for index, message in enumerate(messages):
            self._add_message(message, f"messages[{index}]")
        self._close_tool_round()
        self._trim_final_assistant_text()
        if not self.turns or self.turns[0]["role"] != "user":
            self.turns.insert(0, {"role": "user", "content": [_text_block(_PLACEHOLDER_USER_TEXT)]})

    def rules_out_thinking(self) -> bool:
        """Anthropic refuses thinking after tool calls it cannot see a signed thinking block
        for, and with a final assistant turn (which it reads as a prefill)."""
        if self.turns[-1]["role"] == "assistant":
            return True
        for turn in reversed(self.turns):
            if turn["role"] == "assistant":
                return any(block["type"] == "tool_use" for block in turn["content"])
        return False

    def _trim_final_assistant_text(self) -> None:
        # Anthropic refuses a final assistant turn ending in whitespace.
        if not self.turns or self.turns[-1]["role"] != "assistant":
            return
        last = self.turns[-1]["content"][-1]
        if last["type"] == "text":
            last["text"] = last["text"].rstrip()

    def _add_message(self, message: object, path: str) -> None:
        if not isinstance(message, dict):
            raise _bad(path, "must be an object")
        role = message.get("role")
        if role in ("system", "developer"):
            self.system.extend(_text_only_blocks(message.get("content"), f"{path}.content"))
        elif role == "tool":
            self._add_tool_result(message, path)
        elif role == "user":
            self._close_tool_round()
            if "content" not in message:
                raise _bad(f"{path}.content", "is required")
            self._append("user", _user_blocks(message["content"], f"{path}.content"))
        elif role == "assistant":
            self._close_tool_round()
            self._add_assistant(message, path)
        else:
            raise _bad(f"{path}.role", f"unknown role {role!r}")

    def _add_assistant(self, message: dict, path: str) -> None:
        blocks = _assistant_blocks(message.get("content"), f"{path}.content")
        tool_calls = message.get("tool_calls")
        if tool_calls is not None:
            if not isinstance(tool_calls, list):
                raise _bad(f"{path}.tool_calls", "must be a list")
            for index, call in enumerate(tool_calls):
                call_path = f"{path}.tool_calls[{index}]"
                block = _tool_use_block(call, call_path)
                if call["id"] in self._awaiting:
                    raise _bad(f"{call_path}.id", f"duplicate tool call id {call['id']!r}")
                self._awaiting[call["id"]] = call_path
                blocks.append(block)
            self._in_tool_round = bool(tool_calls)
        self._append("assistant", blocks)

    def _add_tool_result(self, message: dict, path: str) -> None:
        if not self._in_tool_round:
            raise _bad(path, "a tool message must follow the assistant message whose tool_calls it answers")
        call_id = message.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            raise _bad(f"{path}.tool_call_id", "must be a non-empty string")
        if call_id not in self._awaiting:
            raise _bad(f"{path}.tool_call_id", f"no tool call with id {call_id!r} awaits a result")
        del self._awaiting[call_id]
        block: dict = {"type": "tool_result", "tool_use_id": _anthropic_tool_id(call_id)}
        content = _tool_result_content(message.get("content"), f"{path}.content")
        if content:
            block["content"] = content
        self._append("user", [block])

    def _close_tool_round(self) -> None:
        if self._awaiting:
            call_id, call_path = next(iter(self._awaiting.items()))
            raise _bad(f"{call_path}.id", f"tool call {call_id!r} is not answered by a tool message")
        self._in_tool_round = False

    def _append(self, role: str, blocks: list[dict]) -> None:
        if not blocks:
            return
        if self.turns and self.turns[-1]["role"] == role:
            self.turns[-1]["content"].extend(blocks)
        else:
            self.turns.append({"role": role, "content": blocks})


def _text_block(text: str) -> dict:
    return {"type": "text", "text": text}


def _has_text(text: str) -> bool:
    # Anthropic refuses text blocks that are empty or only whitespace.
    return bool(text.strip())


def _parts(content: object, path: str) -> list[tuple[dict, str, str]]:
    """Content as (part, path of the part, part type); a plain string is one text part."""
    if isinstance(content, str):
        return [({"type": "text", "text": content}, path, "text")]
    if not isinstance(content, list):
        raise _bad(path, "must be a string or a list of content parts")
    parts = []
    for index, part in enumerate(content):
        part_path = f"{path}[{index}]"
        if not isinstance(part, dict):
            raise _bad(part_path, "must be an object")
        kind = part.get("type")
        if not isinstance(kind, str):
            raise _bad(f"{part_path}.type", "must be a string")
        parts.append((part, part_path, kind))
    return parts


def _text_of(part: dict, path: str, key: str = "text") -> str:
    text = part.get(key)
    if not isinstance(text, str):
        raise _bad(f"{path}.{key}", "must be a string")
    return text


def _unsupported_part(kind: str, path: str, allowed: str) -> RequestRejected:
    if kind == "input_audio":
        return _bad(path, "audio input cannot be sent to an Anthropic upstream")
    return _bad(f"{path}.type", f"content part type {kind!r} is not allowed here ({allowed})")


def _text_only_blocks(content: object, path: str) -> list[dict]:
    blocks = []
    for part, part_path, kind in _parts(content, path):
        if kind != "text":
            raise _unsupported_part(kind, part_path, "only text")
        text = _text_of(part, part_path)
        if _has_text(text):
            blocks.append(_text_block(text))
    return blocks


def _user_blocks(content: object, path: str) -> list[dict]:
    blocks = []
    for part, part_path, kind in _parts(content, path):
        if kind == "text":
            text = _text_of(part, part_path)
            if _has_text(text):
                blocks.append(_text_block(text))
        elif kind == "image_url":
            blocks.append(_image_block(part.get("image_url"), f"{part_path}.image_url"))
        elif kind == "file":
            blocks.append(_document_block(part.get("file"), f"{part_path}.file"))
        else:
            raise _unsupported_part(kind, part_path, "text, image_url or file")
    return blocks


def _assistant_blocks(content: object, path: str) -> list[dict]:
    if content is None:
        return []
    blocks = []
    for part, part_path, kind in _parts(content, path):
        if kind not in ("text", "refusal"):
            raise _unsupported_part(kind, part_path, "text or refusal")
        text = _text_of(part, part_path, kind)
        if _has_text(text):
            blocks.append(_text_block(text))
    return blocks


def _tool_result_content(content: object, path: str) -> list[dict]:
    if content is None:
        return []
    return _user_blocks(content, path)


def _image_block(image_url: object, path: str) -> dict:
    if isinstance(image_url, str):
        url, url_path = image_url, path
    elif isinstance(image_url, dict):
        url, url_path = image_url.get("url"), f"{path}.url"
    else:
        raise _bad(path, "must be an object with a url")
    if not isinstance(url, str):
        raise _bad(url_path, "must be a string")
    if url.startswith(("http://", "https://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    if not url.startswith("data:"):
        raise _bad(url_path, "must be a data URL or an http(s) URL")
    media_type, data = _base64_data_url(url, url_path)
    if media_type not in _IMAGE_MEDIA_TYPES:
        raise _bad(url_path, f"image type {media_type!r} is not supported (jpeg, png, gif or webp)")
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": _IMAGE_MEDIA_TYPES[media_type], "data": data},
    }


def _document_block(file: object, path: str) -> dict:
    if not isinstance(file, dict):
        raise _bad(path, "must be an object")
    file_data = file.get("file_data")
    if file_data is None:
        if file.get("file_id") is not None:
            raise _bad(
                f"{path}.file_id", "uploaded OpenAI files cannot be read by an Anthropic upstream; send file_data"
            )
        raise _bad(f"{path}.file_data", "is required")
    if not isinstance(file_data, str):
        raise _bad(f"{path}.file_data", "must be a string")
    media_type, data = _base64_data_url(file_data, f"{path}.file_data")
    if media_type != _PDF:
        raise _bad(f"{path}.file_data", f"only PDF files are supported, not {media_type!r}")
    block: dict = {"type": "document", "source": {"type": "base64", "media_type": _PDF, "data": data}}
    filename = file.get("filename")
    if filename is not None and not isinstance(filename, str):
        raise _bad(f"{path}.filename", "must be a string")
    if filename:
        block["title"] = filename
    return block


def _base64_data_url(url: str, path: str) -> tuple[str, str]:
    """(lower-case media type, base64 payload) of a `data:<type>;base64,<payload>` URL."""
    match = _DATA_URL.fullmatch(url)
    if match is None:
        raise _bad(path, "not a valid data URL")
    media_type, parameters, data = match.groups()
    if "base64" not in (p.strip().lower() for p in parameters.split(";")):
        raise _bad(path, "not a valid data URL: only base64 data URLs are supported")
    if not data:
        raise _bad(path, "not a valid data URL: the data is empty")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(path, "not a valid data URL: the data is not valid base64") from None
    return media_type.strip().lower(), data


def _tool_use_block(call: object, path: str) -> dict:
    if not isinstance(call, dict):
        raise _bad(path, "must be an object")
    call_id = call.get("id")
    if not isinstance(call_id, str) or not call_id:
        raise _bad(f"{path}.id", "must be a non-empty string")
    if call.get("type", "function") != "function":
        raise _bad(f"{path}.type", "only function tool calls are supported")
    function = call.get("function")
    if not isinstance(function, dict):
        raise _bad(f"{path}.function", "must be an object")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise _bad(f"{path}.function.name", "must be a non-empty string")
    return {
        "type": "tool_use",
        "id": _anthropic_tool_id(call_id),
        "name": name,
        "input": _tool_arguments(function.get("arguments"), f"{path}.function.arguments"),
    }


def _tool_arguments(arguments: object, path: str) -> dict:
    if arguments is None:
        return {}
    if not isinstance(arguments, str):
        raise _bad(path, "must be a string of JSON")
    if not arguments.strip():
        return {}
    try:
        parsed = json.loads(arguments)
    except ValueError:
        raise _bad(path, "not valid JSON") from None
    if not isinstance(parsed, dict):
        raise _bad(path, "must be a JSON object")
    return parsed


def _anthropic_tool_id(call_id: str) -> str:
    if _ANTHROPIC_ID.fullmatch(call_id):
        return call_id
    digest = hashlib.sha256(call_id.encode()).hexdigest()[:12]
    return f"{_NOT_ID_CHAR.sub('_', call_id)}_{digest}"


def _client_max_tokens(body: dict) -> int | None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if value is None:
            continue
        if not _is_int(value) or value < 1:
            raise _bad(key, "must be a positive integer")
        return value
    return None


def _reasoning_effort(effort: object) -> str | None:
    if effort is None or effort == "none":
        return None
    if not isinstance(effort, str) or effort not in _THINKING_BUDGETS:
        allowed = ", ".join(["none", *_THINKING_BUDGETS])
        raise _bad("reasoning_effort", f"must be one of {allowed}")
    return effort


def _thinking_budget(effort: str, client_max_tokens: int | None, default_max_tokens: int) -> tuple[int, int]:
    """(budget_tokens, max_tokens) for an effort; see the module docstring for the reasoning."""
    budget = _THINKING_BUDGETS[effort]
    if client_max_tokens is None:
        return budget, default_max_tokens + budget
    budget = min(budget, client_max_tokens // 2)
    if budget < _MIN_THINKING_BUDGET:
        return _MIN_THINKING_BUDGET, client_max_tokens + _MIN_THINKING_BUDGET
    return budget, client_max_tokens


def _user_id(user: object) -> str | None:
    if user is not None and not isinstance(user, str):
        raise _bad("user", "must be a string")
    return user


def _stream_flag(body: dict) -> bool | None:
    """`stream` as sent; `stream_options` only matters to the proxy's own answer, never upstream."""
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise _bad("stream", "must be a boolean")
    stream_options = body.get("stream_options")
    if stream_options is not None and not isinstance(stream_options, dict):
        raise _bad("stream_options", "must be an object")
    return stream


def _stop_sequences(stop: object) -> list[str]:
    if stop is None:
        return []
    sequences = [stop] if isinstance(stop, str) else stop
    if not isinstance(sequences, list) or not all(isinstance(s, str) for s in sequences):
        raise _bad("stop", "must be a string or a list of strings")
    # Anthropic refuses stop sequences made only of whitespace.
    return [s for s in sequences if s.strip()]


def _add_sampling(out: dict, body: dict, *, thinking: bool, dropped: list[str]) -> None:
    temperature = body.get("temperature")
    top_p = body.get("top_p")
    for key, value in (("temperature", temperature), ("top_p", top_p)):
        if value is not None and not _is_number(value):
            raise _bad(key, "must be a number")
    if temperature is not None:
        if thinking:
            dropped.append("temperature")
        else:
            out["temperature"] = float(min(max(temperature, 0), 1))
    if top_p is not None:
        if (thinking and top_p < _THINKING_MIN_TOP_P) or "temperature" in out:
            dropped.append("top_p")
        else:
            out["top_p"] = top_p


def _tools(tools: object) -> list[dict]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise _bad("tools", "must be a list")
    return [_tool(tool, f"tools[{index}]") for index, tool in enumerate(tools)]


def _tool(tool: object, path: str) -> dict:
    if not isinstance(tool, dict):
        raise _bad(path, "must be an object")
    if tool.get("type") != "function":
        raise _bad(f"{path}.type", "only function tools are supported")
    function = tool.get("function")
    if not isinstance(function, dict):
        raise _bad(f"{path}.function", "must be an object")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise _bad(f"{path}.function.name", "must be a non-empty string")
    out: dict = {"name": name}
    description = function.get("description")
    if description is not None:
        if not isinstance(description, str):
            raise _bad(f"{path}.function.description", "must be a string")
        if description:
            out["description"] = description
    parameters = function.get("parameters")
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    elif not isinstance(parameters, dict):
        raise _bad(f"{path}.function.parameters", "must be a JSON Schema object")
    elif "type" not in parameters:
        # Anthropic requires the input schema to say it describes an object.
        parameters = {"type": "object", **parameters}
    elif parameters["type"] != "object":
        raise _bad(f"{path}.function.parameters.type", "must be 'object'")
    out["input_schema"] = parameters
    return out


def _tool_choice(choice: object, tools: list[dict], parallel: object) -> dict | None:
    if parallel is not None and not isinstance(parallel, bool):
        raise _bad("parallel_tool_calls", "must be a boolean")
    if choice is None:
        anthropic = {"type": "auto"} if tools and parallel is False else None
    elif choice in ("auto", "none"):
        anthropic = {"type": choice} if tools else None
    elif choice == "required":
        if not tools:
            raise _bad("tool_choice", "'required' needs tools")
        anthropic = {"type": "any"}
    elif isinstance(choice, dict):
        anthropic = {"type": "tool", "name": _named_tool(choice, tools)}
    else:
        raise _bad("tool_choice", "must be 'auto', 'none', 'required' or a named function")
    if anthropic is not None and parallel is False and anthropic["type"] != "none":
        anthropic["disable_parallel_tool_use"] = True
    return anthropic


def _named_tool(choice: dict, tools: list[dict]) -> str:
    function = choice.get("function")
    if choice.get("type") != "function" or not isinstance(function, dict):
        raise _bad("tool_choice", "must be {'type': 'function', 'function': {'name': ...}}")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise _bad("tool_choice.function.name", "must be a non-empty string")
    if name not in (tool["name"] for tool in tools):
        raise _bad("tool_choice.function.name", f"no tool named {name!r} in tools")
    return name


def _forces_tool(tool_choice: dict | None) -> bool:
    return tool_choice is not None and tool_choice["type"] in ("any", "tool")


def _response_format_instruction(response_format: object) -> list[dict]:
    if response_format is None:
        return []
    if not isinstance(response_format, dict):
        raise _bad("response_format", "must be an object")
    kind = response_format.get("type")
    if kind == "text":
        return []
    if kind == "json_object":
        return [_text_block(f"Answer with a single valid JSON object and nothing else. {_JSON_ONLY}")]
    if kind == "json_schema":
        return [_text_block(_json_schema_instruction(response_format.get("json_schema")))]
    raise _bad("response_format.type", "must be 'text', 'json_object' or 'json_schema'")


def _json_schema_instruction(spec: object) -> str:
    if not isinstance(spec, dict):
        raise _bad("response_format.json_schema", "must be an object")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise _bad("response_format.json_schema.name", "must be a non-empty string")
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        raise _bad("response_format.json_schema.description", "must be a string")
    schema = spec.get("schema")
    if schema is not None and not isinstance(schema, dict):
        raise _bad("response_format.json_schema.schema", "must be an object")
    about = f" ({description})" if description else ""
    text = f"Answer with a single JSON value that conforms to the JSON Schema named {name!r}{about}. {_JSON_ONLY}"
    if schema is not None:
        text += "\nThe schema:\n" + json.dumps(schema, ensure_ascii=False, indent=2)
    return text
