"""Header rules: both file forms, every rule kind, matching, comments, errors with line numbers."""

from __future__ import annotations

import json
import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness import ROOT
from anyrouter_core.header_rules import (
    CREDENTIAL_HEADERS,
    HeaderRule,
    HeaderRuleError,
    apply_header_rules,
    parse_header_rules,
)

BASE = [
    ("Host", "upstream.test"),
    ("User-Agent", "client/1.0"),
    ("x-api-key", "sk-…0001"),
    ("X-Tag", "one"),
    ("x-tag", "two"),
    ("Accept", "*/*"),
]
ANY_ROUTE = {"openai-chat"}


def run(text: str, fields=BASE, routes=ANY_ROUTE, path="/v1/messages") -> list[tuple[str, str]]:
    return apply_header_rules(parse_header_rules(text), fields, routes, path)


def error_of(text: str) -> HeaderRuleError:
    with pytest.raises(HeaderRuleError) as caught:
        parse_header_rules(text)
    return caught.value


# the flat form ----------------------------------------------------------------------------


def test_flat_json_sets_every_entry_and_skips_comments():
    text = json.dumps({"__note": "from the old tool", "user-agent": "my-tool/2", "X-New": "n"})
    assert run(text) == [
        ("Host", "upstream.test"),
        ("user-agent", "my-tool/2"),
        ("x-api-key", "sk-…0001"),
        ("X-Tag", "one"),
        ("x-tag", "two"),
        ("Accept", "*/*"),
        ("X-New", "n"),
    ]


def test_flat_yaml_is_the_same_as_flat_json():
    assert parse_header_rules("User-Agent: my-tool/2\n__c: x\n") == parse_header_rules(
        '{"User-Agent": "my-tool/2", "__c": "x"}'
    )


@pytest.mark.parametrize("text", ["", "# only a comment\n", "{}", '{"__note": "nothing yet"}', "rules:\n", '{"rules": []}'])
def test_empty_files_have_no_rules(text):
    assert parse_header_rules(text) == ()


# rule kinds --------------------------------------------------------------------------------


def test_set_replaces_every_header_of_the_name_case_insensitively_in_place_of_the_first():
    assert run('{"rules": [{"set": {"X-TAG": "only"}}]}') == [
        ("Host", "upstream.test"),
        ("User-Agent", "client/1.0"),
        ("x-api-key", "sk-…0001"),
        ("X-TAG", "only"),
        ("Accept", "*/*"),
    ]


def test_add_appends_and_keeps_what_is_there():
    assert run("rules:\n  - add: {x-tag: three}\n") == [*BASE, ("x-tag", "three")]


def test_remove_deletes_every_header_of_the_name():
    assert run("rules:\n  - remove: [X-TAG, accept, Not-There]\n") == BASE[:3]


def test_remove_may_be_a_single_name():
    assert run("rules:\n  - remove: user-agent\n") == [f for f in BASE if f[0] != "User-Agent"]


def test_within_a_rule_remove_then_set_then_add_and_rules_run_in_order():
    text = """
rules:
  - remove: [x-tag]
    set: {x-tag: set}
    add: {x-tag: added}
  - set: {User-Agent: second}
    __why: the second rule sees the first one's result
  - add: {X-Seen: yes}
"""
    assert run(text) == [
        ("Host", "upstream.test"),
        ("User-Agent", "second"),
        ("x-api-key", "sk-…0001"),
        ("Accept", "*/*"),
        ("x-tag", "set"),
        ("x-tag", "added"),
        ("X-Seen", "yes"),
    ]


def test_comments_anywhere():
    text = json.dumps(
        {
            "__top": "comment",
            "rules": [
                {
                    "__rule": "comment",
                    "match": {"__m": "comment", "route": "openai-chat"},
                    "set": {"__s": "comment", "X-A": "a"},
                    "add": {"__a": "comment", "X-B": "b"},
                }
            ],
        }
    )
    assert run(text, fields=[]) == [("X-A", "a"), ("X-B", "b")]


# matching ----------------------------------------------------------------------------------

MATCHING = """
rules:
  - match: {route: anthropic-messages}
    add: {X-Route: messages}
  - match: {route: [openai->anthropic, passthrough]}
    add: {X-Route: translated-or-passthrough}
  - match: {path: "^/v1/models"}
    add: {X-Path: models}
  - match: {route: anthropic-messages, path: "beta=true"}
    add: {X-Both: yes}
"""


