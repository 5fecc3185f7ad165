"""What the two OpenAI codecs (Chat Completions, `openai_chat`, and Responses, `responses`)
share: how OpenAI writes images, PDFs, JSON Schema output formats, function parameters and
reasoning efforts, and the policies an OpenAI upstream needs for them.

Choices:
- Images are data URLs (base64 only; jpeg, png, gif, webp) or http(s) URLs; PDFs are base64
  data URLs or an id in OpenAI's file store.
- A reasoning effort wins when given (xhigh/max → high where the protocol stops at high);
  otherwise a thinking budget decides: below 4096 low, below 16384 medium, else high.
  Adaptive thinking without an effort sends nothing, leaving the choice to the upstream as
  adaptive thinking leaves it to the model.
- A user id goes out unchanged up to 256 characters; a longer one is sent as `sha256:<hex>`
  so it stays a stable identifier without flooding the upstream.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re

from ..errors import RequestRejected, invalid_request
from ..neutral import Document, Image, Reasoning, ResponseFormat, Usage
from .event_stream import count_or_zero, details_of, token_count

_IMAGE_MEDIA_TYPES = {
    "image/jpeg": "image/jpeg",
    "image/jpg": "image/jpeg",
    "image/png": "image/png",
    "image/gif": "image/gif",
    "image/webp": "image/webp",
}
PDF = "application/pdf"
_DATA_URL = re.compile(r"data:([^,;]*)((?:;[^,;]*)*),(.*)", re.DOTALL)
_LOW_BUDGET_BELOW = 4096
_MEDIUM_BUDGET_BELOW = 16384
_USER_ID_LIMIT = 256


def bad(path: str, problem: str) -> RequestRejected:
    """A 400 worded as OpenAI words it: the path of the field, then what is wrong with it."""
    return invalid_request(f"{path}: {problem}", path)


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return is_int(value) or (isinstance(value, float) and math.isfinite(value))


# ---------------------------------------------------------------- decoding


def image_from_url(url: object, path: str, url_path: str, detail: str | None = None) -> Image:
    """An image given as a data URL or an http(s) URL (`url_path`: where the URL is)."""
    if not isinstance(url, str):
        raise bad(url_path, "must be a string")
    if url.startswith(("http://", "https://")):
        return Image("url", url=url, detail=detail, path=path)
    if not url.startswith("data:"):
        raise bad(url_path, "must be a data URL or an http(s) URL")
    media_type, data = base64_data_url(url, url_path)
    if media_type not in _IMAGE_MEDIA_TYPES:
        raise bad(url_path, f"image type {media_type!r} is not supported (jpeg, png, gif or webp)")
    return Image("base64", media_type=_IMAGE_MEDIA_TYPES[media_type], data=data, detail=detail, path=path)


def canonical_image_type(media_type: str) -> str:
    """`image/jpg`, which clients write and other APIs refuse, as `image/jpeg`."""
    return _IMAGE_MEDIA_TYPES.get(media_type, media_type)


def document_from_file(file: dict, path: str) -> Document:
    """A PDF given as `file_data` (a base64 data URL, with an optional `filename`) or `file_id`."""
    file_data = file.get("file_data")
    if file_data is None:
        file_id = file.get("file_id")
        if file_id is not None:
            if not isinstance(file_id, str) or not file_id:
                raise bad(f"{path}.file_id", "must be a non-empty string")
            return Document("file", file_id=file_id, path=path)
        raise bad(f"{path}.file_data", "is required")
    if not isinstance(file_data, str):
        raise bad(f"{path}.file_data", "must be a string")
    media_type, data = base64_data_url(file_data, f"{path}.file_data")
    if media_type != PDF:
        raise bad(f"{path}.file_data", f"only PDF files are supported, not {media_type!r}")
    filename = file.get("filename")
    if filename is not None and not isinstance(filename, str):
        raise bad(f"{path}.filename", "must be a string")
    return Document("base64", media_type=PDF, data=data, title=filename or None, path=path)


def base64_data_url(url: str, path: str) -> tuple[str, str]:
    """(lower-case media type, base64 payload) of a `data:<type>;base64,<payload>` URL."""
    match = _DATA_URL.fullmatch(url)
    if match is None:
        raise bad(path, "not a valid data URL")
    media_type, parameters, data = match.groups()
    if "base64" not in (p.strip().lower() for p in parameters.split(";")):
        raise bad(path, "not a valid data URL: only base64 data URLs are supported")
    if not data:
        raise bad(path, "not a valid data URL: the data is empty")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise bad(path, "not a valid data URL: the data is not valid base64") from None
    return media_type.strip().lower(), data


def function_parameters(parameters: object, path: str) -> dict | None:
    """A function tool's `parameters`: a JSON Schema of an object, or None when not given."""
    if parameters is None:
        return None
    if not isinstance(parameters, dict):
        raise bad(path, "must be a JSON Schema object")
    if "type" in parameters and parameters["type"] != "object":
        raise bad(f"{path}.type", "must be 'object'")
    return parameters


