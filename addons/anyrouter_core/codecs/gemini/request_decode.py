"""A Gemini client's request body → a neutral `Request`, checked on the way.

The body is the one the proxy works on: the client's JSON with the model and stream form of
its path lifted into it (`paths.lift`). Fields are read under their camelCase and their
snake_case names (google-genai sends the latter; see `field_names`), and every problem is a
`RequestRejected` (400) whose message starts with the path of the field as the client wrote
it, e.g. `contents[1].parts[0].functionCall.name: must be a non-empty string`.

Choices:
- Parts: `text` is text, or thinking when `thought` is true (its `thoughtSignature` the
  block's signature, marked as a Gemini one: `thought_signatures`); a signature on a
  `functionCall` part is that call's `signature`, one on any other part a thinking block
  with no text just before it, so that each comes back where it was (`request_encode`).
  `inlineData` is an image (image/*), a text document (text/*, decoded) or a base64
  document (PDF and the rest); `fileData` the same by URL. Audio and video reach no other
  protocol's model: a 400 naming the part. Code execution parts stay Gemini's own (`Opaque`).
- A `functionCall` without an `id` gets one made from its place in `contents`, the same in
  every request that replays the history. A `functionResponse` answers a call of the model
  turn before it: the one with its `id`, else the first unanswered one of its `name`.
  Gemini CLI sends `{"output": text}` or `{"error": text}` as the response: that text, an
  error for the latter; any other response object is its JSON text. A repeated call id
  (which other protocols refuse) is made unique, its response still paired by the client's id.
- `systemInstruction` (an object with text parts, or a plain string) is the system prompt.
- Gemini's built-in tools (googleSearch, codeExecution, urlContext …) are refused: Gemini CLI
  asks for them in requests of their own, whose answer without the tool would be made up,
  and its web fetch falls back to fetching by itself when the request fails.
- `functionCallingConfig`: AUTO → auto, NONE → none, ANY → required (the tool itself when
  `allowedFunctionNames` names exactly one), VALIDATED → auto. Other `allowedFunctionNames`
  restrict the tools: only those are offered, which is what Gemini does with them.
- `generationConfig`: `candidateCount`, log probabilities and AUDIO output are kept for
  encoders to refuse; IMAGE output and the `text/x.enum` mime type have no form elsewhere: a
  400. `thinkingBudget` 0 is thinking disabled, -1 adaptive, N enabled with N tokens;
  `thinkingLevel` an effort; `includeThoughts` a summary ("auto"); `seed` the seed. Its other
  fields (penalties, speechConfig …) stay in `extra` as `generationConfig.<name>`, like the
  top-level ones (`safetySettings`, `labels` …): only a Gemini encoder sends them back.
- `cachedContent` names a context cache that lives at Google: refused.
"""

from __future__ import annotations

import base64
import binascii
import json