@pytest.mark.parametrize(
    ("routes", "path", "expected"),
    [
        ({"anthropic-messages"}, "/v1/messages", [("X-Route", "messages")]),
        ({"anthropic-messages"}, "/v1/messages?beta=true", [("X-Route", "messages"), ("X-Both", "yes")]),
        ({"openai-chat", "openai→anthropic"}, "/v1/messages?beta=true", [("X-Route", "translated-or-passthrough")]),
        ({"openai-chat"}, "/v1/chat/completions", []),
        ({"passthrough"}, "/v1/models/claude", [("X-Route", "translated-or-passthrough"), ("X-Path", "models")]),
        ({"anthropic-count-tokens"}, "/x/v1/models", []),
    ],
)
def test_match_on_route_path_or_both(routes, path, expected):
    assert run(MATCHING, fields=[], routes=routes, path=path) == expected


def test_route_names_are_normalised():
    (rule,) = parse_header_rules("rules:\n  - match: {route: ' Anthropic->OpenAI '}\n    add: {a: b}\n")
    assert rule.routes == frozenset({"anthropic→openai"})


# values ------------------------------------------------------------------------------------


def test_values_keep_exactly_what_the_file_says():
    text = 'X-Version: "1.10"\nX-Id: "007"\nX-Empty: ""\nX-Utf8: "héllo"\n'
    (rule,) = parse_header_rules(text)
    assert rule.set == (("X-Version", "1.10"), ("X-Id", "007"), ("X-Empty", ""), ("X-Utf8", "héllo"))


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("A: b\nX-Count: 3\n", 2, "is a number"),
        ("X-Version: 1.10\n", 1, "is a number"),
        ('{\n  "X-On": true\n}', 2, "is a boolean"),
        ("X-Null:\n", 1, "is null"),
        ("anthropic-version: 2023-06-01\n", 1, "is a date"),
        ("rules:\n  - set:\n      X-List: [a, b]\n", 3, "is a list"),
    ],
)
def test_non_string_values_are_errors_asking_to_quote(text, line, what):
    error = error_of(text)
    assert error.line == line
    assert what in error.message and "quote it" in error.message


# errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{\n  "User-Agent": "a",\n  "Authorization": "Bearer x"\n}', 3,
         "'Authorization' is a credential header, owned by key handling: use upstream_keys"),
        ("rules:\n  - set: {a: b}\n  - remove: [X-Trace, x-api-key]\n", 3,
         "'x-api-key' is a credential header, owned by key handling: use upstream_keys"),
        ("rules:\n  - add:\n      Connection: close\n", 3, "'Connection' is a hop-by-hop header, which is never forwarded"),
        ("Proxy-Authorization: x\n", 1, "'Proxy-Authorization' is a hop-by-hop header"),
        ("rules:\n- remove: content-length\n", 2, "'content-length' frames the body, which mitmproxy does itself"),
        ("Bad Name: x\n", 1, "'Bad Name' is not a valid header name"),
        ('{"X-A": "one\\r\\nX-Injected: two"}', 1, "contains CR, LF or NUL"),
        ("X-A: a\nx-a: b\n", 2, "'x-a' is named twice (also as 'X-A')"),
        ("- a\n- b\n", 1, "the file must hold a mapping"),
        ('"just text"', 1, "the file must hold a mapping"),
        ("rules:\n  - set: {a: b}\nX-Other: x\n", 3, "unexpected key 'X-Other' beside 'rules'"),
        ("rules: {a: b}\n", 1, "'rules' must be a list of rules"),
        ("rules:\n  - set: {a: b}\n  - just text\n", 3, "rule 2 must be a mapping"),
        ("rules:\n  - set: {a: b}\n    sett: {c: d}\n", 3, "unknown key 'sett' in a rule"),
        ("rules:\n  - match: {route: openai-chat}\n", 2, "rule 1 changes nothing"),
        ("rules:\n  - match:\n      route: opneai-chat\n    set: {a: b}\n", 3, "unknown route 'opneai-chat'"),
        ("rules:\n  - match:\n      route: [openai-chat,\n        health]\n    set: {a: b}\n", 4, "unknown route 'health'"),
        ("rules:\n  - match:\n      methods: POST\n    set: {a: b}\n", 3, "unknown key 'methods' in match"),
        ("rules:\n  - match:\n      path: '(unclosed'\n    set: {a: b}\n", 3, "'path' is not a valid regular expression"),
        ("rules:\n  - match:\n      path: 5\n    set: {a: b}\n", 3, "'path' must be a regular expression"),
        ("rules:\n  - set: [a, b]\n", 2, "'set' must map header names to values"),
        ("rules:\n  - remove: {a: b}\n", 2, "'remove' must be a header name or a list"),
        ("rules:\n  - match: anything\n    set: {a: b}\n", 2, "'match' must be a mapping"),
    ],
)
def test_errors_name_the_line(text, line, message):
    error = error_of(text)
    assert message in error.message
    assert error.line == line
    assert str(error) == f"line {line}: {error.message}"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{\n  "User-Agent": "a",\n  "X-B": "b",,\n}', 3),  # JSON syntax
        ('{\n  "User-Agent": "a"\n  "X-B": "b"\n}', 3),  # a missing comma
        ('{\n  "A": "a",\n  "A": "b"\n}', 3),  # duplicate key
        ("rules:\n  - set:\n      a: b\n     c: d\n", 4),  # YAML indentation
        ("rules:\n  - set: {a: [b\n", 3),  # unclosed
        ('A: "x\x01"\n', 1),  # a control character
    ],
)
def test_syntax_errors_name_the_line(text, line):
    error = error_of(text)
    assert error.message.startswith("not valid JSON or YAML: ")
    assert error.line == line


