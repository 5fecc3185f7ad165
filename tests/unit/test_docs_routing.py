"""The routes files of the READMEs' Routing section parse, and choose what the text says.

Every yaml block of that section (README.md's `## Routing`, README.zh-CN.md's `## 路由`) is a
routes file: parsed with the project's parser, its `@file` values served by a placeholder
reader. Then each file is asked about the requests its text describes: the first example of
"Routes file" (the issue's own, kept verbatim), the every-key example by its comments, and the
routes files of the complete examples (found by their first line, `# NAME`), whose commands
and clients tests/e2e/test_docs.py runs. Requests are decoded by the client protocol's codec,
so `thinking`, `tools` and the token estimate are judged as the proxy judges them.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest

from anyrouter_core.model_catalog import DEFAULT_MODELS
from anyrouter_core.protocols import protocol_named
from anyrouter_core.routing import RoutingTable, Target, facts_from_model, facts_of, parse_routes
from unit.test_routes_file import EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
READMES = {"en": (ROOT / "README.md", "## Routing"), "zh": (ROOT / "README.zh-CN.md", "## 路由")}

# The example of the issue that asked for routing (#13), which the README quotes as it is.
ISSUE_EXAMPLE = EXAMPLE

PLACEHOLDER_KEY = "sk-placeholder-docs-0001"
PLACEHOLDER_PROMPT = "Answer briefly."


def routing_yaml(path: Path, heading: str) -> list[str]:
    """The yaml blocks of the section under `heading`, in order."""
    text = path.read_text()
    assert text.count(f"\n{heading}\n") == 1, heading
    section = text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks, body, fenced = [], [], None
    for line in section.split("\n"):
        if fenced is None and line.startswith("```"):
            fenced, body = line[3:].strip(), []
        elif fenced is not None and line == "```":
            if fenced == "yaml":
                blocks.append("\n".join(body) + "\n")
            fenced = None
        elif fenced is not None:
            body.append(line)
    return blocks


BLOCKS = {lang: routing_yaml(*where) for lang, where in READMES.items()}


class Placeholders:
    """Serves the files a routes file names: keys files one key, other text files a prompt."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def __call__(self, name: str) -> str:
        self.read.append(name)
        if name.endswith("keys.txt"):
            return f"{PLACEHOLDER_KEY}\n"
        if name.endswith(".txt"):
            return f"{PLACEHOLDER_PROMPT}\n"
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", name)


def parse(text: str) -> RoutingTable:
    return parse_routes(text, Placeholders())


def named(name: str) -> RoutingTable:
    [text] = [b for b in BLOCKS["en"] if b.startswith(f"# {name}\n")]
    return parse(text)