def optional_string(container: dict, key: str, path: str) -> str | None:
    value = container.get(key)
    if value is not None and not isinstance(value, str):
        raise bad(f"{path}.{key}", "must be a string")
    return value


def json_schema_format(spec: object, path: str) -> ResponseFormat:
    """A JSON Schema output format: `name`, `description`, `schema` and `strict` at `path`."""
    if not isinstance(spec, dict):
        raise bad(path, "must be an object")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise bad(f"{path}.name", "must be a non-empty string")
    description = optional_string(spec, "description", path)
    schema = spec.get("schema")
    if schema is not None and not isinstance(schema, dict):
        raise bad(f"{path}.schema", "must be an object")
    strict = spec.get("strict") if isinstance(spec.get("strict"), bool) else None
    return ResponseFormat("json_schema", name, schema, description, strict)


# ---------------------------------------------------------------- encoding


def json_schema_spec(response_format: ResponseFormat) -> dict:
    """The fields of a JSON Schema output format, as both OpenAI protocols name them."""
    spec: dict = {"name": response_format.name or "response"}
    if response_format.description is not None:
        spec["description"] = response_format.description
    if response_format.schema is not None:
        spec["schema"] = response_format.schema
    if response_format.strict is not None:
        spec["strict"] = response_format.strict
    return spec


def effort_for(reasoning: Reasoning, by_effort: dict[str, str]) -> str | None:
    """The effort to ask of an OpenAI model for thinking that is not disabled: `by_effort`
    maps the neutral efforts onto the protocol's; None leaves it to the upstream."""
    if reasoning.effort:
        return by_effort[reasoning.effort]
    if reasoning.mode != "enabled" or reasoning.budget is None:
        return None
    if reasoning.budget < _LOW_BUDGET_BELOW:
        return "low"
    return "medium" if reasoning.budget < _MEDIUM_BUDGET_BELOW else "high"


def openai_user_id(user_id: str) -> str:
    if len(user_id) > _USER_ID_LIMIT:
        return "sha256:" + hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()
    return user_id


def usage_with_cache_inside(usage: dict, names: tuple[str, str, str, str, str]) -> Usage:
    """Neutral usage from an OpenAI usage object, whose input count includes what was read
    from and written to the cache (Chat's `prompt_tokens`, Responses' `input_tokens`). `names`:
    the input count, its details, the cache-write count in them, the output count, its details."""
    input_name, input_details_name, cache_write_name, output_name, output_details_name = names
    total_input = count_or_zero(usage.get(input_name))
    input_details = details_of(usage, input_details_name)
    cache_read = min(count_or_zero(input_details.get("cached_tokens")), total_input)
    cache_write = min(count_or_zero(input_details.get(cache_write_name)), total_input - cache_read)
    return Usage(
        input=total_input - cache_read - cache_write,
        cache_read=cache_read,
        cache_write=cache_write,
        output=count_or_zero(usage.get(output_name)),
        reasoning=token_count(details_of(usage, output_details_name).get("reasoning_tokens")),
    )
