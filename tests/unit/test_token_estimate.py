import json
import math
from pathlib import Path

import pytest

from anyrouter_core.codecs.anthropic.token_estimate import estimate_input_tokens

FIXTURE = Path(__file__).parent.parent / "data" / "claude_code_request.json"
BASE = 16
PER_MESSAGE = 8


def body(messages, **fields):
    return {"model": "m", "max_tokens": 10, "messages": messages, **fields}


def test_one_short_message():
    # "Hi there" is 8 ASCII characters: ceil(8 / 3) = 3.
    assert estimate_input_tokens(body([{"role": "user", "content": "Hi there"}])) == BASE + PER_MESSAGE + 3


def test_system_string_and_blocks_count():
    system_blocks = [{"type": "text", "text": "abc"}, {"type": "text", "text": "def", "cache_control": {"type": "ephemeral"}}]
    messages = [{"role": "user", "content": ""}]
    assert estimate_input_tokens(body(messages, system="abcdef")) == BASE + PER_MESSAGE + 2
    assert estimate_input_tokens(body(messages, system=system_blocks)) == BASE + PER_MESSAGE + 2


def test_non_ascii_characters_count_one_token_each():
    assert estimate_input_tokens(body([{"role": "user", "content": "你好世界"}])) == BASE + PER_MESSAGE + 4
    assert estimate_input_tokens(body([{"role": "user", "content": "ab你"}])) == BASE + PER_MESSAGE + 1 + 1


def test_images_count_a_fixed_generous_amount_whatever_their_size():
    small = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "A" * 10}}
    large = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "A" * 1_000_000}}
    estimate_small = estimate_input_tokens(body([{"role": "user", "content": [small]}]))
    assert estimate_small == BASE + PER_MESSAGE + 1600
    assert estimate_input_tokens(body([{"role": "user", "content": [large]}])) == estimate_small


def test_pdfs_count_per_started_100k_base64_characters():
    def pdf(size):
        return {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "A" * size}}

    assert estimate_input_tokens(body([{"role": "user", "content": [pdf(10)]}])) == BASE + PER_MESSAGE + 3000
    assert estimate_input_tokens(body([{"role": "user", "content": [pdf(250_000)]}])) == BASE + PER_MESSAGE + 9000


def test_tool_use_and_tool_result_count():
    messages = [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "abc", "input": {"a": 1}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "xyz"}]}]},
    ]
    # "abc" + '{"a":1}' = 3 + 7 characters, plus "xyz" = 13 characters: ceil(13 / 3) = 5.
    assert estimate_input_tokens(body(messages)) == BASE + 2 * PER_MESSAGE + 5


def test_tools_count_as_their_json_plus_overhead():
    tool = {"name": "f", "input_schema": {"type": "object"}}
    chars = len(json.dumps(tool, separators=(",", ":")))
    assert estimate_input_tokens(body([], tools=[tool])) == BASE + 16 + math.ceil(chars / 3)


def test_thinking_counts_but_signature_does_not():
    block = {"type": "thinking", "thinking": "abc", "signature": "s" * 3000}
    assert estimate_input_tokens(body([{"role": "assistant", "content": [block]}])) == BASE + PER_MESSAGE + 1


def test_more_text_never_estimates_fewer_tokens():
    short = estimate_input_tokens(body([{"role": "user", "content": "word " * 10}]))
    longer = estimate_input_tokens(body([{"role": "user", "content": "word " * 11}]))
    assert longer > short


def test_claude_code_request_estimate_errs_high():
    request = json.loads(FIXTURE.read_text())
    estimate = estimate_input_tokens(request)
    # Real tokenizers fit 3.5–4 characters of English and code in a token.
    assert estimate >= len(FIXTURE.read_text()) / 4
    assert estimate < len(FIXTURE.read_text())


@pytest.mark.parametrize(
    "malformed",
    [None, [], "x", {}, {"messages": "x"}, {"messages": [None, 3, {"content": 5}, {"content": [None, 7, {"type": 3}]}]},
     {"system": {"a": 1}, "tools": "x"}, {"tools": [object()]}],
)
def test_malformed_bodies_never_raise(malformed):
    assert estimate_input_tokens(malformed) >= BASE


def test_the_exchange_estimates_input_tokens_for_streamed_requests_only():
    from anyrouter_core.protocols import protocol_named

    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x" * 300}]}
    anthropic = protocol_named("anthropic")
    assert anthropic.exchange_of(body, 0).estimated_input_tokens == 0
    assert anthropic.exchange_of({**body, "stream": True}, 0).estimated_input_tokens == estimate_input_tokens(body)
