"""A neutral `Request` → an Anthropic Messages request body.

Choices made where the protocols leave room (the policies an Anthropic upstream needs):
- A reasoning effort → `thinking` with a budget per effort (`_THINKING_BUDGETS`). OpenAI counts
  reasoning inside the output limit and Anthropic counts thinking inside `max_tokens`, so a
  client's own limit keeps its meaning: the budget takes at most half of it (at least the
  1024 Anthropic requires; a limit too small for that is raised by 1024). Without a client
  limit, the configured default is room for the answer and the budget is added on top. A
  thinking budget the client gave in tokens is sent as it is.
- Anthropic refuses `temperature` with thinking and `top_p` below 0.95 with thinking, so those
  are dropped then (and named). Recent models refuse `temperature` together with `top_p`, so
  `top_p` is dropped when both are sent. `temperature` is clamped to Anthropic's 0–1.
- Thinking is not enabled (and the effort is named as dropped) when the request forces a tool
  (Anthropic allows only auto/none with thinking), when the latest assistant turn called
  tools without a signed thinking block before them (Anthropic then wants that turn to start
  with one), or when the conversation ends with an assistant turn (a prefill, which thinking
  does not allow). Adaptive thinking (a Gemini client's dynamic budget) gives way only to a
  forced tool: it may skip a turn, so the other two do not rule it out.
- System turns anywhere in the conversation join `system`, in order. Text blocks that are
  empty or only whitespace, which Anthropic refuses, are left out; turns of the same role
  are merged; a final assistant turn loses its trailing whitespace.
- A response format → a final system block telling the model to answer with bare JSON
  (naming and embedding the schema): stateless, works on every model.
- Anthropic wants the conversation to start with a user turn: when it would start with an
  assistant turn (or hold no turn at all), a user turn reading "." is put first.
- Tool call ids outside Anthropic's `[a-zA-Z0-9_-]` alphabet are rewritten the same way in
  `tool_use` and `tool_result`, with a hash of the original so distinct ids stay distinct.
- Stop sequences made only of whitespace are left out (Anthropic refuses them). A sampling
  seed has no Anthropic form: dropped and named.
- Several choices, log probabilities, audio input or output and uploaded files of another
  provider cannot be carried: a 400 that says so.
- Thinking signed by Gemini (`gemini/thought_signatures.py`) is left out and named: Anthropic
  refuses a signature it did not make.
- Custom tools (free-form input) become tools with one string parameter, `input`
  (`codecs/custom_tools.py`); a tool's namespace is not sent, only its name. A reasoning
  summary needs nothing: Claude's thinking comes back summarised. A prompt cache key has no
  Anthropic form (its cache is keyed by the prompt itself): dropped and named.
"""

from __future__ import annotations

import hashlib
import json
import re

from ...errors import RequestRejected, invalid_request
from ...neutral import (
    CUSTOM_TOOL,
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
    ToolResult,
    Turn,
)
from ..base import EncodedRequest, EncodeOptions
from ..request_policies import gemini_thinking_dropped, is_gemini_thinking, refuse_what_one_answer_cannot_be
from ..custom_tools import INPUT_SCHEMA, custom_tool_description
from ..openai_common import PDF
from .request_decode import IMAGE_MEDIA_TYPES

PROTOCOL = "anthropic"
UPSTREAM = "an Anthropic upstream"
_MIN_THINKING_BUDGET = 1024
_THINKING_BUDGETS = {
    "minimal": 1024,
    "low": 2048,
    "medium": 8192,
    "high": 16384,
    "xhigh": 32768,
    "max": 32768,
}
_THINKING_MIN_TOP_P = 0.95
_PLACEHOLDER_USER_TEXT = "."
_JSON_ONLY = "Do not wrap it in Markdown code fences and do not write anything before or after it."
_ANTHROPIC_ID = re.compile(r"[A-Za-z0-9_-]+")
_NOT_ID_CHAR = re.compile(r"[^A-Za-z0-9_-]")


