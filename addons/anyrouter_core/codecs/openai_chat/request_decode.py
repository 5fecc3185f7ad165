"""An OpenAI Chat Completions request body → a neutral `Request`, checked on the way.

Every problem with the client's body becomes a `RequestRejected` (HTTP 400, rendered later in
the client's own error shape) whose message starts with the path of the offending field, e.g.
`messages[2].content[0].image_url.url: not a valid data URL`. No other exception escapes.

What is checked here is what OpenAI itself requires of a request (types, the tool-call
pairing of `tool` messages, data URLs, image and file types); what only some upstream cannot
carry (several choices, log probabilities, audio) is recorded in the neutral fields and
refused by that upstream's encoder. Each message becomes one turn, in place: system and
developer messages become system turns wherever they are (the encoder decides where its
protocol wants them), `tool` messages become user turns holding one tool result. Parameters
with no neutral field stay in `Request.extra`, to be named by encoders that drop them.
"""

from __future__ import annotations

import json

from ...errors import RequestRejected, invalid_request
from ...neutral import Document, Image, Opaque, Request, ResponseFormat, Text, Tool, ToolCall, ToolChoice, ToolResult, Turn
from ...neutral.request import Reasoning
from ..openai_common import bad as _bad
from ..openai_common import document_from_file, function_parameters, image_from_url, is_int, is_number, json_schema_format

PROTOCOL = "openai"
_EFFORTS = ("minimal", "low", "medium", "high", "xhigh")

# Parameters read into neutral fields; any other key with a value stays in `extra`.
_HANDLED = frozenset(
    {
        "model", "messages", "max_tokens", "max_completion_tokens", "stop", "temperature", "top_p", "seed",
        "user", "tools", "tool_choice", "parallel_tool_calls", "reasoning_effort", "response_format",
        "stream", "stream_options", "n", "logprobs", "top_logprobs", "audio", "modalities",
        "functions", "function_call",
    }
)


def decode_request(body: dict) -> Request:
    if not isinstance(body, dict):
        raise invalid_request("the request body must be a JSON object")
    request = Request(model="", turns=[], protocol=PROTOCOL)
    _read_what_only_some_upstreams_carry(body, request)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("model", "must be a non-empty string")
    request.model = model
    request.turns = _Conversation().read(body.get("messages"))
    request.response_format = _response_format(body.get("response_format"))
    request.tools = _tools(body.get("tools"))
    _read_tool_choice(body, request)
    _read_max_tokens(body, request)
    _read_reasoning(body.get("reasoning_effort"), request)
    request.stop = _stop_sequences(body.get("stop"))
    _read_sampling(body, request)
    request.user = _user_id(body.get("user"))
    _read_stream(body, request)
    request.extra = {key: value for key, value in body.items() if key not in _HANDLED and value is not None}
    return request


def _read_what_only_some_upstreams_carry(body: dict, request: Request) -> None:
    n = body.get("n")
    if n is not None and (not is_int(n) or n < 1):
        raise _bad("n", "must be a positive integer")
    request.choices = n or 1
    request.names["choices"] = "n"
    logprobs = body.get("logprobs")
    if logprobs is not None and not isinstance(logprobs, bool):
        raise _bad("logprobs", "must be a boolean")
    for name in ("logprobs", "top_logprobs"):
        if body.get(name):
            request.logprobs = True
            request.names["logprobs"] = name
            break
    if body.get("audio") is not None:
        request.audio_output = True
        request.names["audio_output"] = "audio"
    modalities = body.get("modalities")
    if modalities is not None:
        if not isinstance(modalities, list) or not all(isinstance(m, str) for m in modalities):
            raise _bad("modalities", "must be a list of strings")
        if "audio" in modalities and not request.audio_output:
            request.audio_output = True
            request.names["audio_output"] = "modalities"
    for legacy in ("functions", "function_call"):
        if body.get(legacy) is not None:
            raise _bad(legacy, "legacy function calling is not supported; use tools and tool_choice")


# ------------------------------------------------------------------ messages