def test_the_readme_examples_parse():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Header rules", 1)[1].split("\n## ", 1)[0]
    examples = re.findall(r"```(?:json|yaml)\n(.*?)```", section, re.S)
    assert len(examples) == 2
    flat, structured = (parse_header_rules(text) for text in examples)
    assert flat == (HeaderRule(line=1, set=(("User-Agent", "my-tool/1.0"),)),)
    assert [(r.routes, r.path and r.path.pattern) for r in structured] == [
        (frozenset(), None),
        (frozenset({"openai→anthropic"}), None),
        (frozenset({"anthropic-messages", "passthrough"}), "^/v1/messages"),
    ]


def test_a_rule_object_refuses_credential_headers_too():
    with pytest.raises(ValueError, match="use upstream_keys"):
        HeaderRule(set=(("Authorization", "Bearer x"),))


# properties --------------------------------------------------------------------------------

header_names = st.one_of(
    st.sampled_from(["Authorization", "authorization", "X-API-KEY", "x-api-key", "User-Agent", "X-Tag", "Accept"]),
    st.text(string.ascii_letters + "-", min_size=1, max_size=12),
)
values = st.text(string.ascii_letters + string.digits + " /.;=", max_size=16)
header_lists = st.lists(st.tuples(header_names, values), max_size=10)
rule_specs = st.fixed_dictionaries(
    {},
    optional={
        "set": st.dictionaries(header_names, values, max_size=3),
        "add": st.dictionaries(header_names, values, max_size=3),
        "remove": st.lists(header_names, max_size=3),
    },
).filter(lambda spec: any(spec.values()))


@given(st.lists(rule_specs, max_size=4), header_lists)
def test_rules_never_touch_credential_headers(specs, fields):
    """Whatever a rule file says, parsing refuses it or the credential headers come out as they went in."""
    try:
        rules = parse_header_rules(json.dumps({"rules": specs}))
    except HeaderRuleError:
        return
    result = apply_header_rules(rules, fields, {"passthrough"}, "/")
    credentials = [pair for pair in fields if pair[0].lower() in CREDENTIAL_HEADERS]
    assert [pair for pair in result if pair[0].lower() in CREDENTIAL_HEADERS] == credentials


@given(st.dictionaries(header_names, values, max_size=4), header_lists)
def test_after_set_exactly_one_header_of_each_name_holds_its_value(setting, fields):
    try:
        rules = parse_header_rules(json.dumps(setting))
    except HeaderRuleError:
        return
    result = apply_header_rules(rules, fields, {"passthrough"}, "/")
    for name, value in setting.items():
        assert [v for n, v in result if n.lower() == name.lower()] == [value]
    untouched = {name.lower() for name in setting}
    assert [p for p in result if p[0].lower() not in untouched] == [p for p in fields if p[0].lower() not in untouched]