from ...errors import invalid_request
from ...neutral import (
    Document,
    Image,
    Opaque,
    Reasoning,
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
from ..openai_common import bad, canonical_image_type, function_parameters, is_int, is_number
from . import NAME as PROTOCOL
from .field_names import camel_case, key_in, value_of
from .paths import LIFTED_FIELDS, MODEL_FIELD, STREAM_FIELD
from .schema_subset import json_schema
from .thought_signatures import carried

_READ_FIELDS = frozenset({
    *LIFTED_FIELDS, "contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "cachedContent",
})
_READ_GENERATION_FIELDS = frozenset({
    "maxOutputTokens", "temperature", "topP", "topK", "stopSequences", "candidateCount", "responseMimeType",
    "responseSchema", "responseJsonSchema", "thinkingConfig", "responseLogprobs", "logprobs", "responseModalities",
    "seed",
})
_PART_DATA = ("text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode", "codeExecutionResult")
_PART_KINDS = "text, inlineData, fileData, functionCall or functionResponse"
_TOOL_MODES = {"AUTO": "auto", "NONE": "none", "ANY": "required", "VALIDATED": "auto", "MODE_UNSPECIFIED": None}
_LEVELS = ("minimal", "low", "medium", "high")
_ADAPTIVE_BUDGET = -1
_JSON = "application/json"
_NO_AUDIO_OR_VIDEO = "audio and video parts reach only a Gemini upstream, not this one; send text, images or documents"


def decode_request(body: dict) -> Request:
    if not isinstance(body, dict):
        raise invalid_request("the request body must be a JSON object")
    cached = key_in(body, "cachedContent")
    if body.get(cached) is not None:
        raise bad(cached, "a Gemini context cache cannot be used through another upstream; send the contents instead")
    model = body.get(MODEL_FIELD)
    if not isinstance(model, str) or not model:
        raise bad("model", "must be a non-empty string (the model of the request's path)")
    request = Request(model=model.removeprefix("models/"), turns=[], protocol=PROTOCOL)
    contents = key_in(body, "contents")
    request.turns = _Conversation().read(body.get(contents), contents)
    request.system = _system_instruction(body)
    request.tools = _tools(body)
    _read_tool_config(body, request)
    _read_generation_config(body, request)
    request.stream = body.get(STREAM_FIELD) is True
    request.extra.update(
        (key, value) for key, value in body.items() if camel_case(key) not in _READ_FIELDS and value is not None
    )
    return request


# ---------------------------------------------------------------- small readers


def _object(value: object, path: str) -> dict:
    if not isinstance(value, dict):
        raise bad(path, "must be an object")
    return value


def _list(value: object, path: str) -> list:
    if not isinstance(value, list):
        raise bad(path, "must be a list")
    return value


def _string(container: dict, camel: str, path: str, *, required: bool = True) -> str | None:
    key = key_in(container, camel)
    value = container.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise bad(f"{path}.{key}", "must be a non-empty string" if required else "must be a string")
    return value


def _json_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------- contents


class _Conversation:
    """Turns from `contents`, in order, and the pairing of calls and responses: the calls of
    the latest model turn(s) that await a response, with the id the client gave each."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.awaiting: list[tuple[str | None, ToolCall]] = []
        self.call_ids: set[str] = set()

    def read(self, contents: object, path: str) -> list[Turn]:
        if not isinstance(contents, list) or not contents:
            raise bad(path, "must be a non-empty list of contents")
        for index, content in enumerate(contents):
            content_path = f"{path}[{index}]"
            content = _object(content, content_path)
            role = content.get("role") or "user"  # Gemini reads a content without a role as the user's
            if role not in ("user", "model"):
                raise bad(f"{content_path}.role", f"must be 'user' or 'model', not {role!r}")
            parts_key = key_in(content, "parts")
            parts = _list(content.get(parts_key), f"{content_path}.{parts_key}")
            if role == "model" and not (self.turns and self.turns[-1].role == "assistant"):
                self.awaiting = []
            if not parts:
                raise bad(f"{content_path}.{parts_key}", "must not be empty")
            blocks = []
            for position, part in enumerate(parts):
                part_path = f"{content_path}.{parts_key}[{position}]"
                blocks += self._part(_object(part, part_path), role, part_path, (index, position))
            self.turns.append(Turn("assistant" if role == "model" else "user", blocks, content_path))
            if role == "user":
                self._refuse_unanswered_calls()
        self._refuse_unanswered_calls()
        return self.turns

    def _refuse_unanswered_calls(self) -> None:
        # As Gemini does: every call of a model turn is answered in the user turn after it
        # (other upstreams refuse a call left without its result too).
        if self.awaiting:
            call = self.awaiting[0][1]
            raise bad(call.path, f"the functionCall {call.name!r} is answered by no functionResponse in the user turn after it")

    def _part(self, part: dict, role: str, path: str, place: tuple[int, int]) -> list:
        kind, key = _part_kind(part, path)
        value = part[key]
        signature = _string(part, "thoughtSignature", path, required=False)
        if kind == "functionCall":
            if role != "model":
                raise bad(f"{path}.{key}", "functionCall parts belong in a model turn")
            return [self._call(_object(value, f"{path}.{key}"), f"{path}.{key}", path, place, signature)]
        if kind == "functionResponse":
            if role != "user":
                raise bad(f"{path}.{key}", "functionResponse parts belong in a user turn")
            return [self._response(_object(value, f"{path}.{key}"), f"{path}.{key}", path)]
        if kind == "text":
            if not isinstance(value, str):
                raise bad(f"{path}.{key}", "must be a string")
            if role == "model" and value_of(part, "thought") is True:
                return [Thinking(value, carried(signature) if signature else None, path)]
            block = Text(value, path=path)
        elif kind in ("inlineData", "fileData"):
            block = _media(kind, _object(value, f"{path}.{key}"), f"{path}.{key}", path)
        else:
            block = Opaque(kind, part, PROTOCOL, path)  # code execution: Gemini's own
        # Gemini may sign any part of its answer; the signature rides just before the part.
        if role == "model" and signature:
            return [Thinking("", carried(signature), path), block]
        return [block]

    def _call(self, call: dict, path: str, part_path: str, place: tuple[int, int], signature: str | None) -> ToolCall:
        name = _string(call, "name", path)
        client_id = _string(call, "id", path, required=False) or None
        arguments_key = key_in(call, "args")
        arguments = call.get(arguments_key)
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise bad(f"{path}.{arguments_key}", "must be an object")
        call_id = client_id or f"call_{place[0]}_{place[1]}"
        if call_id in self.call_ids:
            call_id = f"{call_id}_{place[0]}_{place[1]}"
        self.call_ids.add(call_id)
        block = ToolCall(call_id, name, arguments, path=part_path, signature=signature)
        self.awaiting.append((client_id, block))
        return block

    def _response(self, response: dict, path: str, part_path: str) -> ToolResult:
        name = _string(response, "name", path)
        client_id = _string(response, "id", path, required=False) or None
        call = self._answered_call(client_id, name, path)
        body_key = key_in(response, "response")
        body = _object(response.get(body_key), f"{path}.{body_key}")
        is_error = body.get("error") is not None
        if is_error:
            text = _json_text(body["error"] if len(body) == 1 else body)
        elif list(body) == ["output"]:
            text = _json_text(body["output"])
        else:
            text = _json_text(body)
        content: list = [Text(text, path=f"{path}.{body_key}")] if text else []
        parts_key = key_in(response, "parts")
        for position, part in enumerate(_list(response.get(parts_key) or [], f"{path}.{parts_key}")):
            inner_path = f"{path}.{parts_key}[{position}]"
            kind, key = _part_kind(_object(part, inner_path), inner_path)
            if kind not in ("inlineData", "fileData"):
                raise bad(f"{inner_path}.{key}", "a functionResponse's parts must be inlineData or fileData")
            content.append(_media(kind, _object(part[key], f"{inner_path}.{key}"), f"{inner_path}.{key}", inner_path))
        return ToolResult(call.id, content, is_error, path=part_path)

    def _answered_call(self, client_id: str | None, name: str, path: str) -> ToolCall:
        """The awaiting call a response answers (taken out of those awaiting)."""
        matches = [entry for entry in self.awaiting if client_id is not None and entry[0] == client_id]
        matches = matches or [entry for entry in self.awaiting if entry[1].name == name]
        if not matches:
            if client_id is not None:
                raise bad(f"{path}.id", f"{client_id!r} answers no functionCall of the model turn before it that awaits a response")
            raise bad(f"{path}.name", f"no functionCall named {name!r} in the model turn before it awaits a response")
        self.awaiting.remove(matches[0])
        return matches[0][1]


def _part_kind(part: dict, path: str) -> tuple[str, str]:
    """(the part's kind in camelCase, the key the client wrote it under)."""
    found = [(kind, key_in(part, kind)) for kind in _PART_DATA if key_in(part, kind) in part]
    if not found:
        raise bad(path, f"a part must hold one of {_PART_KINDS}")
    if len(found) > 1:
        raise bad(path, f"a part holds one of {_PART_KINDS}, not {found[0][1]} and {found[1][1]} together")
    return found[0]


def _media(kind: str, media: dict, path: str, part_path: str) -> Image | Document:
    mime_key = key_in(media, "mimeType")
    media_type = _string(media, "mimeType", path, required=kind == "inlineData")
    media_type = (media_type or "").split(";")[0].strip().lower()
    if media_type.startswith(("audio/", "video/")):
        raise bad(f"{path}.{mime_key}", f"{media_type!r}: {_NO_AUDIO_OR_VIDEO}")
    if kind == "fileData":
        uri = _string(media, "fileUri", path)
        if media_type.startswith("image/"):
            return Image("url", media_type=media_type, url=uri, path=part_path)
        return Document("url", media_type=media_type, url=uri, path=part_path)
    data_key = key_in(media, "data")
    data = _base64(_string(media, "data", path), f"{path}.{data_key}")
    if media_type.startswith("image/"):
        return Image("base64", media_type=canonical_image_type(media_type), data=data, path=part_path)
    if media_type.startswith("text/"):
        try:
            return Document("text", media_type=media_type, data=base64.b64decode(data).decode(), path=part_path)
        except UnicodeDecodeError:
            pass  # not UTF-8: kept as the bytes it is
    return Document("base64", media_type=media_type, data=data, path=part_path)


def _base64(data: str, path: str) -> str:
    """`data` as standard, padded base64: Gemini also reads the URL-safe alphabet and
    unpadded text, which other protocols refuse."""
    standard = data.replace("-", "+").replace("_", "/")
    standard += "=" * (-len(standard) % 4)
    try:
        base64.b64decode(standard, validate=True)
    except (binascii.Error, ValueError):
        raise bad(path, "must be base64 data") from None
    return standard


def _system_instruction(body: dict) -> list[Text]:
    key = key_in(body, "systemInstruction")
    instruction = body.get(key)
    if instruction is None:
        return []
    if isinstance(instruction, str):
        return [Text(instruction, path=key)] if instruction else []
    instruction = _object(instruction, key)
    parts_key = key_in(instruction, "parts")
    texts = []
    for position, part in enumerate(_list(instruction.get(parts_key) or [], f"{key}.{parts_key}")):
        path = f"{key}.{parts_key}[{position}]"
        text = _object(part, path).get("text")
        if not isinstance(text, str):
            raise bad(f"{path}.text", "a system instruction holds text parts only")
        texts.append(Text(text, path=path))
    return texts


# ---------------------------------------------------------------- tools


def _tools(body: dict) -> list[Tool]:
    key = key_in(body, "tools")
    tools: list[Tool] = []
    for position, entry in enumerate(_list(body.get(key) or [], key)):
        path = f"{key}[{position}]"
        entry = _object(entry, path)
        for name in entry:
            if camel_case(name) != "functionDeclarations":
                raise bad(
                    f"{path}.{name}",
                    "Gemini's built-in tools have no equivalent behind this upstream; declare functions "
                    "the client runs itself (functionDeclarations)",
                )
        declarations_key = key_in(entry, "functionDeclarations")
        declarations = _list(entry.get(declarations_key) or [], f"{path}.{declarations_key}")
        for index, declaration in enumerate(declarations):
            declaration_path = f"{path}.{declarations_key}[{index}]"
            tools.append(_declaration(_object(declaration, declaration_path), declaration_path))
    return tools


def _declaration(declaration: dict, path: str) -> Tool:
    name = _string(declaration, "name", path)
    description = _string(declaration, "description", path, required=False)
    subset_key, full_key = key_in(declaration, "parameters"), key_in(declaration, "parametersJsonSchema")
    subset, full = declaration.get(subset_key), declaration.get(full_key)
    if subset is not None and full is not None:
        raise bad(path, f"give either {subset_key} or {full_key}, not both")
    schema = None
    if subset is not None:
        schema = function_parameters(json_schema(_object(subset, f"{path}.{subset_key}")), f"{path}.{subset_key}")
    elif full is not None:
        schema = function_parameters(_object(full, f"{path}.{full_key}"), f"{path}.{full_key}")
    return Tool(name, description, schema, raw=declaration, path=path)


def _read_tool_config(body: dict, request: Request) -> None:
    key = key_in(body, "toolConfig")
    if body.get(key) is None:
        return
    config = _object(body[key], key)
    calling_key = key_in(config, "functionCallingConfig")
    request.names["tool_choice"] = f"{key}.{calling_key}"
    for name, value in config.items():
        if name != calling_key and value is not None:
            request.extra[f"{key}.{name}"] = value
    if config.get(calling_key) is None:
        return
    calling = _object(config[calling_key], f"{key}.{calling_key}")
    path = f"{key}.{calling_key}"
    mode_key = key_in(calling, "mode")
    mode = calling.get(mode_key, "MODE_UNSPECIFIED")
    if not isinstance(mode, str) or mode.upper() not in _TOOL_MODES:
        raise bad(f"{path}.{mode_key}", "must be AUTO, ANY, NONE or VALIDATED")
    choice = _TOOL_MODES[mode.upper()]
    allowed = _allowed_names(calling, path, request.tools)
    if choice == "required" and not request.tools:
        raise bad(f"{path}.{mode_key}", "ANY needs function declarations in tools")
    if choice == "required" and len(allowed) == 1:
        request.tool_choice = ToolChoice("tool", allowed[0])
        return
    if allowed and choice != "none":
        request.tools = [tool for tool in request.tools if tool.name in allowed]
    request.tool_choice = ToolChoice(choice) if choice is not None else None


def _allowed_names(calling: dict, path: str, tools: list[Tool]) -> list[str]:
    key = key_in(calling, "allowedFunctionNames")
    names = _list(calling.get(key) or [], f"{path}.{key}")
    declared = {tool.name for tool in tools}
    for position, name in enumerate(names):
        if not isinstance(name, str):
            raise bad(f"{path}.{key}[{position}]", "must be the name of a function declaration")
        if name not in declared:
            raise bad(f"{path}.{key}[{position}]", f"no function declaration named {name!r}")
    return list(dict.fromkeys(names))


# ---------------------------------------------------------------- generationConfig


def _read_generation_config(body: dict, request: Request) -> None:
    key = key_in(body, "generationConfig")
    if body.get(key) is None:
        return
    config = _object(body[key], key)
    field = _Fields(config, key, request)
    request.max_tokens = field.read("maxOutputTokens", "max_tokens", _positive_int, "must be a positive integer")
    request.temperature = field.read("temperature", "temperature", _non_negative, "must be a number of at least 0")
    request.top_p = field.read("topP", "top_p", _non_negative, "must be a number of at least 0")
    top_k = field.read("topK", "top_k", _whole_number, "must be a whole number of at least 0")
    request.top_k = int(top_k) if top_k is not None else None
    request.stop = field.read("stopSequences", "stop", _strings, "must be a list of strings") or []
    request.seed = field.read("seed", "seed", is_int, "must be an integer")
    request.choices = field.read("candidateCount", "choices", _positive_int, "must be a positive integer") or 1
    _read_logprobs(field, request)
    _read_modalities(field, request)
    request.response_format = _response_format(config, key, request)
    _read_thinking(config, key, request)
    for name, value in config.items():
        if camel_case(name) not in _READ_GENERATION_FIELDS and value is not None:
            request.extra[f"{key}.{name}"] = value


class _Fields:
    """Reads the fields of `generationConfig`, recording how the client named each."""

    def __init__(self, config: dict, path: str, request: Request) -> None:
        self.config, self.path, self.request = config, path, request

    def name(self, camel: str) -> str:
        return f"{self.path}.{key_in(self.config, camel)}"

    def read(self, camel: str, neutral: str, valid, problem: str):
        self.request.names[neutral] = self.name(camel)
        value = value_of(self.config, camel)
        if value is not None and not valid(value):
            raise bad(self.name(camel), problem)
        return value


def _positive_int(value: object) -> bool:
    return is_int(value) and value >= 1  # type: ignore[operator]


def _non_negative(value: object) -> bool:
    return is_number(value) and value >= 0  # type: ignore[operator]


def _whole_number(value: object) -> bool:
    # google-genai types topK as a float
    return _non_negative(value) and float(value).is_integer()  # type: ignore[arg-type]


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _read_logprobs(field: _Fields, request: Request) -> None:
    wanted = field.read("responseLogprobs", "logprobs", lambda value: isinstance(value, bool), "must be a boolean")
    if wanted:
        request.logprobs = True
        return
    count = value_of(field.config, "logprobs")
    if count is not None and not (is_int(count) and count >= 0):
        raise bad(field.name("logprobs"), "must be a whole number of at least 0")
    if count:
        request.logprobs = True
        request.names["logprobs"] = field.name("logprobs")


def _read_modalities(field: _Fields, request: Request) -> None:
    modalities = field.read("responseModalities", "audio_output", _strings, "must be a list of strings") or []
    for position, modality in enumerate(modalities):
        modality = modality.upper()
        if modality == "AUDIO":
            request.audio_output = True
        elif modality == "IMAGE":
            raise bad(f"{field.name('responseModalities')}[{position}]", "image output is available from a Gemini upstream only, not this one")
        elif modality not in ("TEXT", "MODALITY_UNSPECIFIED"):
            raise bad(f"{field.name('responseModalities')}[{position}]", "must be TEXT, IMAGE or AUDIO")


def _response_format(config: dict, path: str, request: Request) -> ResponseFormat | None:
    mime_key = key_in(config, "responseMimeType")
    subset_key, full_key = key_in(config, "responseSchema"), key_in(config, "responseJsonSchema")
    mime, subset, full = config.get(mime_key), config.get(subset_key), config.get(full_key)
    if subset is not None and full is not None:
        raise bad(f"{path}.{subset_key}", f"give either {subset_key} or {full_key}, not both")
    schema_key = subset_key if subset is not None else full_key
    if mime is None or mime == "text/plain":
        if subset is not None or full is not None:
            raise bad(f"{path}.{schema_key}", f"needs {mime_key} 'application/json'")
        return None
    if mime == "text/x.enum":
        raise bad(f"{path}.{mime_key}", "'text/x.enum' has no equivalent behind this upstream; ask for 'application/json' with a schema of type string and its enum")
    if mime != _JSON:
        raise bad(f"{path}.{mime_key}", "must be 'text/plain' or 'application/json'")
    request.names["response_format"] = f"{path}.{schema_key}"
    if subset is not None:
        return ResponseFormat("json_schema", schema=json_schema(_object(subset, f"{path}.{subset_key}")))
    if full is not None:
        return ResponseFormat("json_schema", schema=_object(full, f"{path}.{full_key}"))
    return ResponseFormat("json_object")


def _read_thinking(config: dict, path: str, request: Request) -> None:
    key = key_in(config, "thinkingConfig")
    if config.get(key) is None:
        return
    thinking = _object(config[key], f"{path}.{key}")
    path = f"{path}.{key}"
    budget_key, level_key, include_key = (key_in(thinking, name) for name in ("thinkingBudget", "thinkingLevel", "includeThoughts"))
    request.names.update({"reasoning": path, "effort": f"{path}.{level_key}", "reasoning.summary": f"{path}.{include_key}"})
    budget, level, include = thinking.get(budget_key), thinking.get(level_key), thinking.get(include_key)
    if budget is not None and not (is_int(budget) and budget >= _ADAPTIVE_BUDGET):
        raise bad(f"{path}.{budget_key}", "must be a whole number: -1 (dynamic), 0 (off) or a budget of tokens")
    if isinstance(level, str) and level.upper() == "THINKING_LEVEL_UNSPECIFIED":
        level = None
    if level is not None and (not isinstance(level, str) or level.lower() not in _LEVELS):
        raise bad(f"{path}.{level_key}", f"must be one of {', '.join(_LEVELS)}")
    if include is not None and not isinstance(include, bool):
        raise bad(f"{path}.{include_key}", "must be a boolean")
    if budget is None and level is None and not include:
        return
    mode = {None: None, 0: "disabled", _ADAPTIVE_BUDGET: "adaptive"}.get(budget, "enabled")
    request.reasoning = Reasoning(
        mode=mode,
        effort=level.lower() if level is not None else None,
        budget=budget if mode == "enabled" else None,
        summary="auto" if include else None,
        raw=thinking,
    )