def request(client: str, model: str, **fields) -> dict:
    """A small body of `client`'s protocol asking `model` for an answer."""
    if client == "anthropic":
        return {"model": model, "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}], **fields}
    if client == "openai":
        return {"model": model, "messages": [{"role": "user", "content": "hi"}], **fields}
    return {"model": model, "input": "hi", **fields}


def chosen(table: RoutingTable, client: str, model: str, **fields) -> tuple[str, list[tuple[str, str | None]]]:
    """The name and the targets (upstream, model asked for) of the route `table` chooses."""
    decoded = protocol_named(client).codec.decode_request(request(client, model, **fields))
    rule = table.choose(facts_of(decoded, client))
    assert rule is not None, (client, model, fields)
    return rule.name, [(t.upstream, t.model) for t in rule.targets]


THINKING = {"thinking": {"type": "enabled", "budget_tokens": 1024}}


def function(name: str) -> dict:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": {}}}}


# ---- every routes file ------------------------------------------------------------------------


def test_the_sections_hold_the_same_routes_files():
    assert BLOCKS["en"] and BLOCKS["zh"] == BLOCKS["en"]


@pytest.mark.parametrize(("lang", "index"), [(lang, i) for lang, blocks in BLOCKS.items() for i in range(len(blocks))])
def test_every_routes_file_parses(lang, index):
    text = BLOCKS[lang][index]
    reader = Placeholders()
    table = parse_routes(text, reader)
    assert table.rules and table.upstreams
    # Each `@file` value (not those the comments mention) is read, and nothing else.
    values = [re.findall(r'"@([^"]+)"', line.split(" #", 1)[0]) for line in text.splitlines()]
    assert sorted(reader.read) == sorted(name for found in values for name in found)


def test_the_issue_example_is_quoted_as_it_is():
    for lang in READMES:
        assert BLOCKS[lang][0] == ISSUE_EXAMPLE


def test_every_other_routes_file_names_itself_on_its_first_line():
    names = [block.split("\n", 1)[0] for block in BLOCKS["en"][1:]]
    assert all(name.startswith("# ") and name.split(":")[0].endswith(".yaml") for name in names), names
    assert len(set(names)) == len(names)


# ---- what the text says of each ---------------------------------------------------------------


def test_the_first_example_chooses_as_the_text_says():
    table = parse(ISSUE_EXAMPLE)
    # "A request for claude-haiku-4-5-20251001 goes to local, which is asked for smollm2"
    rule = table.choose(facts_from_model("claude-haiku-4-5-20251001", "anthropic"))
    assert (rule.name, rule.targets) == ("#1", (Target("local", "smollm2"),))
    assert chosen(table, "anthropic", "claude-haiku-4-5-20251001") == ("#1", [("local", "smollm2")])
    # "one for claude-opus-4-6 with thinking goes to relay, or to backup if relay fails"
    assert chosen(table, "anthropic", "claude-opus-4-6", **THINKING) == ("#2", [("relay", None), ("backup", None)])
    # "gpt-4o goes to backup; anything else to relay, then backup"
    assert chosen(table, "openai", "gpt-4o") == ("#3", [("backup", None)])
    assert chosen(table, "anthropic", "claude-sonnet-4-6") == ("#4", [("relay", None), ("backup", None)])
    # "a gpt-4o request with reasoning_effort takes the thinking route, and a Haiku request
    # with thinking still goes to local"
    assert chosen(table, "openai", "gpt-4o", reasoning_effort="high")[0] == "#2"
    assert chosen(table, "anthropic", "claude-haiku-4-5-20251001", **THINKING)[0] == "#1"
    # The keys: local's inline, backup's from its file; relay passes the client's on.
    assert {name: u.keys for name, u in table.upstreams.items()} == {
        "relay": (), "local": ("sk-local",), "backup": (PLACEHOLDER_KEY,)}
    # Its routes name models by globs only: /v1/models is the `models` option's list.
    assert table.listed_models(DEFAULT_MODELS) == list(DEFAULT_MODELS)


def test_the_every_key_example_chooses_as_its_comments_say():
    table = named("routes.yaml: every key, each used once")
    local, big = table.upstreams["local"], table.upstreams["big"]
    assert local.keys == ("sk-local-0042",)
    assert [(r.set, r.add, r.remove) for r in local.header_rules] == [((("User-Agent", "my-tool/1.0"),), (), ())]
    assert (local.system_prompt, local.system_prompt_mode, local.timeout) == (PLACEHOLDER_PROMPT, "prepend", 600)
    assert (big.path_prefix, big.keys) == ("/v1", ("sk-big-0001", "sk-big-0002"))
    relay = table.upstreams["relay"]
    assert (relay.keys, relay.header_rules, relay.system_prompt, relay.timeout) == ((), (), "", None)

    # "Claude Code's Haiku calls", local "asked for" smollm2
    assert chosen(table, "anthropic", "claude-haiku-4-5-20251001") == ("background", [("local", "smollm2")])
    # "big, else relay for claude-sonnet-4-6": about 134,000 tokens by the estimate
    long_text = {"messages": [{"role": "user", "content": "x" * 400_000}]}
    assert chosen(table, "anthropic", "claude-opus-4-6", **long_text) == (
        "long", [("big", None), ("relay", "claude-sonnet-4-6")])
    assert chosen(table, "anthropic", "claude-opus-4-6", messages=[{"role": "user", "content": "x" * 290_000}])[0] != "long"
    # OpenAI and Responses clients offering tools without thinking go to relay
    assert chosen(table, "openai", "claude-sonnet-4-6", tools=[function("get_weather")]) == ("tools", [("relay", None)])
    responses_tool = [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}]
    assert chosen(table, "responses", "claude-sonnet-4-6", tools=responses_tool)[0] == "tools"
    # A GPT or o-series model offering a web search tool goes to big (here with thinking,
    # which the route before excludes)
    assert chosen(table, "openai", "gpt-4o", tools=[function("web_search")], reasoning_effort="low") == (
        "search", [("big", None)])
    assert chosen(table, "openai", "o3", tools=[function("web_search_preview")], reasoning_effort="low")[0] == "search"
    # "every other request, to the reverse target"
    assert chosen(table, "anthropic", "claude-sonnet-4-6") == ("#5", [("default", None)])
    assert chosen(table, "openai", "gpt-4o", tools=[function("get_weather")], reasoning_effort="low")[0] == "#5"
    assert table.upstream_of(Target("default")) is None


def test_the_claude_code_example_sends_background_calls_to_local():
    table = named("claude-code.yaml")
    assert chosen(table, "anthropic", "claude-haiku-4-5-20251001") == ("background", [("local", "smollm2")])
    assert chosen(table, "anthropic", "claude-sonnet-4-6") == ("main", [("relay", None)])
    # An upstream with keys never gets the client's: local has its own, relay none.
    assert (table.upstreams["local"].keys, table.upstreams["relay"].keys) == (("sk-local-0042",), ())
    assert table.upstreams["local"].protocol == "openai"


def test_the_by_model_example_chooses_by_model_name():
    table = named("by-model.yaml")
    assert chosen(table, "openai", "claude-sonnet-4-6") == ("claude", [("anthropic", None)])
    assert chosen(table, "openai", "gpt-4o") == ("gpt", [("openai", None)])
    assert chosen(table, "openai", "o3")[0] == "gpt"
    # "A model no route matches gets a 404"
    assert table.choose(facts_from_model("llama-3", "openai")) is None
    # "the routes name models by globs only, so the list is the `models` option"
    assert table.listed_models(["claude-sonnet-4-6", "gpt-4o"]) == ["claude-sonnet-4-6", "gpt-4o"]
    assert {u.protocol for u in table.upstreams.values()} == {"anthropic", "openai"}
    assert table.upstreams["openai"].path_prefix == "/v1"


def test_the_fallback_example_falls_back_to_another_protocol():
    table = named("fallback.yaml")
    assert chosen(table, "anthropic", "claude-sonnet-4-6") == (
        "sonnet", [("relay", None), ("backup", "anthropic/claude-sonnet-4.6")])
    assert chosen(table, "anthropic", "claude-opus-4-6") == ("others", [("relay", None), ("backup", None)])
    relay, backup = table.upstreams["relay"], table.upstreams["backup"]
    assert (relay.protocol, backup.protocol) == ("anthropic", "openai")
    # "may take five minutes to answer"
    assert (relay.timeout, backup.timeout) == (None, 300)
    assert backup.keys == (PLACEHOLDER_KEY,)
