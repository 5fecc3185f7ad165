"""An OpenAI Responses request body → a neutral `Request`, checked on the way.

Every problem with the client's body becomes a `RequestRejected` (HTTP 400, rendered later in
the Responses error shape) whose message starts with the path of the offending field, e.g.
`input[3].call_id: no function_call with call_id 'call_1' comes before it`. No other
exception escapes.

What the proxy cannot do is refused with a 400 that says what to send instead, never dropped:
it stores nothing, so `previous_response_id`, `conversation`, `background`, reusable
`prompt`s and `item_reference` items cannot be served (send the whole history, with
`store: false`, as Codex does); built-in tools (web search, file search, computer use, code
interpreter, image generation, MCP, shell …) have no equivalent behind another protocol.
`compaction` items hold OpenAI's encrypted summary of earlier turns, which no other model
can read: Codex sends them only after `/responses/compact`, which it calls only for OpenAI's
own provider (a custom provider such as the proxy gets Codex's local compaction: a plain
summary turn), so a request carrying one is refused with a message that says so. `store` is
accepted and means nothing here.

Choices:
- `instructions` is the system prompt; `developer` and `system` messages become system turns
  where they stand (encoders put them where their protocol wants them, in order).
- Consecutive items of one role make one turn: parallel `function_call`s (with the reasoning
  and message items of the same answer) one assistant turn, their outputs one user turn of
  tool results, in order. Every call must be answered by an output before the conversation
  goes on, and every output must answer a call that came before it: OpenAI requires both,
  and so do the upstreams.
- A `reasoning` item is a thinking block: its summary texts (joined by a blank line), or its
  `reasoning_text` content when it has some (then marked as raw reasoning); its
  `encrypted_content` is the block's signature, so an Anthropic signature the proxy put
  there comes back untouched. One the proxy made from Anthropic redacted thinking
  (`answer.REDACTED_PREFIX`) is that redacted thinking again.
- Custom tools (free-form input) and their calls keep that kind; tools in a `namespace` are
  read one by one, each knowing its namespace.
- `user` and `safety_identifier` both identify the end user (`user` wins); `metadata` and
  `prompt_cache_key` are kept; fields with no neutral form stay in `extra` (those of `text`
  and `reasoning` as `text.<name>`, `reasoning.<name>`).
"""

from __future__ import annotations

import json