class _Conversation:
    """Turns, one per message, and the tool round in progress: which calls of the latest
    assistant message still await their `role:"tool"` answer (OpenAI requires every call to
    be answered by a tool message before the conversation goes on)."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self._awaiting: dict[str, str] = {}  # tool call id → path of that call
        self._in_tool_round = False

    def read(self, messages: object) -> list[Turn]:
        if not isinstance(messages, list) or not messages:
            raise _bad("messages", "must be a non-empty list")
        for index, message in enumerate(messages):
            self._add_message(message, f"messages[{index}]")
        self._close_tool_round()
        return self.turns

    def _add_message(self, message: object, path: str) -> None:
        if not isinstance(message, dict):
            raise _bad(path, "must be an object")
        role = message.get("role")
        extra = {"name": message["name"]} if isinstance(message.get("name"), str) else {}
        if role in ("system", "developer"):
            if role == "developer":
                extra["role"] = "developer"
            blocks = _text_only_blocks(message.get("content"), f"{path}.content")
            self.turns.append(Turn("system", blocks, path, extra))
        elif role == "tool":
            self._add_tool_result(message, path)
        elif role == "user":
            self._close_tool_round()
            if "content" not in message:
                raise _bad(f"{path}.content", "is required")
            self.turns.append(Turn("user", _user_blocks(message["content"], f"{path}.content"), path, extra))
        elif role == "assistant":
            self._close_tool_round()
            self.turns.append(Turn("assistant", self._assistant_blocks(message, path), path, extra))
        else:
            raise _bad(f"{path}.role", f"unknown role {role!r}")

    def _assistant_blocks(self, message: dict, path: str) -> list:
        blocks = _assistant_text_blocks(message.get("content"), f"{path}.content")
        tool_calls = message.get("tool_calls")
        if tool_calls is None:
            return blocks
        if not isinstance(tool_calls, list):
            raise _bad(f"{path}.tool_calls", "must be a list")
        for index, call in enumerate(tool_calls):
            call_path = f"{path}.tool_calls[{index}]"
            block = _tool_call(call, call_path)
            if block.id in self._awaiting:
                raise _bad(f"{call_path}.id", f"duplicate tool call id {block.id!r}")
            self._awaiting[block.id] = call_path
            blocks.append(block)
        self._in_tool_round = bool(tool_calls)
        return blocks

    def _add_tool_result(self, message: dict, path: str) -> None:
        if not self._in_tool_round:
            raise _bad(path, "a tool message must follow the assistant message whose tool_calls it answers")
        call_id = message.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            raise _bad(f"{path}.tool_call_id", "must be a non-empty string")
        if call_id not in self._awaiting:
            raise _bad(f"{path}.tool_call_id", f"no tool call with id {call_id!r} awaits a result")
        del self._awaiting[call_id]
        content = message.get("content")
        blocks = [] if content is None else _user_blocks(content, f"{path}.content")
        self.turns.append(Turn("user", [ToolResult(call_id, blocks, path=path)], path))

    def _close_tool_round(self) -> None:
        if self._awaiting:
            call_id, call_path = next(iter(self._awaiting.items()))
            raise _bad(f"{call_path}.id", f"tool call {call_id!r} is not answered by a tool message")
        self._in_tool_round = False


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


def _not_allowed(kind: str, path: str, allowed: str) -> RequestRejected:
    return _bad(f"{path}.type", f"content part type {kind!r} is not allowed here ({allowed})")


def _text_only_blocks(content: object, path: str) -> list:
    if isinstance(content, str):
        return [Text(content, path=path)]
    blocks = []
    for part, part_path, kind in _parts(content, path):
        if kind != "text":
            raise _not_allowed(kind, part_path, "only text")
        blocks.append(Text(_text_of(part, part_path), path=part_path))
    return blocks


def _user_blocks(content: object, path: str) -> list:
    if isinstance(content, str):
        return [Text(content, path=path)]
    blocks: list = []
    for part, part_path, kind in _parts(content, path):
        if kind == "text":
            blocks.append(Text(_text_of(part, part_path), path=part_path))
        elif kind == "image_url":
            blocks.append(_image(part.get("image_url"), f"{part_path}.image_url"))
        elif kind == "file":
            blocks.append(_document(part.get("file"), f"{part_path}.file"))
        elif kind == "input_audio":
            blocks.append(Opaque(kind, part, PROTOCOL, part_path))
        else:
            raise _not_allowed(kind, part_path, "text, image_url or file")
    return blocks


def _assistant_text_blocks(content: object, path: str) -> list:
    if content is None:
        return []
    if isinstance(content, str):
        return [Text(content, path=path)]
    blocks = []
    for part, part_path, kind in _parts(content, path):
        if kind not in ("text", "refusal"):
            raise _not_allowed(kind, part_path, "text or refusal")
        blocks.append(Text(_text_of(part, part_path, kind), path=part_path))
    return blocks


def _image(image_url: object, path: str) -> Image:
    if isinstance(image_url, str):
        return image_from_url(image_url, path, path)
    if not isinstance(image_url, dict):
        raise _bad(path, "must be an object with a url")
    detail = image_url.get("detail") if isinstance(image_url.get("detail"), str) else None
    return image_from_url(image_url.get("url"), path, f"{path}.url", detail)


def _document(file: object, path: str) -> Document:
    if not isinstance(file, dict):
        raise _bad(path, "must be an object")
    return document_from_file(file, path)


def _tool_call(call: object, path: str) -> ToolCall:
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
    arguments = _tool_arguments(function.get("arguments"), f"{path}.function.arguments")
    return ToolCall(call_id, name, arguments, path=path)


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


# ------------------------------------------------------------------ parameters


def _read_max_tokens(body: dict, request: Request) -> None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if value is None:
            continue
        if not is_int(value) or value < 1:
            raise _bad(key, "must be a positive integer")
        request.max_tokens = value
        request.names["max_tokens"] = key
        return


def _read_reasoning(effort: object, request: Request) -> None:
    request.names["reasoning"] = "reasoning_effort"
    if effort is None:
        return
    if effort == "none":
        request.reasoning = Reasoning(mode="disabled")
        return
    if not isinstance(effort, str) or effort not in _EFFORTS:
        raise _bad("reasoning_effort", f"must be one of {', '.join(['none', *_EFFORTS])}")
    request.reasoning = Reasoning(effort=effort)


def _user_id(user: object) -> str | None:
    if user is not None and not isinstance(user, str):
        raise _bad("user", "must be a string")
    return user


def _read_stream(body: dict, request: Request) -> None:
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise _bad("stream", "must be a boolean")
    stream_options = body.get("stream_options")
    if stream_options is not None and not isinstance(stream_options, dict):
        raise _bad("stream_options", "must be an object")
    request.stream = stream
    request.include_usage = isinstance(stream_options, dict) and stream_options.get("include_usage") is True


def _stop_sequences(stop: object) -> list[str]:
    if stop is None:
        return []
    sequences = [stop] if isinstance(stop, str) else stop
    if not isinstance(sequences, list) or not all(isinstance(s, str) for s in sequences):
        raise _bad("stop", "must be a string or a list of strings")
    return list(sequences)


def _read_sampling(body: dict, request: Request) -> None:
    for key in ("temperature", "top_p"):
        value = body.get(key)
        if value is not None and not is_number(value):
            raise _bad(key, "must be a number")
    request.temperature = body.get("temperature")
    request.top_p = body.get("top_p")
    seed = body.get("seed")
    if seed is not None and not is_int(seed):
        raise _bad("seed", "must be an integer")
    request.seed = seed


def _tools(tools: object) -> list[Tool]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise _bad("tools", "must be a list")
    return [_tool(tool, f"tools[{index}]") for index, tool in enumerate(tools)]


def _tool(tool: object, path: str) -> Tool:
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
    description = function.get("description")
    if description is not None and not isinstance(description, str):
        raise _bad(f"{path}.function.description", "must be a string")
    parameters = function_parameters(function.get("parameters"), f"{path}.function.parameters")
    strict = function.get("strict") if isinstance(function.get("strict"), bool) else None
    return Tool(name, description, parameters, strict, path=path)


def _read_tool_choice(body: dict, request: Request) -> None:
    parallel = body.get("parallel_tool_calls")
    if parallel is not None and not isinstance(parallel, bool):
        raise _bad("parallel_tool_calls", "must be a boolean")
    request.parallel_tool_calls = parallel
    choice = body.get("tool_choice")
    if choice is None:
        return
    if choice in ("auto", "none"):
        request.tool_choice = ToolChoice(choice)
    elif choice == "required":
        if not request.tools:
            raise _bad("tool_choice", "'required' needs tools")
        request.tool_choice = ToolChoice("required")
    elif isinstance(choice, dict):
        request.tool_choice = ToolChoice("tool", _named_tool(choice, request.tools))
    else:
        raise _bad("tool_choice", "must be 'auto', 'none', 'required' or a named function")


def _named_tool(choice: dict, tools: list[Tool]) -> str:
    function = choice.get("function")
    if choice.get("type") != "function" or not isinstance(function, dict):
        raise _bad("tool_choice", "must be {'type': 'function', 'function': {'name': ...}}")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise _bad("tool_choice.function.name", "must be a non-empty string")
    if name not in (tool.name for tool in tools):
        raise _bad("tool_choice.function.name", f"no tool named {name!r} in tools")
    return name


def _response_format(response_format: object) -> ResponseFormat | None:
    if response_format is None:
        return None
    if not isinstance(response_format, dict):
        raise _bad("response_format", "must be an object")
    kind = response_format.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return ResponseFormat("json_object")
    if kind == "json_schema":
        return json_schema_format(response_format.get("json_schema"), "response_format.json_schema")
    raise _bad("response_format.type", "must be 'text', 'json_object' or 'json_schema'")
