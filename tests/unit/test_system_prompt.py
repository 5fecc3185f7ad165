"""The configured system prompt in each upstream protocol's body, every mode and shape."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyrouter_core.system_prompt import MODES, UnexpectedBody, with_system_prompt

P = "Answer in French."
CACHE = {"type": "ephemeral"}
CACHE_1H = {"type": "ephemeral", "ttl": "1h"}
USER = {"role": "user", "content": "hi"}


def anthropic(**extra) -> dict:
    return {"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": [USER], **extra}


def openai(*messages: dict) -> dict:
    return {"model": "gpt-4o", "messages": [*messages, USER]}


def block(text: str, **extra) -> dict:
    return {"type": "text", "text": text, **extra}


# Anthropic ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_anthropic_without_system_gets_the_prompt_in_every_mode(mode):
    assert with_system_prompt("anthropic", anthropic(), P, mode) == anthropic(system=P)
    assert with_system_prompt("anthropic", anthropic(system=None), P, mode) == anthropic(system=P)
    assert with_system_prompt("anthropic", anthropic(system=[]), P, mode) == anthropic(system=[block(P)])


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("replace-first", P),
        ("replace-all", P),
        ("prepend", [block(P), block("Be brief.")]),
        ("append", [block("Be brief."), block(P)]),
    ],
)
def test_anthropic_string_system(mode, expected):
    assert with_system_prompt("anthropic", anthropic(system="Be brief."), P, mode) == anthropic(system=expected)


@pytest.mark.parametrize("mode", MODES)
def test_anthropic_empty_string_system_becomes_the_prompt(mode):
    assert with_system_prompt("anthropic", anthropic(system=""), P, mode)["system"] == P


CLAUDE_CODE_SYSTEM = [
    block("x-anthropic-billing-header: cc_version=2"),
    block("You are Claude Code.", cache_control=CACHE),
    block("Project instructions.", cache_control=CACHE_1H),
    block("Environment."),
]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        # The first block's other keys stay (here none; see the cached case below).
        ("replace-first", [block(P), *CLAUDE_CODE_SYSTEM[1:]]),
        # One block, carrying the last cache_control any original block had.
        ("replace-all", [block(P, cache_control=CACHE_1H)]),
        ("prepend", [block(P), *CLAUDE_CODE_SYSTEM]),
        ("append", [*CLAUDE_CODE_SYSTEM, block(P)]),
    ],
)
def test_anthropic_block_system(mode, expected):
    body = anthropic(system=copy.deepcopy(CLAUDE_CODE_SYSTEM))
    assert with_system_prompt("anthropic", body, P, mode) == anthropic(system=expected)


def test_anthropic_replace_first_keeps_the_first_blocks_cache_control_and_other_keys():
    body = anthropic(system=[block("old", cache_control=CACHE, citations=None), block("second")])
    assert with_system_prompt("anthropic", body, P, "replace-first")["system"] == [
        block(P, cache_control=CACHE, citations=None),
        block("second"),
    ]


def test_anthropic_replace_all_without_any_cache_control_gives_a_plain_block():
    body = anthropic(system=[block("a"), block("b")])
    assert with_system_prompt("anthropic", body, P, "replace-all")["system"] == [block(P)]


@pytest.mark.parametrize(
    "system",
    [
        42,
        {"type": "text", "text": "a dict, not a list"},
        [block("ok"), {"type": "image", "source": {}}],
        [block("ok"), "plain string in the list"],
        [{"type": "text", "text": None}],
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_anthropic_unexpected_system_raises(system, mode):
    with pytest.raises(UnexpectedBody):
        with_system_prompt("anthropic", anthropic(system=system), P, mode)


def test_anthropic_messages_with_role_system_are_left_alone():
    body = anthropic(system="s")
    body["messages"] = [{"role": "system", "content": "inner"}, USER]
    assert with_system_prompt("anthropic", body, P, "replace-all")["messages"] == body["messages"]


# OpenAI ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_openai_without_system_gets_a_system_message_first(mode):
    assert with_system_prompt("openai", openai(), P, mode) == openai({"role": "system", "content": P})


SYSTEM = {"role": "system", "content": "Be brief."}
DEVELOPER = {"role": "developer", "content": [block("Use tools."), block("Cite sources.", cache_control=CACHE)]}


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("replace-first", [{"role": "system", "content": P}, DEVELOPER]),
        ("replace-all", [{"role": "system", "content": [block(P, cache_control=CACHE)]}]),
        ("prepend", [{"role": "system", "content": P}, SYSTEM, DEVELOPER]),
        ("append", [SYSTEM, DEVELOPER, {"role": "system", "content": P}]),
    ],
)
def test_openai_with_system_messages(mode, expected):
    assert with_system_prompt("openai", openai(SYSTEM, DEVELOPER), P, mode) == openai(*expected)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("replace-first", [{"role": "developer", "content": [block(P), block("Cite sources.", cache_control=CACHE)]}]),
        ("replace-all", [{"role": "developer", "content": [block(P, cache_control=CACHE)]}]),
        ("prepend", [{"role": "developer", "content": P}, DEVELOPER]),
        ("append", [DEVELOPER, {"role": "developer", "content": P}]),
    ],
)
def test_openai_developer_message_with_text_parts_keeps_its_role(mode, expected):
    assert with_system_prompt("openai", openai(DEVELOPER), P, mode) == openai(*expected)


def test_openai_replace_first_keeps_the_first_parts_other_keys_and_the_messages_name():
    message = {"role": "system", "name": "ops", "content": [block("old", cache_control=CACHE)]}
    assert with_system_prompt("openai", openai(message), P, "replace-first")["messages"][0] == {
        "role": "system", "name": "ops", "content": [block(P, cache_control=CACHE)],
    }


def test_openai_replace_first_on_empty_parts_sets_a_string():
    message = {"role": "system", "content": []}
    assert with_system_prompt("openai", openai(message), P, "replace-first")["messages"][0] == {
        "role": "system", "content": P,
    }


def test_openai_system_messages_later_in_the_conversation_belong_to_it():
    later = {"role": "system", "content": "reminder in the middle"}
    body = {"model": "m", "messages": [SYSTEM, USER, later, USER]}
    assert with_system_prompt("openai", body, P, "replace-all")["messages"] == [
        {"role": "system", "content": P}, USER, later, USER,
    ]
    assert with_system_prompt("openai", body, P, "append")["messages"] == [
        SYSTEM, {"role": "system", "content": P}, USER, later, USER,
    ]
    body = {"model": "m", "messages": [USER, later]}
    assert with_system_prompt("openai", body, P, "replace-first")["messages"] == [
        {"role": "system", "content": P}, USER, later,
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"model": "m"},
        {"model": "m", "messages": "hi"},
        openai({"role": "system", "content": None}),
        openai({"role": "system", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}),
        openai({"role": "system", "content": 7}),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_openai_unexpected_bodies_raise(body, mode):
    with pytest.raises(UnexpectedBody):
        with_system_prompt("openai", body, P, mode)


def test_unknown_mode_or_protocol():
    with pytest.raises(ValueError, match="unknown system prompt mode 'replace'"):
        with_system_prompt("openai", openai(), P, "replace")
    with pytest.raises(ValueError, match="unknown protocol"):
        with_system_prompt("klingon", openai(), P)


# properties --------------------------------------------------------------------------------

texts = st.text(max_size=12)
cache_controls = st.none() | st.just(CACHE) | st.just(CACHE_1H)
blocks = st.builds(
    lambda text, cc: block(text, **({"cache_control": cc} if cc else {})), texts, cache_controls
)
anthropic_systems = st.none() | texts | st.lists(blocks, max_size=4)
openai_contents = texts | st.lists(blocks, max_size=3)
openai_messages = st.lists(
    st.builds(lambda role, content: {"role": role, "content": content},
              st.sampled_from(["system", "developer", "user", "assistant"]), openai_contents),
    max_size=5,
)


@given(anthropic_systems, st.sampled_from(MODES), texts)
def test_anthropic_property_input_untouched_prompt_present_other_fields_kept(system, mode, prompt):
    body = anthropic() if system is None else anthropic(system=system)
    before = copy.deepcopy(body)
    result = with_system_prompt("anthropic", body, prompt, mode)
    assert body == before
    assert {k: v for k, v in result.items() if k != "system"} == {k: v for k, v in body.items() if k != "system"}
    new = result["system"]
    texts_after = [new] if isinstance(new, str) else [b["text"] for b in new]
    assert prompt in texts_after
    if isinstance(system, list) and system and mode in ("prepend", "append"):
        assert len(new) == len(system) + 1
        assert [b for b in new if b.get("cache_control")] == [b for b in system if b.get("cache_control")]


@given(openai_messages, st.sampled_from(MODES), texts)
def test_openai_property_conversation_after_the_system_run_is_untouched(messages, mode, prompt):
    body = {"model": "m", "messages": messages}
    before = copy.deepcopy(body)
    result = with_system_prompt("openai", body, prompt, mode)
    assert body == before

    def conversation(msgs):
        i = 0
        while i < len(msgs) and msgs[i]["role"] in ("system", "developer"):
            i += 1
        return msgs[i:]

    assert conversation(result["messages"]) == conversation(messages)
    first = result["messages"][0]
    assert first["role"] in ("system", "developer")