def encode_request(request: Request, options: EncodeOptions) -> EncodedRequest:
    refuse_what_one_answer_cannot_be(request, UPSTREAM)
    turns = _Turns(keep_system_turns=request.protocol == PROTOCOL)
    for turn in request.turns:
        turns.add(turn)
    turns.finish()
    out: dict = {"model": request.model, "messages": turns.messages}
    system = _system_blocks(request.system) + turns.system
    if request.protocol != PROTOCOL:
        system += _response_format_instruction(request.response_format)
    if system:
        out["system"] = system
    tools = [_tool(tool, request.protocol == PROTOCOL) for tool in request.tools]
    tool_choice = _tool_choice(request, bool(tools))
    dropped = [] if request.protocol == PROTOCOL else list(request.extra)
    dropped += gemini_thinking_dropped(turns.gemini_thinking)
    if request.cache_key is not None:
        dropped.append(request.client_name("cache_key"))

    stop_sequences = [s for s in request.stop if s.strip()]
    if request.protocol == PROTOCOL:
        _add_own_settings(out, request)
        if stop_sequences:
            out["stop_sequences"] = stop_sequences
    else:
        thinking = _thinking(request, tool_choice, turns, dropped)
        if thinking is None:
            out["max_tokens"] = request.max_tokens or options.default_max_tokens
        else:
            thinking_field, out["max_tokens"] = thinking(options.default_max_tokens)
            out["thinking"] = thinking_field
        if stop_sequences:
            out["stop_sequences"] = stop_sequences
        _add_sampling(out, request, thinking="thinking" in out, dropped=dropped)
    # Anthropic's metadata holds only `user_id`; another protocol's other metadata is named.
    metadata = dict(request.metadata) if request.protocol == PROTOCOL else {}
    if request.protocol != PROTOCOL:
        dropped.extend(f"metadata.{name}" for name in request.metadata)
    if request.user:
        metadata["user_id"] = request.user
    if metadata:
        out["metadata"] = metadata
    if tools:
        out["tools"] = tools
    if tool_choice is not None:
        out["tool_choice"] = tool_choice
    if request.stream is not None:
        out["stream"] = request.stream
    if request.cache is not None:
        out["cache_control"] = request.cache
    if request.protocol == PROTOCOL:
        out.update((name, value) for name, value in request.extra.items() if not name.startswith("output_config."))
    return EncodedRequest(out, dropped)


def _add_own_settings(out: dict, request: Request) -> None:
    """An Anthropic client's own settings, sent back as they were: no policy applies."""
    out["max_tokens"] = request.max_tokens
    reasoning = request.reasoning
    if reasoning is not None and reasoning.raw is not None:
        out["thinking"] = reasoning.raw
    for name in ("temperature", "top_p", "top_k"):
        if getattr(request, name) is not None:
            out[name] = getattr(request, name)
    config = {name.removeprefix("output_config."): value for name, value in request.extra.items()
              if name.startswith("output_config.")}
    if reasoning is not None and reasoning.effort:
        config["effort"] = reasoning.effort
    if request.response_format is not None:
        config["format"] = {"type": "json_schema", "schema": request.response_format.schema}
    if config:
        out["output_config"] = config


def _bad(path: str, problem: str) -> RequestRejected:
    return invalid_request(f"{path}: {problem}", path)


def _has_text(text: str) -> bool:
    # Anthropic refuses text blocks that are empty or only whitespace.
    return bool(text.strip())


def _text_block(text: str, cache: dict | None = None) -> dict:
    block: dict = {"type": "text", "text": text}
    if cache is not None:
        block["cache_control"] = cache
    return block


def _system_blocks(texts: list[Text]) -> list[dict]:
    return [_text(block) for block in texts if _has_text(block.text)]


def _text(block: Text) -> dict:
    out = _text_block(block.text, block.cache)
    if block.citations is not None:
        out["citations"] = block.citations
    return out


class _Turns:
    """Anthropic messages built turn by turn, same roles merged. System turns join the system
    prompt, except in a request that came from an Anthropic client (Claude Code sends
    `role:"system"` messages, which stay in place). Thinking signed by Gemini is left out
    (Anthropic refuses a signature it did not make); where it was is kept for the log."""

    def __init__(self, *, keep_system_turns: bool) -> None:
        self.keep_system_turns = keep_system_turns
        self.messages: list[dict] = []
        self.system: list[dict] = []
        self.gemini_thinking: list[str] = []

    def add(self, turn: Turn) -> None:
        if turn.role == "system" and self.keep_system_turns:
            self.messages.append({"role": "system", "content": [_text(b) for b in turn.blocks], **turn.extra})
            return
        if turn.role == "system":
            self.system.extend(_text(block) for block in turn.blocks if isinstance(block, Text) and _has_text(block.text))
            return
        self.gemini_thinking += [block.path for block in turn.blocks if is_gemini_thinking(block)]
        kept = [block for block in turn.blocks if not is_gemini_thinking(block)]
        blocks = [encoded for block in kept if (encoded := _block(block)) is not None]
        if not blocks:
            return
        if self.messages and self.messages[-1]["role"] == turn.role:
            self.messages[-1]["content"].extend(blocks)
        else:
            self.messages.append({"role": turn.role, "content": blocks})

    def finish(self) -> None:
        self._trim_final_assistant_text()
        if not self.messages or self.messages[0]["role"] != "user":
            self.messages.insert(0, {"role": "user", "content": [_text_block(_PLACEHOLDER_USER_TEXT)]})

    def rules_out_thinking(self) -> bool:
        """Anthropic refuses thinking after tool calls it cannot see a signed thinking block
        for, and with a final assistant turn (which it reads as a prefill)."""
        if self.messages[-1]["role"] == "assistant":
            return True
        for message in reversed(self.messages):
            if message["role"] == "assistant":
                content = message["content"]
                calls_tools = any(block["type"] == "tool_use" for block in content)
                return calls_tools and content[0]["type"] not in ("thinking", "redacted_thinking")
        return False

    def _trim_final_assistant_text(self) -> None:
        # Anthropic refuses a final assistant turn ending in whitespace.
        if not self.messages or self.messages[-1]["role"] != "assistant":
            return
        last = self.messages[-1]["content"][-1]
        if last["type"] == "text":
            last["text"] = last["text"].rstrip()


