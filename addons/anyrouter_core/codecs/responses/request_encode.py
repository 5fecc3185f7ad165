"""A neutral `Request` → an OpenAI Responses request body.

Choices where the protocols leave room (the policies a Responses upstream needs):
- Nothing is stored upstream: `store: false` always (the client re-sends the history, as
  Codex does), and when the model may reason, `include: ["reasoning.encrypted_content"]`, so
  that its reasoning comes back as state the next request can carry (a thinking block's
  signature).
- The system prompt is `instructions` (its texts joined by a blank line); system turns in the
  conversation stay `system` (or `developer`) messages where they are.
- A user turn's tool results become `function_call_output` items (`custom_tool_call_output`
  for a custom tool's call) ahead of its other content, which follows as one user message;
  an error result keeps its meaning as an `Error: ` prefix. Images and PDFs are input parts
  of the output or message.
- An assistant turn: signed thinking becomes a `reasoning` item with the signature as
  `encrypted_content` (unsigned thinking, which means nothing to another model, is not sent,
  nor is thinking signed by Gemini, which OpenAI would refuse: it is named as dropped);
  text an assistant message with string content (the form every Responses server takes;
  a Responses client's own `output_text`/`refusal` parts are kept); tool calls
  `function_call` or `custom_tool_call` items.
- Function tools are sent with `strict: false` unless the client said otherwise: Responses
  makes tools strict by default, which refuses most schemas written for other protocols.
  Tools in a namespace go back into one `namespace` tool. Provider tools of another
  protocol are dropped and named.
- `max_output_tokens` is at least 16 (OpenAI refuses less). Reasoning: `reasoning.effort` as
  `openai_common` chooses it (max → xhigh) with a summary (the client's, else "auto", so that
  a client expecting thinking text gets some); disabled thinking sends `effort: "none"`
  only for a Responses client's own request.
- Stop sequences, `top_k` and a sampling seed have no Responses form: dropped and named, as
  is every top-level field only the client's protocol knows. Several choices, log
  probabilities and audio output cannot be produced: a 400 that says so.
- A request from a Responses client gets its own fields back (`extra`), including `store`.
"""

from __future__ import annotations

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
from ..request_policies import gemini_thinking_dropped, is_gemini_thinking, refuse_what_one_answer_cannot_be
from ..event_stream import arguments_text
from ..openai_common import effort_for, json_schema_spec, openai_user_id
from . import NAME as PROTOCOL
from .answer import REDACTED_PREFIX, custom_input

UPSTREAM = "an OpenAI Responses upstream"
_MIN_OUTPUT_TOKENS = 16
_REASONING_BY_EFFORT = {
    "minimal": "minimal", "low": "low", "medium": "medium", "high": "high", "xhigh": "xhigh", "max": "xhigh",
}
_ENCRYPTED_REASONING = "reasoning.encrypted_content"


def encode_request(request: Request, options: EncodeOptions) -> EncodedRequest:
    refuse_what_one_answer_cannot_be(request, UPSTREAM)
    same_protocol = request.protocol == PROTOCOL
    custom_tools = {tool.name for tool in request.tools if tool.kind == CUSTOM_TOOL}
    out: dict = {"model": request.model}
    instructions = "\n\n".join(block.text for block in request.system if block.text)
    if instructions:
        out["instructions"] = instructions
    items = _Input(custom_tools, same_protocol)
    out["input"] = items.write(request.turns)
    dropped = gemini_thinking_dropped(items.gemini_thinking)
    _add_tools(request, out, dropped)
    if request.max_tokens is not None:
        out["max_output_tokens"] = max(request.max_tokens, _MIN_OUTPUT_TOKENS)
    _add_sampling(request, out, dropped)
    _add_reasoning(request, out)
    if request.response_format is not None:
        out["text"] = {"format": _text_format(request)}
    if request.user:
        out["user"] = request.user if same_protocol else openai_user_id(request.user)
    if request.metadata and same_protocol:
        out["metadata"] = request.metadata
    if request.cache_key is not None:
        out["prompt_cache_key"] = request.cache_key
    if request.stream is not None:
        out["stream"] = request.stream
    if same_protocol:
        _add_own_fields(request, out)
    else:
        _add_stateless(request, out)
        dropped += list(request.extra)
    return EncodedRequest(out, dropped)


def _invalid(path: str, problem: str) -> RequestRejected:
    return invalid_request(f"{path}: {problem}", path)


def _add_own_fields(request: Request, out: dict) -> None:
    """A Responses client's own fields with no neutral form, back where they were."""
    for name, value in request.extra.items():
        head, _, tail = name.partition(".")
        if head in ("text", "reasoning") and tail:
            out.setdefault(head, {})[tail] = value
        else:
            out[name] = value


def _add_stateless(request: Request, out: dict) -> None:
    out["store"] = False
    reasoning = request.reasoning
    if reasoning is not None and reasoning.mode != "disabled":
        out["include"] = [_ENCRYPTED_REASONING]


