"""Routes files: the example of the issue parsed field by field, every error on its line with
what to fix, and generated tables that come back as they were written."""

from __future__ import annotations

import errno
import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anyrouter_core.header_rules import HeaderRule
from anyrouter_core.protocols import PROTOCOLS
from anyrouter_core.routing import (
    REVERSE_TARGET,
    Match,
    RoutesFileError,
    RoutingRule,
    Target,
    parse_routes,
)
from anyrouter_core.system_prompt import MODES

EXAMPLE = """\
upstreams:
  relay:  {url: "https://anyrouter.top", protocol: anthropic}
  local:  {url: "http://127.0.0.1:8080", protocol: openai, keys: "sk-local"}
  backup: {url: "https://api.example.com", protocol: openai, keys: "@backup-keys.txt"}
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

FILES = {
    "backup-keys.txt": "# the backup account\nsk-backup-0001\nsk-backup-0002  # second\n\nsk-backup-0001\n",
    "prompt.txt": "Answer briefly.\n\n",
    "rules.yaml": "rules:\n  - set: {User-Agent: from-file/1}\n",
    "bad-rules.yaml": "rules:\n  - set: {x-api-key: nope}\n",
    "empty.txt": "\n\n",
}


def read_text(path: str) -> str:
    if path not in FILES:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
    return FILES[path]


def parse(text: str):
    return parse_routes(text, read_text)


def error_of(text: str) -> RoutesFileError:
    with pytest.raises(RoutesFileError) as caught:
        parse(text)
    return caught.value


UPSTREAMS = """\
upstreams:
  relay: {url: "https://anyrouter.top", protocol: anthropic}
  local: {url: "http://127.0.0.1:8080", protocol: openai}