def _block(block) -> dict | None:
    """The Anthropic content block for a neutral one; None for one that says nothing."""
    if isinstance(block, Text):
        return _text(block) if _has_text(block.text) else None
    if isinstance(block, Image):
        return _image(block)
    if isinstance(block, Document):
        return _document(block)
    if isinstance(block, ToolCall):
        return _with_cache({"type": "tool_use", "id": anthropic_tool_id(block.id), "name": block.name,
                            "input": block.arguments}, block.cache)
    if isinstance(block, ToolResult):
        return _tool_result(block)
    if isinstance(block, Thinking):
        return _thinking_block(block)
    if isinstance(block, RedactedThinking):
        return {"type": "redacted_thinking", "data": block.data}
    return _opaque(block)


def _with_cache(block: dict, cache: dict | None) -> dict:
    if cache is not None:
        block["cache_control"] = cache
    return block


def _thinking_block(block: Thinking) -> dict | None:
    # A thinking block without a real signature is refused by Anthropic: it is not sent.
    if not block.signature:
        return None
    return {"type": "thinking", "thinking": block.text, "signature": block.signature}


def _image(block: Image) -> dict:
    if block.source == "url":
        source = {"type": "url", "url": block.url}
    elif block.source == "base64":
        if block.media_type not in IMAGE_MEDIA_TYPES:
            raise _bad(block.path, f"images of type {block.media_type!r} cannot be sent to {UPSTREAM}, which reads JPEG, PNG, GIF and WebP")
        source = {"type": "base64", "media_type": block.media_type, "data": block.data}
    elif block.source == "file":
        source = {"type": "file", "file_id": block.file_id}
    else:
        raise _bad(block.path, f"image sources of type {block.source!r} cannot be sent to {UPSTREAM}")
    return _with_cache({"type": "image", "source": source}, block.cache)


def _document(block: Document) -> dict:
    if block.source == "base64":
        if block.media_type != PDF:
            raise _bad(block.path, f"documents of type {block.media_type!r} cannot be sent to {UPSTREAM}, which reads PDF and plain text")
        source: dict = {"type": "base64", "media_type": block.media_type, "data": block.data}
    elif block.source == "text":
        # Any text (CSV, Markdown …) is plain text to Anthropic, the one type it takes for it.
        source = {"type": "text", "media_type": "text/plain", "data": block.data}
    elif block.source == "content":
        content = [encoded for item in block.content if (encoded := _block(item)) is not None]
        source = {"type": "content", "content": content}
    elif block.source == "url":
        source = {"type": "url", "url": block.url}
    else:
        raise _bad(f"{block.path}.file_id", f"uploaded OpenAI files cannot be read by {UPSTREAM}; send file_data")
    out: dict = {"type": "document", "source": source}
    if block.title:
        out["title"] = block.title
    if block.context:
        out["context"] = block.context
    if block.citations is not None:
        out["citations"] = block.citations
    return _with_cache(out, block.cache)


def _tool_result(block: ToolResult) -> dict:
    out: dict = {"type": "tool_result", "tool_use_id": anthropic_tool_id(block.call_id)}
    content = [encoded for item in block.content if (encoded := _block(item)) is not None]
    if content:
        out["content"] = content
    if block.is_error:
        out["is_error"] = True
    return _with_cache(out, block.cache)


def _opaque(block: Opaque) -> dict:
    if block.protocol == PROTOCOL:
        return block.raw
    if block.type == "input_audio":
        raise _bad(block.path, f"audio input cannot be sent to {UPSTREAM}")
    raise _bad(f"{block.path}.type", f"{block.type!r} content cannot be sent to {UPSTREAM}")


def anthropic_tool_id(call_id: str) -> str:
    if _ANTHROPIC_ID.fullmatch(call_id):
        return call_id
    digest = hashlib.sha256(call_id.encode()).hexdigest()[:12]
    return f"{_NOT_ID_CHAR.sub('_', call_id)}_{digest}"


