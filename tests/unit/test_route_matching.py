"""Choosing a route: globs, the AND of a match's keys, first match wins, the facts a codec's
decoded request gives (thinking, tools, token estimate, background calls), and properties."""

from __future__ import annotations

import copy
import json
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anyrouter_core.codecs.anthropic.token_estimate import estimate_input_tokens
from anyrouter_core.neutral.blocks import Image, Text, Thinking, ToolCall, ToolResult
from anyrouter_core.neutral.request import Reasoning, Request, Tool, Turn
from anyrouter_core.protocols import PROTOCOLS, protocol_named
from anyrouter_core.routing import (
    Match,
    RequestFacts,
    RoutingRule,
    RoutingTable,
    Target,
    estimate_tokens,
    facts_from_model,
    facts_of,
    is_background_call,
    parse_routes,
)
from anyrouter_core.routing.matching import glob_matches, has_glob
from anyrouter_core.routing.request_facts import asks_for_thinking, tool_names

CLAUDE_CODE_BODY = json.loads((Path(__file__).parents[1] / "data" / "claude_code_request.json").read_text())


def facts(model: str | None = "m", client: str = "openai", **fields) -> RequestFacts:
    return RequestFacts(model, client, **fields)


def table_of(*matches: Match) -> RoutingTable:
    rules = tuple(RoutingRule(f"#{n}", match, (Target("default"),), line=n) for n, match in enumerate(matches, 1))
    return RoutingTable({}, rules)


def decoded(protocol: str, body: dict) -> Request:
    return protocol_named(protocol).codec.decode_request(body)


# globs and single keys --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "model", "matches"),
    [
        ("claude-*haiku*", "claude-3-5-haiku-20241022", True),
        ("claude-*haiku*", "Claude-Haiku-4-5", True),
        ("CLAUDE-*", "claude-sonnet-4-5", True),
        ("claude-*haiku*", "claude-sonnet-4-5", False),
        ("gpt-4", "gpt-4o", False),  # the whole name, not a prefix
        ("gpt-4", "GPT-4", True),
        ("gpt-4?", "gpt-4o", True),
        ("gpt-[45]*", "gpt-5-mini", True),
        ("gpt-[45]*", "gpt-3.5-turbo", False),
        ("*", "", True),
    ],
)
def test_model_globs_match_the_whole_name_ignoring_case(pattern, model, matches):
    assert Match(models=(pattern,)).holds(facts(model)) is matches


def test_any_of_several_model_patterns_may_match():
    match = Match(models=("gpt-*", "o3"))
    assert match.holds(facts("o3")) and match.holds(facts("gpt-5")) and not match.holds(facts("o4-mini"))


def test_a_request_without_a_model_fails_only_model_conditions():
    assert not Match(models=("*",)).holds(facts(None))
    assert Match(thinking=False).holds(facts(None))


def test_client_protocol():
    match = Match(client_protocols=frozenset({"anthropic", "responses"}))
    assert match.holds(facts(client="anthropic")) and match.holds(facts(client="responses"))
    assert not match.holds(facts(client="openai"))


def test_thinking():
    assert Match(thinking=True).holds(facts(thinking=True))
    assert not Match(thinking=True).holds(facts(thinking=False))
    assert Match(thinking=False).holds(facts(thinking=False))


def test_input_tokens_strictly_above():
    match = Match(input_tokens_above=1000)
    assert not match.holds(facts(input_tokens=1000))
    assert match.holds(facts(input_tokens=1001))
    assert Match(input_tokens_above=0).holds(facts(input_tokens=1))


def test_a_named_tool_is_a_glob_ignoring_case():
    assert Match(tools=("web_search",)).holds(facts(tool_names=("Read", "Web_Search")))
    assert not Match(tools=("web_search",)).holds(facts(tool_names=("web_search_preview",)))
    assert Match(tools=("mcp__*",)).holds(facts(tool_names=("Bash", "mcp__github__create_issue")))
    assert not Match(tools=("web_search",)).holds(facts())


def test_tools_true_and_false():
    assert Match(has_tools=True).holds(facts(tool_names=("Bash",)))
    assert not Match(has_tools=True).holds(facts())
    assert Match(has_tools=False).holds(facts())
    assert not Match(has_tools=False).holds(facts(tool_names=("Bash",)))