from ...errors import invalid_request
from ...neutral import (
    CUSTOM_TOOL,
    Namespace,
    Opaque,
    Reasoning,
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
from ..custom_tools import INPUT
from ..openai_common import bad, document_from_file, function_parameters, image_from_url, is_int, is_number
from ..openai_common import json_schema_format, optional_string
from . import NAME as PROTOCOL
from .answer import REDACTED_PREFIX

_EFFORTS = ("minimal", "low", "medium", "high", "xhigh")
_SUMMARIES = ("auto", "concise", "detailed")
_STATELESS = "the proxy stores nothing; send the whole conversation in input (with store: false)"
_REFUSED_FIELDS = {
    "previous_response_id": _STATELESS,
    "conversation": _STATELESS,
    "prompt": "reusable prompts are stored by OpenAI; send instructions and input instead",
}
_BUILT_IN_TOOLS = {
    "web_search", "web_search_preview", "web_search_2025_08_26", "web_search_preview_2025_03_11",
    "file_search", "computer_use", "computer_use_preview", "computer", "code_interpreter",
    "image_generation", "mcp", "local_shell", "shell", "apply_patch", "tool_search",
}
_READ_FIELDS = frozenset({
    "model", "instructions", "input", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens",
    "temperature", "top_p", "top_logprobs", "reasoning", "text", "metadata", "user", "safety_identifier",
    "prompt_cache_key", "stream", "stream_options", "background", *_REFUSED_FIELDS,
})
_USER_PARTS = "input_text, input_image or input_file"


def decode_request(body: dict) -> Request:
    if not isinstance(body, dict):
        raise invalid_request("the request body must be a JSON object")
    _refuse_what_needs_stored_state(body)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad("model", "must be a non-empty string")
    request = Request(model=model, turns=[], protocol=PROTOCOL)
    request.system = _instructions(body.get("instructions"))
    request.turns = _Conversation().read(body.get("input"))
    request.tools = _tools(body.get("tools"))
    _read_tool_choice(body, request)
    _read_max_tokens(body.get("max_output_tokens"), request)
    _read_sampling(body, request)
    _read_reasoning(body.get("reasoning"), request)
    _read_text(body.get("text"), request)
    _read_identity(body, request)
    _read_stream(body.get("stream"), request)
    request.extra.update((key, value) for key, value in body.items() if key not in _READ_FIELDS and value is not None)
    return request


def _refuse_what_needs_stored_state(body: dict) -> None:
    for name, instead in _REFUSED_FIELDS.items():
        if body.get(name) is not None:
            raise bad(name, f"is not supported: {instead}")
    if body.get("background") is True:
        raise bad("background", "background responses are not supported: the proxy stores nothing; send the request without background and wait for its answer (or stream it)")


def _dict_at(value: object, path: str) -> dict:
    if not isinstance(value, dict):
        raise bad(path, "must be an object")
    return value


def _string_at(container: dict, key: str, path: str, *, empty: bool = False) -> str:
    value = container.get(key)
    if not isinstance(value, str) or (not value and not empty):
        raise bad(f"{path}.{key}", "must be a string" if empty else "must be a non-empty string")
    return value


def _instructions(instructions: object) -> list[Text]:
    if instructions is None:
        return []
    if not isinstance(instructions, str):
        raise bad("instructions", "must be a string")
    return [Text(instructions, path="instructions")] if instructions else []


# ------------------------------------------------------------------ input items


class _Conversation:
    """Turns built from the input items, same roles merged, and the pairing of calls and
    outputs: which calls still await their output, which call ids are custom tools'."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self._awaiting: dict[str, str] = {}  # call id → path of the call
        self._answered: set[str] = set()

    def read(self, items: object) -> list[Turn]:
        if isinstance(items, str):
            return [Turn("user", [Text(items, path="input")], "input")]
        if not isinstance(items, list) or not items:
            raise bad("input", "must be a string or a non-empty list of items")
        for index, item in enumerate(items):
            self._add_item(_dict_at(item, f"input[{index}]"), f"input[{index}]")
        self._require_answers()
        return self.turns

    def _add_item(self, item: dict, path: str) -> None:
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            self._message(item, path)
        elif kind in ("function_call", "custom_tool_call"):
            self._add("assistant", _call(item, path, custom=kind == "custom_tool_call"), path)
        elif kind in ("function_call_output", "custom_tool_call_output"):
            self._add("user", self._output(item, path), path)
        elif kind == "reasoning":
            self._add("assistant", _reasoning(item, path), path)
        elif kind in ("compaction", "compaction_summary"):
            raise bad(f"{path}.type", "compaction items hold OpenAI's encrypted summary of earlier turns, which this upstream cannot read; compact the conversation locally (Codex does so for custom providers) and send the summary as a message")
        elif kind == "item_reference":
            raise bad(f"{path}.type", f"item references are not supported: {_STATELESS}")
        elif isinstance(kind, str):
            raise bad(f"{path}.type", f"unknown or unsupported input item type {kind!r} (message, function_call, function_call_output, custom_tool_call, custom_tool_call_output or reasoning)")
        else:
            raise bad(f"{path}.type", "must be a string")

    def _add(self, role: str, block, path: str) -> None:
        continues_turn = bool(self.turns) and self.turns[-1].role == role
        # The items of one answer (reasoning, text, calls) may come in any order; anything
        # else first needs every call of the answer before it answered.
        if not isinstance(block, ToolResult) and not (role == "assistant" and continues_turn):
            self._require_answers()
        if isinstance(block, ToolCall):
            if block.id in self._awaiting or block.id in self._answered:
                raise bad(f"{path}.call_id", f"duplicate call_id {block.id!r}")
            self._awaiting[block.id] = path
        if continues_turn:
            self.turns[-1].blocks.append(block)
        else:
            self.turns.append(Turn(role, [block], path))

    def _message(self, item: dict, path: str) -> None:
        role = item.get("role")
        content = item.get("content")
        if role in ("system", "developer"):
            self._require_answers()
            blocks = _blocks(content, f"{path}.content", {"input_text"}, "input_text")
            self.turns.append(Turn("system", blocks, path, {"role": role}))
            return
        if role == "user":
            blocks = _blocks(content, f"{path}.content", {"input_text", "input_image", "input_file"}, _USER_PARTS)
        elif role == "assistant":
            blocks = _blocks(content, f"{path}.content", {"output_text", "refusal"}, "output_text or refusal")
        else:
            raise bad(f"{path}.role", f"unknown role {role!r} (user, assistant, system or developer)")
        for block in blocks:
            self._add(role, block, path)

    def _output(self, item: dict, path: str) -> ToolResult:
        call_id = _string_at(item, "call_id", path)
        if call_id not in self._awaiting:
            problem = "answers a call that already has an output" if call_id in self._answered else "answers no call that comes before it"
            raise bad(f"{path}.call_id", f"{call_id!r} {problem}")
        del self._awaiting[call_id]
        self._answered.add(call_id)
        output = item.get("output")
        if isinstance(output, str):
            content = [Text(output, path=f"{path}.output")] if output else []
        else:
            content = _blocks(output, f"{path}.output", {"input_text", "input_image", "input_file"}, _USER_PARTS)
        return ToolResult(call_id, content, path=path)

    def _require_answers(self) -> None:
        if self._awaiting:
            call_id, path = next(iter(self._awaiting.items()))
            raise bad(f"{path}.call_id", f"the call {call_id!r} has no output before the conversation goes on; send its function_call_output (or custom_tool_call_output) right after it")


def _call(item: dict, path: str, *, custom: bool) -> ToolCall:
    call_id = _string_at(item, "call_id", path)
    name = _string_at(item, "name", path)
    namespace = optional_string(item, "namespace", path)
    if custom:
        return ToolCall(call_id, name, {INPUT: _string_at(item, "input", path, empty=True)}, path=path, custom=True, namespace=namespace)
    return ToolCall(call_id, name, _arguments(item.get("arguments"), f"{path}.arguments"), path=path, namespace=namespace)


def _arguments(arguments: object, path: str) -> dict:
    if not isinstance(arguments, str):
        raise bad(path, "must be a string of JSON")
    if not arguments.strip():
        return {}
    try:
        parsed = json.loads(arguments)
    except ValueError:
        raise bad(path, "not valid JSON") from None
    if not isinstance(parsed, dict):
        raise bad(path, "must be a JSON object")
    return parsed


def _reasoning(item: dict, path: str) -> Thinking | RedactedThinking:
    encrypted = optional_string(item, "encrypted_content", path)
    summary = _texts(item.get("summary", []), f"{path}.summary", "summary_text")
    content = _texts(item.get("content") or [], f"{path}.content", "reasoning_text")
    if encrypted is not None and encrypted.startswith(REDACTED_PREFIX) and not summary and not content:
        return RedactedThinking(encrypted.removeprefix(REDACTED_PREFIX), path)
    if content:
        return Thinking("\n\n".join(content), encrypted, path, raw_text=True)
    return Thinking("\n\n".join(summary), encrypted, path)


def _texts(parts: object, path: str, kind: str) -> list[str]:
    if not isinstance(parts, list):
        raise bad(path, "must be a list")
    texts = []
    for index, part in enumerate(parts):
        part = _dict_at(part, f"{path}[{index}]")
        if part.get("type") != kind:
            raise bad(f"{path}[{index}].type", f"must be {kind!r}")
        texts.append(_string_at(part, "text", f"{path}[{index}]", empty=True))
    return texts


def _blocks(content: object, path: str, allowed: set[str], allowed_text: str) -> list:
    if isinstance(content, str):
        return [Text(content, path=path)]
    if not isinstance(content, list):
        raise bad(path, "must be a string or a list of content parts")
    blocks = []
    for index, part in enumerate(content):
        part_path = f"{path}[{index}]"
        part = _dict_at(part, part_path)
        kind = part.get("type")
        if not isinstance(kind, str) or kind not in allowed:
            raise bad(f"{part_path}.type", f"content part type {kind!r} is not allowed here ({allowed_text})")
        blocks.append(_part(part, kind, part_path))
    return blocks


def _part(part: dict, kind: str, path: str):
    if kind in ("input_text", "output_text"):
        return Text(_string_at(part, "text", path, empty=True), path=path)
    if kind == "refusal":
        return Text(_string_at(part, "refusal", path, empty=True), path=path, refusal=True)
    if kind == "input_image":
        detail = part.get("detail") if isinstance(part.get("detail"), str) else None
        if part.get("image_url") is None and isinstance(part.get("file_id"), str):
            return Opaque(kind, part, PROTOCOL, path)  # an image in OpenAI's file store
        return image_from_url(part.get("image_url"), path, f"{path}.image_url", detail)
    if part.get("file_url") is not None:
        return Opaque(kind, part, PROTOCOL, path)  # a file OpenAI fetches itself
    return document_from_file(part, path)


# ------------------------------------------------------------------ tools


def _tools(tools: object) -> list[Tool]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise bad("tools", "must be a list")
    read: list[Tool] = []
    for index, tool in enumerate(tools):
        path = f"tools[{index}]"
        tool = _dict_at(tool, path)
        if tool.get("type") == "namespace":
            read += _namespace(tool, path)
        else:
            read.append(_tool(tool, path))
    return read


def _namespace(tool: dict, path: str) -> list[Tool]:
    namespace = Namespace(_string_at(tool, "name", path), optional_string(tool, "description", path))
    inner = tool.get("tools")
    if not isinstance(inner, list):
        raise bad(f"{path}.tools", "must be a list")
    read = [_tool(_dict_at(item, f"{path}.tools[{index}]"), f"{path}.tools[{index}]") for index, item in enumerate(inner)]
    for item in read:
        item.namespace = namespace
    return read


# Codex CLI sends its web search tool unless told not to; say how.
_CODEX_HINTS = {"web_search": ' (Codex CLI: set web_search = "disabled" in ~/.codex/config.toml)'}


def _tool(tool: dict, path: str) -> Tool:
    kind = tool.get("type")
    if kind == "function":
        parameters = function_parameters(tool.get("parameters"), f"{path}.parameters")
        strict = tool.get("strict") if isinstance(tool.get("strict"), bool) else None
        return Tool(_string_at(tool, "name", path), optional_string(tool, "description", path), parameters, strict, path=path)
    if kind == CUSTOM_TOOL:
        format_ = tool.get("format")
        if format_ is not None and not isinstance(format_, dict):
            raise bad(f"{path}.format", "must be an object")
        return Tool(_string_at(tool, "name", path), optional_string(tool, "description", path), kind=CUSTOM_TOOL, format=format_, path=path)
    if isinstance(kind, str) and kind in _BUILT_IN_TOOLS:
        hint = _CODEX_HINTS.get(kind, "")
        raise bad(
            f"{path}.type",
            f"the built-in tool {kind!r} is not available through this proxy; declare a function or "
            f"custom tool that your client runs itself{hint}",
        )
    raise bad(f"{path}.type", f"unknown tool type {kind!r} (function, custom or namespace)")


def _read_tool_choice(body: dict, request: Request) -> None:
    parallel = body.get("parallel_tool_calls")
    if parallel is not None and not isinstance(parallel, bool):
        raise bad("parallel_tool_calls", "must be a boolean")
    request.parallel_tool_calls = parallel
    choice = body.get("tool_choice")
    if choice is None:
        return
    if choice in ("auto", "none", "required"):
        if choice == "required" and not request.tools:
            raise bad("tool_choice", "'required' needs tools")
        request.tool_choice = ToolChoice(choice)
        return
    if not isinstance(choice, dict) or choice.get("type") not in ("function", "custom"):
        raise bad("tool_choice", "must be 'auto', 'none', 'required' or a named function or custom tool")
    name = _string_at(choice, "name", "tool_choice")
    if name not in (tool.name for tool in request.tools):
        raise bad("tool_choice.name", f"no tool named {name!r} in tools")
    request.tool_choice = ToolChoice("tool", name)


# ------------------------------------------------------------------ parameters


def _read_max_tokens(value: object, request: Request) -> None:
    request.names["max_tokens"] = "max_output_tokens"
    if value is None:
        return
    if not is_int(value) or value < 1:
        raise bad("max_output_tokens", "must be a positive integer")
    request.max_tokens = value


def _read_sampling(body: dict, request: Request) -> None:
    for key in ("temperature", "top_p"):
        value = body.get(key)
        if value is not None and not is_number(value):
            raise bad(key, "must be a number")
    request.temperature = body.get("temperature")
    request.top_p = body.get("top_p")
    top_logprobs = body.get("top_logprobs")
    if top_logprobs is not None and not is_int(top_logprobs):
        raise bad("top_logprobs", "must be an integer")
    if top_logprobs:
        request.logprobs = True
        request.names["logprobs"] = "top_logprobs"


def _read_reasoning(reasoning: object, request: Request) -> None:
    request.names.update(reasoning="reasoning", effort="reasoning.effort")
    request.names["reasoning.summary"] = "reasoning.summary"
    if reasoning is None:
        return
    reasoning = _dict_at(reasoning, "reasoning")
    effort = reasoning.get("effort")
    summary = reasoning.get("summary", reasoning.get("generate_summary"))
    if summary is not None and summary not in _SUMMARIES:
        raise bad("reasoning.summary", f"must be one of {', '.join(_SUMMARIES)}")
    if effort == "none":
        request.reasoning = Reasoning(mode="disabled", summary=summary, raw=reasoning)
    elif effort is None or effort in _EFFORTS:
        request.reasoning = Reasoning(effort=effort, summary=summary, raw=reasoning)
    else:
        raise bad("reasoning.effort", f"must be one of {', '.join(['none', *_EFFORTS])}")


def _read_text(text: object, request: Request) -> None:
    if text is None:
        return
    text = _dict_at(text, "text")
    request.response_format = _response_format(text.get("format"))
    for key, value in text.items():
        if key != "format" and value is not None:
            request.extra[f"text.{key}"] = value


def _response_format(format_: object) -> ResponseFormat | None:
    if format_ is None:
        return None
    format_ = _dict_at(format_, "text.format")
    kind = format_.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return ResponseFormat("json_object")
    if kind == "json_schema":
        return json_schema_format(format_, "text.format")
    raise bad("text.format.type", "must be 'text', 'json_object' or 'json_schema'")


def _read_identity(body: dict, request: Request) -> None:
    for key in ("safety_identifier", "user"):  # the later wins
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise bad(key, "must be a string")
        if value:
            request.user = value
            request.names["user"] = key
    metadata = body.get("metadata")
    if metadata is not None:
        request.metadata = dict(_dict_at(metadata, "metadata"))
    cache_key = body.get("prompt_cache_key")
    if cache_key is not None and not isinstance(cache_key, str):
        raise bad("prompt_cache_key", "must be a string")
    request.cache_key = cache_key
    request.names["cache_key"] = "prompt_cache_key"


def _read_stream(stream: object, request: Request) -> None:
    if stream is not None and not isinstance(stream, bool):
        raise bad("stream", "must be a boolean")
    request.stream = stream