"""


def with_routes(routes: str) -> str:
    return UPSTREAMS + "routes:\n" + routes


def with_upstream(entry: str) -> str:
    return f"upstreams:\n  one: {entry}\nroutes:\n  - to: one\n"


# the example ------------------------------------------------------------------------------


def test_the_example_parses_with_every_field():
    table = parse(EXAMPLE)
    assert list(table.upstreams) == ["relay", "local", "backup"]
    relay, local, backup = table.upstreams.values()
    assert (relay.name, relay.url, relay.scheme, relay.host, relay.port, relay.path_prefix, relay.protocol) == (
        "relay", "https://anyrouter.top", "https", "anyrouter.top", 443, "", "anthropic"
    )
    assert (relay.keys, relay.header_rules, relay.system_prompt, relay.system_prompt_mode, relay.timeout) == (
        (), (), "", None, None
    )
    assert relay.line == 2
    assert (local.scheme, local.host, local.port, local.protocol, local.keys, local.line) == (
        "http", "127.0.0.1", 8080, "openai", ("sk-local",), 3
    )
    assert (backup.host, backup.port, backup.protocol, backup.line) == ("api.example.com", 443, "openai", 4)
    assert backup.keys == ("sk-backup-0001", "sk-backup-0002")  # comments skipped, repeats kept once
    assert table.rules == (
        RoutingRule("#1", Match(models=("claude-*haiku*",)), (Target("local", "smollm2"),), line=6),
        RoutingRule("#2", Match(thinking=True), (Target("relay"), Target("backup")), line=9),
        RoutingRule("#3", Match(models=("gpt-*",)), (Target("backup"),), line=11),
        RoutingRule("#4", Match(), (Target("relay"), Target("backup")), line=13),
    )
    assert table.needs_body_facts
    assert table.listed_models(["claude-sonnet-4-5"]) == ["claude-sonnet-4-5"]


def test_the_example_as_json_is_the_same_table():
    document = {
        "upstreams": {
            "relay": {"url": "https://anyrouter.top", "protocol": "anthropic"},
            "local": {"url": "http://127.0.0.1:8080", "protocol": "openai", "keys": "sk-local"},
            "backup": {"url": "https://api.example.com", "protocol": "openai", "keys": "@backup-keys.txt"},
        },
        "routes": [
            {"match": {"model": "claude-*haiku*"}, "to": "local", "model": "smollm2"},
            {"match": {"thinking": True}, "to": ["relay", "backup"]},
            {"match": {"model": "gpt-*"}, "to": "backup"},
            {"to": ["relay", "backup"]},
        ],
    }
    from_json, from_yaml = parse(json.dumps(document)), parse(EXAMPLE)
    assert from_json.rules == tuple(
        RoutingRule(rule.name, rule.match, rule.targets, line=1) for rule in from_yaml.rules
    )
    assert [u.keys for u in from_json.upstreams.values()] == [u.keys for u in from_yaml.upstreams.values()]


def test_a_full_upstream_entry():
    table = parse(
        "upstreams:\n"
        "  full:\n"
        "    url: https://gw.example.com:8443/llm/v2/\n"
        "    protocol: ' Responses '\n"
        "    keys: [k-one-0001, k-two-0002, k-one-0001]\n"
        "    headers: {User-Agent: my-tool/1, __why: the gateway wants it}\n"
        "    system_prompt: |\n"
        "      Be brief.\n"
        "    system_prompt_mode: append\n"
        "    timeout: 600\n"
        "    __note: a comment\n"
        "routes:\n"
        "  - to: full\n"
    )
    full = table.upstreams["full"]
    assert (full.scheme, full.host, full.port, full.path_prefix, full.protocol) == (
        "https", "gw.example.com", 8443, "/llm/v2", "responses"
    )
    assert full.keys == ("k-one-0001", "k-two-0002")
    assert full.header_rules == (HeaderRule(line=6, set=(("User-Agent", "my-tool/1"),)),)
    assert (full.system_prompt, full.system_prompt_mode, full.timeout) == ("Be brief.", "append", 600)


def test_keys_never_show_in_the_repr():
    assert "sk-local" not in repr(parse(EXAMPLE).upstreams["local"])


def test_files_named_by_at_are_read_with_the_given_reader():
    table = parse(with_upstream(
        '{url: "http://h", protocol: openai, headers: "@rules.yaml", system_prompt: "@prompt.txt"}'
    ))
    one = table.upstreams["one"]
    assert one.header_rules == (HeaderRule(line=2, set=(("User-Agent", "from-file/1"),)),)
    assert one.system_prompt == "Answer briefly."  # the trailing line breaks stripped


def test_structured_inline_headers_report_lines_of_the_routes_file():
    table = parse(
        "upstreams:\n"
        "  one:\n"
        "    url: http://h\n"
        "    protocol: openai\n"
        "    headers:\n"
        "      rules:\n"
        "        - match: {route: passthrough}\n"
        "          remove: X-Debug\n"
        "routes:\n"
        "  - to: one\n"
    )
    (rule,) = table.upstreams["one"].header_rules
    assert (rule.line, rule.routes, rule.remove) == (7, frozenset({"passthrough"}), ("X-Debug",))


def test_names_targets_renames_and_the_reverse_target():
    table = parse(with_routes(
        "  - name: small\n"
        "    match: {model: [claude-3-5-haiku, 'claude-*-haiku-*'], client: [Anthropic, openai]}\n"
        "    to: [{upstream: local, model: qwen}, relay, {upstream: default}]\n"
        "    model: smol\n"
        "  - match: {tool: [web_search, 'mcp__*'], tools: true, input_tokens_above: 0, background: false}\n"
        "    to: default\n"
        "  - __comment: every other request\n"
        "    to: relay\n"
    ))
    small, second, last = table.rules
    assert small.name == "small"
    assert small.match == Match(models=("claude-3-5-haiku", "claude-*-haiku-*"), client_protocols=frozenset({"anthropic", "openai"}))
    assert small.targets == (Target("local", "qwen"), Target("relay", "smol"), Target(REVERSE_TARGET, "smol"))
    assert second.match == Match(tools=("web_search", "mcp__*"), has_tools=True, input_tokens_above=0, background=False)
    assert (second.name, second.targets) == ("#2", (Target(REVERSE_TARGET),))
    assert REVERSE_TARGET not in table.upstreams and table.upstream_of(second.targets[0]) is None
    assert last.match.is_catch_all and table.upstream_of(last.targets[0]).name == "relay"


def test_a_declared_upstream_called_default_is_that_one():
    table = parse('upstreams:\n  default: {url: "http://h:1", protocol: openai}\nroutes:\n  - to: default\n')
    assert table.upstream_of(table.rules[0].targets[0]).host == "h"


def test_nulls_are_left_out_keys():
    table = parse(with_routes("  - match:\n    to: relay\n    model:\n"))
    assert table.rules[0] == RoutingRule("#1", Match(), (Target("relay"),), line=5)


# errors -----------------------------------------------------------------------------------

ERRORS = [
    # (file text, line, words the message must hold)
    ("upstreams: {a: [}\n", 1, "not valid JSON or YAML"),
    ("upstreams:\n  relay: {url: x\nroutes: []\n", 3, "not valid JSON or YAML"),
    ("", 1, "the routes file is empty: it needs `upstreams`"),
    ("# only a comment\n", 1, "the routes file is empty"),
    ("- a\n- b\n", 1, "a routes file holds a mapping with `upstreams` and `routes`, not a list"),
    (UPSTREAMS + "rules: []\n", 4, "unknown key 'rules' in a routes file (allowed: upstreams, routes)"),
    ("routes:\n  - to: x\n", 1, "the routes file needs `upstreams`"),
    ("upstreams: {}\nroutes:\n  - to: default\n", 1, "`upstreams` declares none"),
    ("upstreams: [a]\nroutes: []\n", 1, "`upstreams` must be a mapping of names to upstreams, not a list"),
    (UPSTREAMS, 1, "the routes file needs `routes`"),
    (UPSTREAMS + "routes: {to: relay}\n", 4, "`routes` must be a list of routes, not a mapping"),
    (UPSTREAMS + "routes: []\n", 4, "`routes` is empty: give at least one route"),
    # upstreams
    (with_upstream('{url: "http://h", protocol: klingon}'), 2,
     f"unknown protocol 'klingon' for upstream 'one' (known: {', '.join(PROTOCOLS)})"),
    (with_upstream('{url: "http://h"}'), 2, "upstream 'one' needs 'protocol'"),
    (with_upstream("{protocol: openai}"), 2, "upstream 'one' needs 'url'"),
    (with_upstream("https://h"), 2, "upstream 'one' must be a mapping with url and protocol, not a string"),
    (with_upstream('{url: "ftp://h", protocol: openai}'), 2, "must start with http:// or https://"),
    (with_upstream('{url: "h.example.com", protocol: openai}'), 2, "must start with http:// or https://"),
    (with_upstream('{url: "http://", protocol: openai}'), 2, "the url of upstream 'one' names no host"),
    (with_upstream('{url: "http://h:99999", protocol: openai}'), 2, "is not a valid URL: Port out of range"),
    (with_upstream('{url: "http://h/?a=1", protocol: openai}'), 2, "holds a query ('?')"),
    (with_upstream('{url: "http://h/#x", protocol: openai}'), 2, "holds a fragment ('#')"),
    (with_upstream('{url: "https://sk-secret@h", protocol: openai}'), 2, "put keys in `keys`, not in the URL"),
    (with_upstream('{url: "https://user:pw@h", protocol: openai}'), 2, "put keys in `keys`, not in the URL"),
    (with_upstream('{url: "http://h x", protocol: openai}'), 2, "holds a space"),
    (with_upstream("{url: 8080, protocol: openai}"), 2, "the url of upstream 'one' must be a string, not a number: quote it"),
    (with_upstream('{url: "http://h", protocol: openai, key: k}'), 2,
     "unknown key 'key' in upstream 'one' (allowed: url, protocol, keys, headers, system_prompt, "
     "system_prompt_mode, timeout)"),
    (with_upstream('{url: "http://h", protocol: openai, keys: 12345}'), 2, "not a number: quote it"),
    (with_upstream('{url: "http://h", protocol: openai, keys: ""}'), 2, "is given no keys: leave `keys` out"),
    (with_upstream('{url: "http://h", protocol: openai, keys: "# none"}'), 2, "is given no keys: leave `keys` out"),
    (with_upstream('{url: "http://h", protocol: openai, keys: "@empty.txt"}'), 2, "is given no keys"),
    (with_upstream('{url: "http://h", protocol: openai, keys: "@missing.txt"}'), 2,
     "the keys of upstream 'one': cannot read missing.txt: No such file or directory"),
    (with_upstream('{url: "http://h", protocol: openai, keys: "@"}'), 2, "give a file name after '@'"),
    (with_upstream('{url: "http://h", protocol: openai, keys: ["k1", 2]}'), 2, "key 2 of upstream 'one' must be a string"),
    (with_upstream('{url: "http://h", protocol: openai, keys: ["k1,k2"]}'), 2, "is not one key"),
    (with_upstream('{url: "http://h", protocol: openai, keys: "sk-caf\u00e9-0000000"}'), 2, "contains U+00E9"),
    (with_upstream('{url: "http://h", protocol: openai, headers: {x-api-key: k}}'), 2,
     "the headers of upstream 'one': 'x-api-key' is a credential header"),
    (with_upstream('{url: "http://h", protocol: openai, headers: "@bad-rules.yaml"}'), 2,
     "the headers of upstream 'one': bad-rules.yaml line 2: 'x-api-key' is a credential header"),
    (with_upstream('{url: "http://h", protocol: openai, headers: "@nowhere.yaml"}'), 2,
     "cannot read nowhere.yaml: No such file or directory"),
    (with_upstream('{url: "http://h", protocol: openai, headers: [a]}'), 2,
     "must be header rules (a mapping) or '@file', not a list"),
    (with_upstream('{url: "http://h", protocol: openai, system_prompt: ""}'), 2, "the system_prompt of upstream 'one' is empty"),
    (with_upstream('{url: "http://h", protocol: openai, system_prompt: "@empty.txt"}'), 2, "empty.txt is empty"),
    (with_upstream('{url: "http://h", protocol: openai, system_prompt_mode: after}'), 2,
     f"unknown system_prompt_mode 'after' for upstream 'one' (allowed: {', '.join(MODES)})"),
    (with_upstream('{url: "http://h", protocol: openai, timeout: 0}'), 2, "must be at least 1, not 0"),
    (with_upstream('{url: "http://h", protocol: openai, timeout: 1.5}'), 2, "must be a whole number, not a number"),
    (with_upstream('{url: "http://h", protocol: openai, timeout: "60"}'), 2, "must be a whole number, not a string"),
    ('upstreams:\n  "bad name": {url: "http://h", protocol: openai}\nroutes:\n  - to: x\n', 2,
     "upstream name 'bad name' may hold only letters, digits, '_', '.' and '-'"),
    ('upstreams:\n  1: {url: "http://h", protocol: openai}\nroutes:\n  - to: x\n', 2,
     "an upstream's name must be a string, not a number: quote it"),
    ('upstreams:\n  a: {url: "http://h", protocol: openai}\n  a: {url: "http://i", protocol: openai}\nroutes: []\n', 3,
     "not valid JSON or YAML"),
    # routes
    (with_routes("  - to: nowhere\n"), 5,
     "unknown upstream 'nowhere' (declared: relay, local; 'default' is the proxy's reverse target)"),
    (with_routes("  - to:\n      - relay\n      - {upstream: gone, model: m}\n"), 7, "unknown upstream 'gone'"),
    (with_routes("  - to: 42\n"), 5, "must be a string, not a number: quote it"),
    (with_routes("  - to: []\n"), 5, "`to` of route #1 is an empty list"),
    (with_routes("  - to: [relay, relay]\n"), 5, "route #1 names upstream 'relay' twice"),
    (with_routes("  - match: {model: x}\n"), 5, "route #1 needs `to`"),
    (with_routes("  - relay\n"), 5, "route #1 must be a mapping with `to`"),
    (with_routes("  - to: relay\n    via: local\n"), 6, "unknown key 'via' in route #1 (allowed: name, match, to, model)"),
    (with_routes("  - to: [{upstream: relay, rename: x}]\n"), 5,
     "unknown key 'rename' in a target of route #1 (allowed: upstream, model)"),
    (with_routes("  - to: [{model: x}]\n"), 5, "a target of route #1 needs 'upstream'"),
    (with_routes("  - to: relay\n    model: 4\n"), 6, "the model route #1 asks for must be a string, not a number: quote it"),
    (with_routes("  - to: relay\n    name: 7\n"), 6, "the name of route #1 must be a string, not a number: quote it"),
    (with_routes("  - {name: a, match: {model: x}, to: relay}\n  - {name: a, to: relay}\n"), 6,
     "route name 'a' is used twice (first on line 5)"),
    (with_routes("  - {match: {model: x}, to: relay}\n  - {name: '#1', to: relay}\n"), 6, "route name '#1' is used twice"),
    (with_routes("  - to: relay\n  - match: {model: x}\n    to: local\n"), 6,
     "unreachable: the route on line 5 matches every request"),
    (with_routes("  - match: {__only: a comment}\n    to: relay\n  - to: local\n"), 7, "unreachable: the route on line 5"),
    # match
    (with_routes("  - match: {modle: x}\n    to: relay\n"), 5,
     "unknown key 'modle' in the match of route #1 (allowed: model, client, thinking, input_tokens_above, tool, "
     "tools, background)"),
    (with_routes("  - match: [model]\n    to: relay\n"), 5, "the match of route #1 must be a mapping"),
    (with_routes("  - match: {model: 1.10}\n    to: relay\n"), 5, "a model pattern in the match of route #1 (one, or a list of them) must be a string, not a number: quote it"),
    (with_routes("  - match:\n      model: [a, 3]\n    to: relay\n"), 6, "must be a string, not a number: quote it"),
    (with_routes("  - match: {model: []}\n    to: relay\n"), 5, "is an empty list: give at least one, or leave it out"),
    (with_routes("  - match: {model: ''}\n    to: relay\n"), 5, "is empty"),
    (with_routes("  - match:\n      client: [openai, klingon]\n    to: relay\n"), 6,
     f"unknown client protocol 'klingon' in the match of route #1 (known: {', '.join(PROTOCOLS)})"),
    (with_routes("  - match: {thinking: yes}\n    to: relay\n"), 5, "`thinking` in the match of route #1 must be true or false, not a string ('yes')"),
    (with_routes("  - match: {tools: 1}\n    to: relay\n"), 5, "must be true or false, not a number"),
    (with_routes("  - match: {background: 'true'}\n    to: relay\n"), 5, "must be true or false, not a string"),
    (with_routes("  - match: {input_tokens_above: -1}\n    to: relay\n"), 5, "must be at least 0, not -1"),
    (with_routes("  - match: {input_tokens_above: '1000'}\n    to: relay\n"), 5, "must be a whole number, not a string"),
    (with_routes("  - match: {input_tokens_above: true}\n    to: relay\n"), 5, "must be a whole number, not a boolean"),
    (with_routes("  - match: {tool: {name: x}}\n    to: relay\n"), 5, "a tool name in the match of route #1 (one, or a list of them) must be a string, not a mapping"),
]


@pytest.mark.parametrize(("text", "line", "words"), ERRORS, ids=[f"{i}:{e[2][:40]}" for i, e in enumerate(ERRORS)])
def test_each_error_names_its_line_and_what_to_fix(text, line, words):
    error = error_of(text)
    assert words in error.message
    assert error.line == line, error.message
    assert str(error) == f"line {line}: {error.message}"
    assert isinstance(error, ValueError)


def test_a_key_in_a_message_is_shown_by_its_fingerprint_only():
    error = error_of(with_upstream('{url: "http://h", protocol: openai, keys: ["sk-secret-value-123,more"]}'))
    assert "secret" not in error.message and "…" in error.message


def test_an_os_error_without_strerror_still_names_the_path():
    def failing(path: str) -> str:
        raise PermissionError(f"denied {path}")

    with pytest.raises(RoutesFileError) as caught:
        parse_routes(with_upstream('{url: "http://h", protocol: openai, keys: "@keys.txt"}'), failing)
    assert "cannot read keys.txt" in caught.value.message and caught.value.line == 2


def test_an_error_in_a_block_mapping_points_at_the_value():
    error = error_of(
        "upstreams:\n"
        "  one:\n"
        "    url: http://h\n"
        "    protocol: openai\n"
        "    timeout: soon\n"
        "routes:\n"
        "  - to: one\n"
    )
    assert (error.line, error.message) == (5, "the timeout of upstream 'one' (seconds) must be a whole number, not a string")


# generated tables round-trip --------------------------------------------------------------

NAMES = st.text(string.ascii_letters + string.digits + "_.-", min_size=1, max_size=8).filter(
    lambda name: not name.startswith("__") and name != REVERSE_TARGET
)
MODELS = st.text(string.ascii_lowercase + string.digits + "-.*?", min_size=1, max_size=12)


@st.composite
def route_files(draw):
    """A routes file as a JSON-able document, and the table it must parse to (as plain data)."""
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    upstreams = {
        name: {
            "url": f"http{draw(st.sampled_from(['', 's']))}://{name.lower() or 'h'}.test:{draw(st.integers(1, 65535))}/p",
            "protocol": draw(st.sampled_from(sorted(PROTOCOLS))),
        }
        for name in names
    }
    routes = []
    for position in range(draw(st.integers(1, 5))):
        route: dict = {}
        match = draw(st.fixed_dictionaries({}, optional={
            "model": st.lists(MODELS, min_size=1, max_size=3),
            "client": st.lists(st.sampled_from(sorted(PROTOCOLS)), min_size=1, max_size=2),
            "thinking": st.booleans(),
            "input_tokens_above": st.integers(0, 10**6),
            "tool": st.lists(MODELS, min_size=1, max_size=2),
            "tools": st.booleans(),
            "background": st.booleans(),
        }))
        if match:
            route["match"] = match
        elif position < 4:
            route["match"] = {"thinking": True}  # only the last route may match everything
        targets = draw(st.lists(st.sampled_from([*names, REVERSE_TARGET]), min_size=1, max_size=3, unique=True))
        route["to"] = targets if len(targets) > 1 or draw(st.booleans()) else targets[0]
        if draw(st.booleans()):
            route["model"] = draw(MODELS)
        if draw(st.booleans()):
            route["name"] = f"route-{position}"
        routes.append(route)
        if "match" not in route:
            break
    return {"upstreams": upstreams, "routes": routes}


def plain(table) -> dict:
    """A table written back as the document it came from."""
    upstreams = {name: {"url": u.url, "protocol": u.protocol} for name, u in table.upstreams.items()}
    routes = []
    for rule in table.rules:
        match = rule.match
        fields = {
            "model": list(match.models), "client": sorted(match.client_protocols), "thinking": match.thinking,
            "input_tokens_above": match.input_tokens_above, "tool": list(match.tools), "tools": match.has_tools,
            "background": match.background,
        }
        routes.append({
            "name": rule.name,
            "match": {key: value for key, value in fields.items() if value not in (None, [])},
            "to": [(target.upstream, target.model) for target in rule.targets],
        })
    return {"upstreams": upstreams, "routes": routes}


def expected(document: dict) -> dict:
    routes = []
    for position, route in enumerate(document["routes"]):
        match = dict(route.get("match", {}))
        if "client" in match:
            match["client"] = sorted(set(match["client"]))
        targets = route["to"] if isinstance(route["to"], list) else [route["to"]]
        routes.append({
            "name": route.get("name", f"#{position + 1}"),
            "match": match,
            "to": [(target, route.get("model")) for target in targets],
        })
    return {"upstreams": document["upstreams"], "routes": routes}


@settings(max_examples=60)
@given(route_files())
def test_a_generated_table_parses_to_what_was_written(document):
    table = parse(json.dumps(document, indent=1))
    assert plain(table) == expected(document)
    for name, upstream in table.upstreams.items():
        assert (upstream.path_prefix, upstream.host) == ("/p", f"{name.lower()}.test")