def test_background_calls_are_told_by_a_haiku_model():
    assert is_background_call("claude-3-5-haiku-20241022") and is_background_call("Claude-HAIKU-4-5")
    assert not is_background_call("claude-sonnet-4-5") and not is_background_call(None)
    assert Match(background=True).holds(facts_from_model("claude-haiku-4-5-20251001", "anthropic"))
    assert Match(background=False).holds(facts_from_model("claude-opus-4-6", "anthropic"))


def test_every_given_key_must_hold():
    match = Match(models=("claude-*",), client_protocols=frozenset({"anthropic"}), thinking=True, has_tools=True)
    full = facts("claude-opus-4-6", "anthropic", thinking=True, tool_names=("Bash",))
    assert match.holds(full)
    for changed in (
        facts("gpt-5", "anthropic", thinking=True, tool_names=("Bash",)),
        facts("claude-opus-4-6", "openai", thinking=True, tool_names=("Bash",)),
        facts("claude-opus-4-6", "anthropic", thinking=False, tool_names=("Bash",)),
        facts("claude-opus-4-6", "anthropic", thinking=True),
    ):
        assert not match.holds(changed)


def test_an_empty_match_holds_for_every_request():
    assert Match().is_catch_all and Match().holds(facts(None))
    assert not Match(background=False).is_catch_all


# choosing ---------------------------------------------------------------------------------

EXAMPLE = """\
upstreams:
  relay:  {url: "https://anyrouter.top", protocol: anthropic}
  local:  {url: "http://127.0.0.1:8080", protocol: openai, keys: "sk-local"}
  backup: {url: "https://api.example.com", protocol: openai}
routes:
  - match: {model: "claude-*haiku*"}
    to: local
    model: smollm2
  - match: {thinking: true}
    to: [relay, backup]
  - match: {model: "gpt-*"}
    to: backup
  - to: [relay, backup]
"""


def test_the_first_rule_that_matches_wins():
    table = parse_routes(EXAMPLE, lambda path: "")
    chosen = {
        name: table.choose(request_facts).name
        for name, request_facts in {
            "haiku, even thinking": facts("claude-3-5-haiku", "anthropic", thinking=True),
            "thinking gpt": facts("gpt-5", "openai", thinking=True),
            "gpt": facts("gpt-5", "openai"),
            "sonnet": facts("claude-sonnet-4-5", "anthropic"),
            "no model": facts(None),
        }.items()
    }
    assert chosen == {"haiku, even thinking": "#1", "thinking gpt": "#2", "gpt": "#3", "sonnet": "#4", "no model": "#4"}
    assert table.choose(facts("claude-3-5-haiku")).targets == (Target("local", "smollm2"),)


def test_without_a_catch_all_a_request_may_match_nothing():
    assert table_of(Match(models=("gpt-*",))).choose(facts("claude-opus-4-6")) is None


@pytest.mark.parametrize(
    ("match", "needs"),
    [
        (Match(), False),
        (Match(models=("gpt-*",), client_protocols=frozenset({"openai"})), False),
        (Match(thinking=False), True),
        (Match(input_tokens_above=0), True),
        (Match(tools=("web_search",)), True),
        (Match(has_tools=False), True),
        (Match(background=True), True),
    ],
)
def test_needs_body_facts_only_for_what_the_body_tells(match, needs):
    assert table_of(Match(models=("x",)), match).needs_body_facts is needs


def test_listed_models_are_the_names_without_globs_then_extra_once_each():
    table = parse_routes(
        "upstreams:\n  u: {url: 'http://h', protocol: openai}\n"
        "routes:\n"
        "  - match: {model: [claude-opus-4-6, 'claude-*', gpt-?, 'o[34]']}\n    to: u\n    model: renamed-upstream\n"
        "  - match: {model: [gpt-5, Claude-Opus-4-6]}\n    to: {upstream: u, model: other}\n",
        lambda path: "",
    )
    assert table.listed_models(["gpt-5", "extra-model", "extra-model"]) == ["claude-opus-4-6", "gpt-5", "extra-model"]
    assert table.listed_models() == ["claude-opus-4-6", "gpt-5"]


# facts of decoded requests ----------------------------------------------------------------

MESSAGES = [{"role": "user", "content": "Hello"}]


@pytest.mark.parametrize(
    ("thinking", "asks"),
    [
        ({"type": "enabled", "budget_tokens": 2048}, True),
        ({"type": "adaptive"}, True),
        ({"type": "disabled"}, False),
        (None, False),
    ],
)
def test_anthropic_thinking(thinking, asks):
    body = {"model": "claude-opus-4-6", "max_tokens": 4096, "messages": MESSAGES}
    if thinking is not None:
        body["thinking"] = thinking
    assert facts_of(decoded("anthropic", body), "anthropic").thinking is asks


