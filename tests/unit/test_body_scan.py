"""The body scans agree with a parse of the body for what the proxy reads without parsing."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from anyrouter_core.body_scan import mentions, scanned_model, scanned_stream

CLAUDE_CODE = b'{"model":"claude-opus-4-6","max_tokens":32000,"stream":true,"messages":[]}'
OPENAI_SDK = b'{"messages": [{"role": "user", "content": "say \\"model\\": \\"x\\""}], "model": "gpt-4o", "stream": false}'

texts = st.text(max_size=30)
json_leaves = st.none() | st.booleans() | st.integers() | texts
# Nested values whose objects never use the keys the scans look for.
nested = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(texts.filter(lambda key: key not in ("model", "stream")), inner, max_size=3),
    max_leaves=10,
)


def test_the_model_and_stream_of_real_clients_bodies():
    assert scanned_model(CLAUDE_CODE) == "claude-opus-4-6" and scanned_stream(CLAUDE_CODE) is True
    assert scanned_model(OPENAI_SDK) == "gpt-4o" and scanned_stream(OPENAI_SDK) is False


def test_a_body_without_them_has_no_model_and_does_not_stream():
    assert scanned_model(b'{"messages": []}') is None
    assert scanned_stream(b'{"messages": []}') is False
    assert scanned_model(b'{"model": 5}') is None
    assert scanned_model(b"not json at all") is None


def test_escapes_in_the_model_name_are_read():
    assert scanned_model(rb'{"model": "a\"b\u00e9"}') == 'a"b\u00e9'


@given(model=texts, stream=st.booleans(), other=st.dictionaries(texts, nested, max_size=4),
       ascii_only=st.booleans(), compact=st.booleans())
def test_scans_agree_with_the_parsed_body(model, stream, other, ascii_only, compact):
    body = {**{k: v for k, v in other.items() if k not in ("model", "stream")}, "model": model, "stream": stream}
    separators = (",", ":") if compact else (", ", ": ")
    content = json.dumps(body, ensure_ascii=ascii_only, separators=separators).encode()
    assert scanned_model(content) == model
    assert scanned_stream(content) is stream


def test_mentions_is_false_only_when_the_string_is_nowhere():
    assert mentions(CLAUDE_CODE, "max_tokens")
    assert mentions(CLAUDE_CODE, "claude-opus-4-6")
    assert not mentions(CLAUDE_CODE, "temperature")
    assert not mentions(b'{"max_tokensx": 1}', "max_tokens")