# ---------------------------------------------------------------- input items


class _Input:
    """The input items for the turns, in order; remembers which call ids are custom tools'
    (their outputs are `custom_tool_call_output`), and where thinking signed by Gemini was
    left out (OpenAI refuses encrypted content it did not make)."""

    def __init__(self, custom_tools: set[str], same_protocol: bool) -> None:
        self.custom_tools = custom_tools
        self.same_protocol = same_protocol
        self.custom_calls: set[str] = set()
        self.items: list[dict] = []
        self.gemini_thinking: list[str] = []

    def write(self, turns: list[Turn]) -> list[dict]:
        for turn in turns:
            if turn.role == "user":
                self._user(turn)
            elif turn.role == "assistant":
                self._assistant(turn)
            else:
                self._system(turn)
        return self.items

    def _system(self, turn: Turn) -> None:
        parts = [_input_text(block.text) for block in turn.blocks if isinstance(block, Text) and block.text]
        if parts:
            role = turn.extra.get("role", "system") if self.same_protocol else "system"
            self.items.append({"type": "message", "role": role, "content": parts})

    def _user(self, turn: Turn) -> None:
        parts: list[dict] = []
        for block in turn.blocks:
            if isinstance(block, ToolResult):
                self.items.append(self._output(block))
            else:
                parts += _input_parts(block, "user")
        if parts:
            self.items.append({"type": "message", "role": "user", "content": parts})

    def _output(self, block: ToolResult) -> dict:
        texts = [item.text for item in block.content if isinstance(item, Text)]
        others = [part for item in block.content if not isinstance(item, Text) for part in _input_parts(item, "tool_result")]
        text = "\n\n".join(texts)
        if block.is_error:
            text = f"Error: {text}" if text else "Error"
        kind = "custom_tool_call_output" if block.call_id in self.custom_calls else "function_call_output"
        output: str | list[dict] = [_input_text(text), *others] if others else text
        return {"type": kind, "call_id": block.call_id, "output": output}

    def _assistant(self, turn: Turn) -> None:
        for block in turn.blocks:
            if isinstance(block, Text):
                self._assistant_text(block)
            elif isinstance(block, ToolCall):
                self.items.append(self._call(block))
            elif is_gemini_thinking(block):
                self.gemini_thinking.append(block.path)
            elif isinstance(block, Thinking):
                if block.signature:
                    self.items.append(_reasoning(block))
            elif isinstance(block, RedactedThinking):
                self.items.append({"type": "reasoning", "summary": [], "encrypted_content": REDACTED_PREFIX + block.data})
            elif isinstance(block, Opaque) and block.protocol == PROTOCOL:
                self.items.append(block.raw)
            else:
                raise _unsupported(block, "assistant")

    def _assistant_text(self, block: Text) -> None:
        if not block.text:
            return
        last = self.items[-1] if self.items else None
        follows_text = last is not None and last.get("type") == "message" and last.get("role") == "assistant"
        if not self.same_protocol:
            if follows_text:
                last["content"] += "\n\n" + block.text  # type: ignore[index]
            else:
                self.items.append({"type": "message", "role": "assistant", "content": block.text})
            return
        part = {"type": "refusal", "refusal": block.text} if block.refusal else {"type": "output_text", "text": block.text}
        if follows_text:
            last["content"].append(part)  # type: ignore[index]
        else:
            self.items.append({"type": "message", "role": "assistant", "content": [part]})

    def _call(self, call: ToolCall) -> dict:
        item: dict
        if call.custom or call.name in self.custom_tools:
            self.custom_calls.add(call.id)
            item = {"type": "custom_tool_call", "call_id": call.id, "name": call.name, "input": custom_input(arguments_text(call))}
        else:
            item = {"type": "function_call", "call_id": call.id, "name": call.name, "arguments": arguments_text(call)}
        if call.namespace:
            item["namespace"] = call.namespace
        return item


def _reasoning(block: Thinking) -> dict:
    item: dict = {"type": "reasoning", "summary": [{"type": "summary_text", "text": block.text}] if block.text else []}
    if block.raw_text and block.text:
        item.update(summary=[], content=[{"type": "reasoning_text", "text": block.text}])
    item["encrypted_content"] = block.signature
    return item


def _input_text(text: str) -> dict:
    return {"type": "input_text", "text": text}


def _input_parts(block, where: str) -> list[dict]:
    if isinstance(block, Text):
        return [_input_text(block.text)] if block.text else []
    if isinstance(block, Image):
        return [_image_part(block)]
    if isinstance(block, Document):
        return _document_parts(block, where)
    if isinstance(block, Opaque) and block.protocol == PROTOCOL:
        return [block.raw]
    raise _unsupported(block, where)