def test_anthropic_effort_alone_asks_for_thinking_but_not_beside_disabled_thinking():
    body = {"model": "claude-opus-4-6", "max_tokens": 4096, "messages": MESSAGES, "output_config": {"effort": "low"}}
    assert facts_of(decoded("anthropic", body), "anthropic").thinking
    body["thinking"] = {"type": "disabled"}
    assert not facts_of(decoded("anthropic", body), "anthropic").thinking


@pytest.mark.parametrize(("effort", "asks"), [("high", True), ("minimal", True), ("none", False), (None, False)])
def test_openai_chat_reasoning_effort(effort, asks):
    body = {"model": "o3", "messages": MESSAGES}
    if effort is not None:
        body["reasoning_effort"] = effort
    assert facts_of(decoded("openai", body), "openai").thinking is asks


@pytest.mark.parametrize(
    ("reasoning", "asks"),
    [({"effort": "low"}, True), ({"effort": "none"}, False), ({"summary": "auto"}, False), (None, False)],
)
def test_responses_reasoning(reasoning, asks):
    body = {"model": "gpt-5-codex", "input": "Hello"}
    if reasoning is not None:
        body["reasoning"] = reasoning
    assert facts_of(decoded("responses", body), "responses").thinking is asks


def test_reasoning_values_directly():
    assert not asks_for_thinking(None)
    assert asks_for_thinking(Reasoning(budget=1024))
    assert not asks_for_thinking(Reasoning())
    assert not asks_for_thinking(Reasoning(mode="disabled", effort="high"))


def test_tool_names_of_each_protocol():
    anthropic = {
        "model": "claude-opus-4-6", "max_tokens": 100, "messages": MESSAGES,
        "tools": [
            {"name": "Read", "input_schema": {"type": "object"}},
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
        ],
    }
    openai = {
        "model": "gpt-5", "messages": MESSAGES,
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
    }
    responses = {
        "model": "gpt-5-codex", "input": "Hello",
        "tools": [
            {"type": "function", "name": "shell", "parameters": {"type": "object"}},
            {"type": "custom", "name": "apply_patch"},
        ],
    }
    assert facts_of(decoded("anthropic", anthropic), "anthropic").tool_names == ("Read", "web_search")
    assert facts_of(decoded("openai", openai), "openai").tool_names == ("get_weather",)
    assert facts_of(decoded("responses", responses), "responses").tool_names == ("shell", "apply_patch")
    for body, protocol in ((anthropic, "anthropic"), (openai, "openai"), (responses, "responses")):
        assert facts_of(decoded(protocol, {k: v for k, v in body.items() if k != "tools"}), protocol).tool_names == ()


def test_a_built_in_tool_without_a_name_is_named_by_its_kind_without_the_version_date():
    assert tool_names([Tool("", kind="web_search_20250305"), Tool("", kind="code_execution")]) == (
        "web_search", "code_execution"
    )


def test_a_claude_code_request():
    request_facts = facts_of(decoded("anthropic", CLAUDE_CODE_BODY), "anthropic")
    assert request_facts.model == "claude-sonnet-4-5-20250929" and request_facts.client_protocol == "anthropic"
    assert request_facts.thinking and not request_facts.background
    assert request_facts.tool_names == tuple(tool["name"] for tool in CLAUDE_CODE_BODY["tools"])
    assert "WebSearch" in request_facts.tool_names
    assert request_facts.input_tokens == estimate_input_tokens(CLAUDE_CODE_BODY) > 10_000
    background = dict(CLAUDE_CODE_BODY, model="claude-3-5-haiku-20241022")
    assert facts_of(decoded("anthropic", background), "anthropic").background


def test_facts_from_the_model_alone_keep_the_defaults_for_the_rest():
    assert facts_from_model("gpt-5", "openai") == RequestFacts("gpt-5", "openai")


# the token estimate -----------------------------------------------------------------------


def test_the_estimate_is_the_anthropic_one_for_an_anthropic_request():
    body = {
        "model": "m", "max_tokens": 5, "system": "Be brief.",
        "messages": [
            {"role": "user", "content": "héllo wörld"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": [1, 2]}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "ok"},
                {"type": "image", "source": {"type": "url", "url": "http://x/i.png"}},
            ]},
        ],
        "tools": [{"name": "f", "description": "d", "input_schema": {"type": "object"}}],
    }
    assert estimate_tokens(decoded("anthropic", body)) == estimate_input_tokens(body)


