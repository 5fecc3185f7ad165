from datetime import UTC, datetime

import anthropic
import openai

from anyrouter_core.keys import fingerprint
from anyrouter_core.codecs.anthropic.model_list import model_list as anthropic_model_page
from anyrouter_core.codecs.openai_chat.model_list import model_list as openai_model_list
from anyrouter_core.model_catalog import DEFAULT_MODELS, display_name, parse_model_list

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_display_names():
    assert display_name("claude-sonnet-4-5-20250929") == "Claude Sonnet 4.5"
    assert display_name("claude-3-7-sonnet-20250219") == "Claude Sonnet 3.7"
    assert display_name("claude-opus-4-6") == "Claude Opus 4.6"
    assert display_name("gpt-4o") == "gpt-4o"


def test_parse_model_list_keeps_order_and_drops_repeats():
    assert parse_model_list(" a, b ,a,,c ") == ["a", "b", "c"]
    assert parse_model_list(" , ") == []


def test_anthropic_page_validates_and_dates_come_from_ids():
    page = anthropic_model_page(list(DEFAULT_MODELS), START)
    models = [anthropic.types.ModelInfo.model_validate(m) for m in page["data"]]
    assert models[0].created_at == datetime(2025, 10, 1, tzinfo=UTC)
    undated = next(m for m in models if m.id == "claude-sonnet-4-6")
    assert undated.created_at == START.replace(microsecond=0)
    assert (page["first_id"], page["last_id"], page["has_more"]) == (
        "claude-haiku-4-5-20251001", "claude-opus-4-6", False,
    )


def test_openai_list_validates():
    body = openai_model_list(["claude-opus-4-6", "local-model"], START)
    models = [openai.types.Model.model_validate(m) for m in body["data"]]
    assert body["object"] == "list"
    assert [(m.id, m.owned_by, m.created) for m in models] == [
        ("claude-opus-4-6", "anthropic", int(START.timestamp())),
        ("local-model", "anyrouter", int(START.timestamp())),
    ]


def test_fingerprints_show_prefix_and_last_four_only():
    assert fingerprint("sk-ant-api03-abcdefghijklmnop-a1b2") == "sk-…a1b2"
    assert fingerprint("0123456789abcdef") == "…cdef"
    assert fingerprint("short-key") == "…"
    assert fingerprint("") == "-"