def _image_part(block: Image) -> dict:
    part: dict = {"type": "input_image", "detail": block.detail or "auto"}
    if block.source == "base64":
        part["image_url"] = f"data:{block.media_type};base64,{block.data}"
    elif block.source == "url":
        part["image_url"] = block.url
    elif block.source == "file":
        part["file_id"] = block.file_id
    else:
        raise _invalid(f"{block.path}.source.type", f"image sources of type '{block.source}' cannot be sent to {UPSTREAM}")
    return part


def _document_parts(block: Document, where: str) -> list[dict]:
    if block.source == "base64":
        parts = [{"type": "input_file", "filename": block.title or "document.pdf",
                  "file_data": f"data:{block.media_type or 'application/pdf'};base64,{block.data}"}]
    elif block.source == "url":
        parts = [{"type": "input_file", "file_url": block.url}]
    elif block.source == "file":
        parts = [{"type": "input_file", "file_id": block.file_id}]
    elif block.source == "text":
        return [_input_text("\n\n".join(text for text in (block.title, block.context, block.data) if text))]
    else:
        heading = "\n\n".join(text for text in (block.title, block.context) if text)
        return ([_input_text(heading)] if heading else []) + [p for item in block.content for p in _input_parts(item, where)]
    return ([_input_text(block.context)] if block.context else []) + parts


def _unsupported(block, where: str) -> RequestRejected:
    kind = block.type if isinstance(block, Opaque) else type(block).__name__
    return _invalid(f"{block.path}.type", f"{kind!r} content in a {where} turn cannot be sent to {UPSTREAM}")


# ---------------------------------------------------------------- parameters


def _add_tools(request: Request, out: dict, dropped: list[str]) -> None:
    tools: list[dict] = []
    namespaces: dict[str, dict] = {}
    for tool in request.tools:
        if tool.kind not in ("function", CUSTOM_TOOL):
            dropped.append(f"tools.{tool.name or tool.path.rpartition('.')[2]} ({tool.kind})")
            continue
        written = _tool(tool)
        if tool.namespace is None:
            tools.append(written)
            continue
        group = namespaces.get(tool.namespace.name)
        if group is None:
            group = namespaces[tool.namespace.name] = {"type": "namespace", "name": tool.namespace.name, "tools": []}
            if tool.namespace.description is not None:
                group["description"] = tool.namespace.description
            tools.append(group)
        group["tools"].append(written)
    if tools:
        out["tools"] = tools
    _add_tool_choice(request, out, {tool.name: tool.kind for tool in request.tools})


def _tool(tool: Tool) -> dict:
    out: dict = {"type": tool.kind, "name": tool.name}
    if tool.description:
        out["description"] = tool.description
    if tool.kind == CUSTOM_TOOL:
        if tool.format is not None:
            out["format"] = tool.format
        return out
    out["parameters"] = tool.schema if tool.schema is not None else {"type": "object", "properties": {}}
    out["strict"] = tool.strict if tool.strict is not None else False
    return out


def _add_tool_choice(request: Request, out: dict, kinds: dict[str, str]) -> None:
    choice = request.tool_choice
    sendable = {name for name, kind in kinds.items() if kind in ("function", CUSTOM_TOOL)}
    if choice is not None:
        if choice.mode == "tool":
            if choice.name not in sendable:
                raise _invalid("tool_choice.name", f"no client tool named '{choice.name}' can be sent upstream")
            out["tool_choice"] = {"type": kinds[choice.name], "name": choice.name}
        elif choice.mode == "required" and not sendable:
            raise _invalid("tool_choice.type", "'any' needs a client tool; server tools are not available upstream")
        elif sendable or request.protocol == PROTOCOL:
            out["tool_choice"] = choice.mode
    if request.parallel_tool_calls is not None and (sendable or request.protocol == PROTOCOL):
        out["parallel_tool_calls"] = request.parallel_tool_calls


def _add_sampling(request: Request, out: dict, dropped: list[str]) -> None:
    if request.temperature is not None:
        out["temperature"] = request.temperature
    if request.top_p is not None:
        out["top_p"] = request.top_p
    if request.top_k is not None:
        dropped.append(request.client_name("top_k"))
    if request.stop:
        dropped.append(request.client_name("stop"))
    if request.seed is not None:
        dropped.append(request.client_name("seed"))


def _add_reasoning(request: Request, out: dict) -> None:
    reasoning = request.reasoning
    if reasoning is None:
        return
    if reasoning.mode == "disabled":
        if request.protocol == PROTOCOL:
            out["reasoning"] = {"effort": "none"}
        return
    written: dict = {}
    effort = effort_for(reasoning, _REASONING_BY_EFFORT)
    if effort is not None:
        written["effort"] = effort
    summary = reasoning.summary if reasoning.summary is not None or request.protocol == PROTOCOL else "auto"
    if summary is not None:
        written["summary"] = summary
    if written or request.protocol == PROTOCOL:
        out["reasoning"] = written


def _text_format(request: Request) -> dict:
    response_format = request.response_format
    assert response_format is not None
    if response_format.kind == "json_object":
        return {"type": "json_object"}
    return {"type": "json_schema", **json_schema_spec(response_format)}