def test_the_estimate_survives_deep_nesting():
    arguments: dict = {}
    for _ in range(5000):
        arguments = {"a": arguments}
    result = ToolResult("t", [Text("inner")])
    for _ in range(5000):
        result = ToolResult("t", [result])
    request = Request("m", [Turn("assistant", [ToolCall("t", "f", arguments)]), Turn("user", [result])])
    assert estimate_tokens(request) > 5000


TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
BLOCKS = st.recursive(
    st.builds(Text, TEXT) | st.builds(Thinking, TEXT) | st.builds(Image, st.just("url"), url=TEXT)
    | st.builds(ToolCall, TEXT, TEXT, st.dictionaries(TEXT, JSON_VALUES, max_size=3)),
    lambda inner: st.builds(ToolResult, TEXT, st.lists(inner, max_size=3)),
    max_leaves=6,
)
REQUESTS = st.builds(
    Request,
    model=TEXT,
    turns=st.lists(st.builds(Turn, st.sampled_from(["user", "assistant", "system"]), st.lists(BLOCKS, max_size=4)), max_size=4),
    system=st.lists(st.builds(Text, TEXT), max_size=2),
    tools=st.lists(st.builds(Tool, TEXT, st.none() | TEXT, st.none() | st.dictionaries(TEXT, JSON_VALUES, max_size=3)), max_size=3),
)


@settings(max_examples=80)
@given(REQUESTS, TEXT, st.integers(0, 1000))
def test_the_estimate_never_raises_is_at_least_16_and_grows_with_text(request, appended, where):
    before = estimate_tokens(request)
    assert before >= 16
    grown = copy.deepcopy(request)
    texts = [*grown.system, *(block for turn in grown.turns for block in turn.blocks if isinstance(block, Text))]
    if texts:
        texts[where % len(texts)].text += appended
    else:
        grown.system.append(Text(appended))
    assert estimate_tokens(grown) >= before


# properties of choosing and globs ---------------------------------------------------------

NAME = st.text("ab-*", max_size=4)
MATCHES = st.builds(
    Match,
    models=st.lists(NAME, max_size=2).map(tuple),
    client_protocols=st.frozensets(st.sampled_from(sorted(PROTOCOLS)), max_size=2),
    thinking=st.none() | st.booleans(),
    input_tokens_above=st.none() | st.integers(0, 100),
    tools=st.lists(NAME, max_size=2).map(tuple),
    has_tools=st.none() | st.booleans(),
    background=st.none() | st.booleans(),
)
FACTS = st.builds(
    RequestFacts,
    model=st.none() | NAME,
    client_protocol=st.sampled_from(sorted(PROTOCOLS)),
    thinking=st.booleans(),
    input_tokens=st.integers(0, 120),
    tool_names=st.lists(NAME, max_size=2).map(tuple),
    background=st.booleans(),
)


@settings(max_examples=150)
@given(st.lists(MATCHES, min_size=1, max_size=5), FACTS, st.booleans())
def test_choose_is_the_first_rule_that_holds(matches, request_facts, catch_all_last):
    if catch_all_last:
        matches = [*matches, Match()]
    table = table_of(*matches)
    chosen = table.choose(request_facts)
    holding = [rule for rule in table.rules if rule.match.holds(request_facts)]
    assert chosen == (holding[0] if holding else None)
    if catch_all_last:
        assert chosen is not None


PLAIN = st.text(st.characters(exclude_characters="*?["), max_size=8)


@settings(max_examples=150)
@given(PLAIN, PLAIN, st.randoms(use_true_random=False))
def test_a_pattern_without_glob_characters_matches_only_itself_ignoring_case(pattern, other, random):
    assert not has_glob(pattern)
    assert glob_matches(pattern, other) is (pattern.lower() == other.lower())
    recased = "".join(c.upper() if random.random() < 0.5 else c.lower() for c in pattern)
    assert glob_matches(pattern, recased) is (recased.lower() == pattern.lower())
    assert glob_matches(pattern, pattern)


def test_glob_characters_are_found():
    assert all(has_glob(p) for p in ("a*", "?", "[ab]")) and not has_glob(string.ascii_letters + "-._]")