def _thinking(request: Request, tool_choice: dict | None, turns: _Turns, dropped: list[str]):
    """A function of the default output limit giving (thinking, max_tokens), or None when
    thinking is not asked for or not possible (the effort is then named as dropped)."""
    reasoning = request.reasoning
    if reasoning is None or reasoning.mode == "disabled":
        return None
    # Adaptive thinking too: Anthropic refuses any thinking beside a forced tool (but adaptive
    # thinking may skip a turn, so a tool round without a thinking block does not rule it out).
    forces_tool = tool_choice is not None and tool_choice["type"] in ("any", "tool")
    if not forces_tool and reasoning.mode == "adaptive" and reasoning.effort is None:
        return lambda default: ({"type": "adaptive"}, request.max_tokens or default)
    if forces_tool or turns.rules_out_thinking():
        dropped.append(request.client_name("reasoning"))
        return None
    if reasoning.budget is not None:
        budget = reasoning.budget
        return lambda default: ({"type": "enabled", "budget_tokens": budget}, request.max_tokens or default)

    def by_effort(default: int) -> tuple[dict, int]:
        budget, max_tokens = _thinking_budget(reasoning.effort or "medium", request.max_tokens, default)
        return {"type": "enabled", "budget_tokens": budget}, max_tokens

    return by_effort


def _thinking_budget(effort: str, client_max_tokens: int | None, default_max_tokens: int) -> tuple[int, int]:
    """(budget_tokens, max_tokens) for an effort; see the module docstring for the reasoning."""
    budget = _THINKING_BUDGETS[effort]
    if client_max_tokens is None:
        return budget, default_max_tokens + budget
    budget = min(budget, client_max_tokens // 2)
    if budget < _MIN_THINKING_BUDGET:
        return _MIN_THINKING_BUDGET, client_max_tokens + _MIN_THINKING_BUDGET
    return budget, client_max_tokens


def _add_sampling(out: dict, request: Request, *, thinking: bool, dropped: list[str]) -> None:
    temperature, top_p = request.temperature, request.top_p
    if temperature is not None:
        if thinking:
            dropped.append(request.client_name("temperature"))
        else:
            out["temperature"] = float(min(max(temperature, 0), 1))
    if top_p is not None:
        if (thinking and top_p < _THINKING_MIN_TOP_P) or "temperature" in out:
            dropped.append(request.client_name("top_p"))
        else:
            out["top_p"] = top_p
    if request.top_k is not None:
        out["top_k"] = request.top_k
    if request.seed is not None:
        dropped.append(request.client_name("seed"))


def _tool(tool, from_anthropic: bool) -> dict:
    if from_anthropic and tool.raw is not None:
        return tool.raw  # the client's own tool, with fields the neutral model does not know
    if tool.kind == CUSTOM_TOOL:
        tool = Tool(tool.name, custom_tool_description(tool), INPUT_SCHEMA, cache=tool.cache)
    elif tool.kind != "function":
        return tool.raw if tool.raw is not None else {"type": tool.kind, "name": tool.name}
    out: dict = {"name": tool.name}
    if tool.description:
        out["description"] = tool.description
    schema = tool.schema
    if schema is None:
        schema = {"type": "object", "properties": {}}
    elif "type" not in schema:
        # Anthropic requires the input schema to say it describes an object.
        schema = {"type": "object", **schema}
    out["input_schema"] = schema
    return _with_cache(out, tool.cache)


def _tool_choice(request: Request, has_tools: bool) -> dict | None:
    choice, parallel = request.tool_choice, request.parallel_tool_calls
    if choice is None:
        anthropic = {"type": "auto"} if has_tools and parallel is False else None
    elif choice.mode in ("auto", "none"):
        anthropic = {"type": choice.mode} if has_tools else None
    elif choice.mode == "required":
        anthropic = {"type": "any"}
    else:
        anthropic = {"type": "tool", "name": choice.name}
    if anthropic is not None and parallel is False and anthropic["type"] != "none":
        anthropic["disable_parallel_tool_use"] = True
    return anthropic


def _response_format_instruction(response_format: ResponseFormat | None) -> list[dict]:
    if response_format is None:
        return []
    if response_format.kind == "json_object":
        return [_text_block(f"Answer with a single valid JSON object and nothing else. {_JSON_ONLY}")]
    about = f" ({response_format.description})" if response_format.description else ""
    name = response_format.name or "response"
    text = f"Answer with a single JSON value that conforms to the JSON Schema named {name!r}{about}. {_JSON_ONLY}"
    if response_format.schema is not None:
        text += "\nThe schema:\n" + json.dumps(response_format.schema, ensure_ascii=False, indent=2)
    return [_text_block(text)]
