"""Every code block of README.md and README.zh-CN.md is exercised, so the docs cannot rot.

The scheme. A block that nothing here claims fails `test_every_block_is_claimed_once`, so a
new snippet forces a decision: give it a check here, or map it to the test that runs it.

- Blocks are fenced at the start of a line with one of the languages in `LANGUAGES`. An
  indented code block, an indented fence or another language fails.
- Both READMEs hold the same blocks in the same order; the Chinese one is exercised through
  the English one.
- `python`: a client recipe. Run in this process with `http://localhost:8088` replaced by a
  test proxy's URL, once in front of an Anthropic upstream and once in front of an OpenAI one
  (aimock behind the recording relay, answering the `docs …` prompts from
  tests/fixtures/aimock/docs.json). Every line it prints must be aimock's answer, and the
  upstream must have been asked on its own protocol's path, with the recipe's key.
- `yaml`, and `json` without an `env` key: a header-rule file, parsed by the project's parser.
- `json` with an `env` key: Claude Code's settings.json; Claude Code is run with it (below).
- `json` with a `security` key: Gemini CLI's settings.json; Gemini CLI is run with it and the
  recipe's command block, in front of an Anthropic and an OpenAI upstream.
- `sh`: every command line names a program that exists (a repository script, mitmdump or
  mitmweb from .venv, claude or qwen from the npm peers), repository paths that exist,
  variables the script reads, and `--set name=value` options that mitmproxy or the addon chain
  knows, with values they accept. Each block is claimed by its exact text in `SHELL_BLOCKS`:
  run here by the named test of this module, or by an existing test elsewhere.
- `text`: output, or settings typed into a GUI; claimed by its first line in `TEXT_BLOCKS`
  and checked against the real thing.
- The Routing section is claimed by its `###` headings instead (`ROUTING_SECTIONS`): every
  block under one heading belongs to one test. The routes files of "Routes file" are parsed,
  and their choices checked, by tests/unit/test_docs_routing.py; each complete example (a
  routes file whose first line is `# NAME`, the `scripts/serve --set routes=NAME` line, the
  client, the log it produces) is run by its test here, with the example's routes file and
  its addresses moved to loopback peers.

The options table (both languages) is checked against every option the addon chain declares,
with its default.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anthropic
import openai
import pytest
from mitmproxy import exceptions
from mitmproxy.addons import default_addons
from mitmproxy.addons.dumper import Dumper
from mitmproxy.test import taddons
from mitmproxy.tools.web.webaddons import WebAddon

from unit.pairs import anthropic_stream_from_message
from anyrouter_core.header_rules import parse_header_rules
from anyrouter_core.model_catalog import DEFAULT_MODELS
from anyrouter_core.stream_view import render, view_stream
from harness import ADDON, LOOPBACK, PEERS_BIN, ROOT, VENV_BIN, Process, clean_env, free_port, http_get, status_is_200
from recording_relay import RecordingRelay

READMES = {"en": ROOT / "README.md", "zh": ROOT / "README.zh-CN.md"}
LANGUAGES = ("python", "json", "yaml", "toml", "sh", "text")
DOCS_URL = "http://localhost:8088"
FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "aimock" / "docs.json").read_text())
[DOCS_FIXTURE] = FIXTURE["fixtures"]
MARKER = DOCS_FIXTURE["match"]["userMessage"]
ANSWER = DOCS_FIXTURE["response"]["content"]
UPSTREAM_PATHS = {"anthropic": "/v1/messages", "openai": "/v1/chat/completions"}
CLIENT_ENV_PREFIXES = ("ANTHROPIC_", "OPENAI_", "CLAUDE_", "QWEN_", "GEMINI_", "GOOGLE_")
GEMINI_API = "https://generativelanguage.googleapis.com"


# ---- reading the READMEs ----------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    file: str
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    section: str = ""  # the `##` heading above it
    subsection: str = ""  # the `###` heading above it, in that section

    @property
    def id(self) -> str:
        return f"{self.lang}-line{self.line}"


def read_blocks(path: Path) -> list[Block]:
    blocks, lines = [], path.read_text().split("\n")
    opened: tuple[int, str] | None = None
    body: list[str] = []
    section = subsection = ""
    for number, line in enumerate(lines, start=1):
        if opened is None:
            if line.startswith("```"):
                opened, body = (number, line[3:].strip()), []
            elif line.startswith("## "):
                section, subsection = line[3:].strip(), ""
            elif line.startswith("### "):
                subsection = line[4:].strip()
        elif line == "```":
            blocks.append(Block(path.name, opened[0], opened[1], "\n".join(body) + "\n", section, subsection))
            opened = None
        else:
            body.append(line)
    assert opened is None, f"{path.name}:{opened[0]}: a fence that is never closed"
    return blocks


def unfenced_code(path: Path) -> list[str]:
    """Where code hides from `read_blocks`: indented code blocks and fences, `~~~` fences."""
    found, fenced, previous = [], False, ""
    for number, line in enumerate(path.read_text().split("\n"), start=1):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            if re.match(r"\s+(```|~~~)|~~~", line):
                found.append(f"{path.name}:{number}: a fence not at the start of the line, or ~~~")
            elif re.match(r"( {4}|\t)", line) and not previous.strip():
                found.append(f"{path.name}:{number}: an indented code block (fence it instead)")
        previous = line
    return found


BLOCKS = {lang: read_blocks(path) if path.exists() else [] for lang, path in READMES.items()}
EN = BLOCKS["en"]
ROUTING = "Routing"  # the section claimed by its subsections (ROUTING_SECTIONS)
OUTSIDE_ROUTING = [b for b in EN if b.section != ROUTING]


def blocks_of(lang: str) -> list[Block]:
    return [b for b in EN if b.lang == lang]


def only_block(predicate: Callable[[Block], bool], what: str) -> Block:
    """The one block outside the Routing section that `predicate` picks."""
    found = [b for b in OUTSIDE_ROUTING if predicate(b)]
    assert len(found) == 1, f"expected one {what} block in README.md, found {len(found)}"
    return found[0]


def recipe_calls(block: Block) -> list[tuple[str, dict[str, object]]]:
    """Each call in a python recipe: the called name and its constant keyword arguments."""
    calls = []
    for node in ast.walk(ast.parse(block.text)):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            calls.append((name, {k.arg: ast.literal_eval(k.value) for k in node.keywords
                                 if k.arg and isinstance(k.value, ast.Constant)}))
    return calls


def sdk_recipe(sdk: str) -> dict[str, object]:
    """base_url, api_key and model of the OpenAI or Anthropic SDK recipe."""
    block = only_block(lambda b: b.lang == "python" and f"from {sdk.lower()} import {sdk}" in b.text, sdk)
    calls = recipe_calls(block)
    [client] = [kwargs for name, kwargs in calls if name == sdk]
    models = {kwargs["model"] for _, kwargs in calls if "model" in kwargs}
    assert len(models) == 1, models
    return {**client, "model": models.pop()}


def claude_settings() -> dict:
    block = only_block(lambda b: b.lang == "json" and "env" in json.loads(b.text), "Claude Code settings.json")
    return json.loads(block.text)


def entry_addons() -> list:
    spec = importlib.util.spec_from_file_location("anyrouter_docs_entry", ADDON)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.addons


# ---- the claims ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunHere:
    """Run by this module's test of that name."""
    test: str


@dataclass(frozen=True)
class RunBy:
    """Run by existing tests elsewhere: a module under tests/ and test functions in it."""
    module: str
    tests: tuple[str, ...]


SHELL_BLOCKS: dict[str, RunHere | RunBy] = {
    "scripts/serve\n": RunBy("e2e/test_scripts.py", ("test_serve_saves_flows_with_keys_redacted_by_default",)),
    "scripts/test\n": RunHere("test_scripts_test_is_what_ci_runs"),
    "scripts/serve http://127.0.0.1:8080 --set upstream_protocol=openai\n": RunBy(
        "e2e/test_scripts.py", ("test_serve_starts_the_proxy_in_front_of_the_given_upstream",)),
    "mitmdump -s addons/anyrouter.py --mode reverse:https://anyrouter.top@127.0.0.1:8088 --set connection_strategy=lazy\n":
        RunHere("test_plain_mitmdump_command"),
    "scripts/demo\n": RunBy("e2e/test_demo.py", ("test_demo_shows_three_answers_and_saves_keyless_flows",)),
    'claude -p "Say hello to the docs readers."\n': RunHere("test_claude_code_recipe"),
    "export OPENAI_BASE_URL=http://localhost:8088/v1\n"
    "export OPENAI_API_KEY=sk-your-key\n"
    "export OPENAI_MODEL=claude-sonnet-4-6\n"
    'qwen --auth-type openai -p "Say hello to the docs readers."\n': RunHere("test_qwen_code_recipe"),
    "export ANYROUTER_API_KEY=sk-your-key\n"
    'codex exec --skip-git-repo-check "Say hello to the docs readers."\n': RunHere("test_codex_recipe"),
    "export GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8088\n"
    "export GEMINI_API_KEY=sk-your-key\n"
    'gemini --skip-trust -m claude-sonnet-4-6 -p "Say hello to the docs readers."\n': RunHere("test_gemini_cli_recipe"),
    f"scripts/serve {GEMINI_API} --set upstream_protocol=gemini\n": RunHere("test_claude_code_on_gemini_recipe"),
    "export ANTHROPIC_BASE_URL=http://localhost:8088\n"
    "export ANTHROPIC_API_KEY=your-gemini-key\n"
    "export ANTHROPIC_MODEL=gemini-2.5-pro\n"
    'claude -p "Say hello to the docs readers."\n': RunHere("test_claude_code_on_gemini_recipe"),
    "scripts/inspect [UPSTREAM_URL] [mitmweb arguments …]   # live, like scripts/serve, in mitmweb\n"
    "scripts/inspect FLOWFILE [mitmweb arguments …]         # a saved flow file, nothing proxied\n": RunBy(
        "e2e/test_inspect.py", ("test_live_flows_are_listed_and_event_streams_rendered_by_the_event_stream_view",
                                "test_inspect_opens_a_saved_flow_file_without_proxying")),
    "ANYROUTER_SAVE_FLOWS=0 scripts/serve\n": RunBy(
        "e2e/test_scripts.py", ("test_serve_starts_the_proxy_in_front_of_the_given_upstream",)),
    "scripts/record-flows [--only aimock_openai_to_anthropic …]\n": RunHere("test_record_flows_synopsis"),
    "curl -s 'http://localhost:8088/stats/usage?since=2026-12-01T00:00:00Z&format=csv' -o usage.csv\n"
    "curl -s 'http://localhost:8088/stats/usage?since=1764547200&until=1764633600'\n": RunBy(
        "e2e/test_usage_log.py", ("test_the_readmes_export_commands",)),
}
# Programs of the system a README command may name, besides the repository's and the peers'.
SYSTEM_PROGRAMS = ("curl",)

# First line of a text block → this module's test that checks it.
TEXT_BLOCKS = {
    "openai→anthropic POST ": "test_log_line_sample",
    "anyrouter inspect: ": "test_inspect_url_sample",
    "# event 1: message_start": "test_event_stream_sample",
    "Provider Type:": "test_cherry_studio_settings",
}

# A `###` heading of the Routing section → what checks every block under it.
ROUTING_SECTIONS: dict[str, RunHere | RunBy] = {
    "Routes file": RunBy("unit/test_docs_routing.py", (
        "test_every_routes_file_parses", "test_the_first_example_chooses_as_the_text_says",
        "test_the_every_key_example_chooses_as_its_comments_say")),
    "Example: Claude Code, background calls to a local model": RunHere("test_routing_example_claude_code"),
    "Example: one OpenAI client, Claude and GPT models": RunHere("test_routing_example_by_model"),
    "Example: a fallback in another protocol": RunHere("test_routing_example_fallback"),
}


def claims(block: Block) -> list[str]:
    if block.section == ROUTING:
        claim = ROUTING_SECTIONS.get(block.subsection)
        return [f"ROUTING_SECTIONS: {claim}"] if claim else []
    found = []
    if block.lang == "python":
        found.append("test_python_recipe")
    settings_keys = set(json.loads(block.text)) & {"env", "security"} if block.lang == "json" else set()
    if block.lang == "yaml" or (block.lang == "json" and not settings_keys):
        found.append("test_header_rule_file")
    if settings_keys == {"env"}:
        found.append("test_claude_code_recipe")
    if settings_keys == {"security"}:
        found.append("test_gemini_cli_recipe")
    if block.lang == "toml":
        found.append("test_codex_recipe")
    if block.lang == "sh" and block.text in SHELL_BLOCKS:
        found.append(f"SHELL_BLOCKS: {SHELL_BLOCKS[block.text]}")
    if block.lang == "text":
        found += [test for first, test in TEXT_BLOCKS.items() if block.text.startswith(first)]
    return found


# ---- the blocks themselves ------------------------------------------------------------------


def test_readmes_link_each_other():
    assert "中文说明: [README.zh-CN.md](README.zh-CN.md)" in READMES["en"].read_text()
    assert "English: [README.md](README.md)" in READMES["zh"].read_text()


@pytest.mark.parametrize("lang", READMES)
def test_all_code_is_in_fenced_blocks_of_known_languages(lang):
    assert unfenced_code(READMES[lang]) == []
    assert [b.id for b in BLOCKS[lang] if b.lang not in LANGUAGES] == []


def test_both_readmes_hold_the_same_blocks():
    assert [(b.lang, b.text) for b in BLOCKS["zh"]] == [(b.lang, b.text) for b in EN]


def outline(path: Path) -> tuple[list[str], set[str]]:
    """Heading levels in order, and every inline code span, outside the fenced blocks."""
    text = re.sub(r"^```.*?^```$", "", path.read_text(), flags=re.S | re.M)
    levels = re.findall(r"^(#+) ", text, re.M)
    return levels, set(re.findall(r"`([^`\n]+)`", text))


def test_both_readmes_have_the_same_sections_and_inline_code():
    """A change to README.md that README.zh-CN.md does not follow shows here (in part)."""
    (en_levels, en_code), (zh_levels, zh_code) = outline(READMES["en"]), outline(READMES["zh"])
    assert zh_levels == en_levels
    assert (en_code - zh_code, zh_code - en_code) == (set(), set())


@pytest.mark.parametrize("block", EN, ids=lambda b: b.id)
def test_every_block_is_claimed_once(block):
    assert len(claims(block)) == 1, (
        f"README.md:{block.line} ({block.lang}) is claimed by {claims(block) or 'nothing'}; "
        f"give it one check in tests/e2e/test_docs.py:\n{block.text}")


def test_every_claim_is_used_and_names_a_test():
    """No stale entries: each claim matches a block, and names a test that exists."""
    texts = {b.text for b in blocks_of("sh")}
    assert [text for text in SHELL_BLOCKS if text not in texts] == []
    firsts = [first for first in TEXT_BLOCKS if not any(b.text.startswith(first) for b in blocks_of("text"))]
    assert firsts == []
    for claim in SHELL_BLOCKS.values():
        if isinstance(claim, RunHere):
            assert callable(globals().get(claim.test)), claim
        else:
            source = (ROOT / "tests" / claim.module).read_text()
            defined = {n.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)}
            assert set(claim.tests) <= defined, claim
    for test in TEXT_BLOCKS.values():
        assert callable(globals().get(test)), test
    routing = {b.subsection for b in EN if b.section == ROUTING}
    assert [heading for heading in ROUTING_SECTIONS if heading not in routing] == []
    for claim in ROUTING_SECTIONS.values():
        if isinstance(claim, RunHere):
            assert callable(globals().get(claim.test)), claim
        else:
            source = (ROOT / "tests" / claim.module).read_text()
            defined = {n.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)}
            assert set(claim.tests) <= defined, claim


# ---- python: client recipes -----------------------------------------------------------------


@pytest.fixture(params=["anthropic", "openai"])
def docs_proxy(request, start_proxy, relay):
    """The proxy in front of aimock (behind the recording relay), for each upstream protocol."""
    return request.param, start_proxy(relay.url, upstream_protocol=request.param)


def upstream_key_header(protocol: str, key: str) -> tuple[str, str]:
    return ("x-api-key", key) if protocol == "anthropic" else ("authorization", f"Bearer {key}")


@pytest.mark.parametrize("block", [b for b in OUTSIDE_ROUTING if b.lang == "python"], ids=lambda b: b.id)
def test_python_recipe(block, docs_proxy, relay, capsys):
    protocol, proxy = docs_proxy
    assert DOCS_URL in block.text and MARKER in block.text
    [key] = [kwargs["api_key"] for _, kwargs in recipe_calls(block) if "api_key" in kwargs]
    before = len(relay.requests)
    exec(compile(block.text.replace(DOCS_URL, proxy.url), f"README.md:{block.line}", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed and all(line == ANSWER for line in printed), printed

    asked = relay.requests[before:]
    assert asked
    for request in asked:
        assert request.path.split("?")[0] == UPSTREAM_PATHS[protocol]
        assert MARKER.encode() in request.raw_body
        name, value = upstream_key_header(protocol, key)
        assert request.headers[name] == value


# ---- json / yaml: header rules and Claude Code ------------------------------------------------


@pytest.mark.parametrize(
    "block", [b for b in EN if "test_header_rule_file" in claims(b)], ids=lambda b: b.id)
def test_header_rule_file(block):
    assert parse_header_rules(block.text)


@pytest.fixture(scope="module")
def client_relay(start_proxy, relay):
    """What a client sent the proxy: a recording relay in front of each docs proxy."""
    relays = {p: RecordingRelay(start_proxy(relay.url, upstream_protocol=p).port) for p in UPSTREAM_PATHS}
    yield relays
    for recorder in relays.values():
        recorder.stop()


def client_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in clean_env(**extra).items() if not k.startswith(CLIENT_ENV_PREFIXES) or k in extra}
    env["PATH"] = f"{PEERS_BIN}:{VENV_BIN}:{env.get('PATH', '')}"
    return env


@pytest.mark.parametrize("protocol", UPSTREAM_PATHS)
def test_claude_code_recipe(protocol, client_relay, relay, tmp_path):
    """The settings.json block, then the claude command block: Claude Code sends the token as
    `Authorization: Bearer`, and the upstream gets it in its own protocol's header."""
    settings = claude_settings()
    env = settings["env"]
    assert env["ANTHROPIC_BASE_URL"] == DOCS_URL == sdk_recipe("Anthropic")["base_url"]
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.json").write_text(
        json.dumps(settings).replace(DOCS_URL, client_relay[protocol].url))
    [command] = [text for text, claim in SHELL_BLOCKS.items() if claim == RunHere("test_claude_code_recipe")]
    argv = shlex.split(command)
    assert argv[0] == "claude"
    seen, before = len(client_relay[protocol].requests), len(relay.requests)
    result = subprocess.run(
        [str(PEERS_BIN / "claude"), *argv[1:]], stdin=subprocess.DEVNULL, capture_output=True, text=True,
        env=client_env(HOME=str(tmp_path), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1"), cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert result.stdout.strip() == ANSWER

    token = env["ANTHROPIC_AUTH_TOKEN"]
    [sent] = [r for r in client_relay[protocol].requests[seen:] if r.method == "POST"]
    assert sent.headers["authorization"] == f"Bearer {token}" and "x-api-key" not in sent.headers
    [asked] = relay.requests[before:]
    assert asked.path.split("?")[0] == UPSTREAM_PATHS[protocol]
    assert asked.body["model"] == env["ANTHROPIC_MODEL"]
    name, value = upstream_key_header(protocol, token)
    assert asked.headers[name] == value


# ---- sh: commands -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def option_manager():
    """mitmproxy's options as mitmdump and mitmweb have them, plus the addon chain's."""
    with taddons.context(*default_addons(), Dumper(), WebAddon(), *entry_addons(), loadcore=False) as tctx:
        yield tctx.options


def command_lines(text: str) -> list[list[str]]:
    lines = []
    for line in text.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words:
            lines.append(words)
    return lines


def strip_brackets(words: list[str]) -> list[str]:
    """A synopsis's optional parts (`[--only NAME …]`) are checked like given words."""
    return [word for word in (w.strip("[]") for w in words) if word and word != "…"]


@pytest.mark.parametrize("block", blocks_of("sh"), ids=lambda b: b.id)
def test_shell_lines_name_programs_options_and_paths_that_exist(block, option_manager):
    for words in command_lines(block.text):
        if words[0] == "export":
            assert re.fullmatch(r"[A-Z_]+=\S+", words[1]), words
            continue
        assignments = []
        while re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            assignments.append(words.pop(0).split("=")[0])
        program, *args = strip_brackets(words)
        if "/" in program:
            assert os.access(ROOT / program, os.X_OK), f"{program} is not an executable of the repository"
            script = (ROOT / program).read_text()
            assert [v for v in assignments if v not in script] == [], f"{program} reads none of {assignments}"
        else:
            assert not assignments, words
            assert (VENV_BIN / program).exists() or (PEERS_BIN / program).exists() or (
                program in SYSTEM_PROGRAMS and shutil.which(program)), program
        for word in args:
            if re.match(r"(addons|scripts|tests)/", word):
                assert (ROOT / word).exists(), word
        for flag, value in zip(args, args[1:]):
            if flag == "--set" and value.startswith("routes="):
                # A routes file of the README, which the example's own test serves; here,
                # whose keys would be refused on the option manager's open listener.
                routes_file(value.split("=", 1)[1])
                continue
            if flag == "--set":
                try:
                    option_manager.set(value)
                except exceptions.OptionsError as exc:
                    pytest.fail(f"{block.file}:{block.line}: --set {value}: {exc}")


def run_here(test: str) -> str:
    [text] = run_here_all(test)
    return text


def run_here_all(test: str) -> list[str]:
    """The shell blocks `test` runs, in README order."""
    texts = [text for text, claim in SHELL_BLOCKS.items() if claim == RunHere(test)]
    assert texts and all(text in {b.text for b in blocks_of("sh")} for text in texts), (
        f"{test}: a block of it is no longer in README.md")
    return [b.text for b in blocks_of("sh") if b.text in texts]


def test_scripts_test_is_what_ci_runs():
    """`scripts/test` is the command that runs this very suite: CI runs it and nothing else."""
    assert run_here("test_scripts_test_is_what_ci_runs").strip() == "scripts/test"
    assert "exec scripts/test" in (ROOT / ".ci" / "run").read_text()
    assert "-m pytest" in (ROOT / "scripts" / "test").read_text()


def test_plain_mitmdump_command(aimock, log_dir):
    command = run_here("test_plain_mitmdump_command")
    port = free_port()
    argv = shlex.split(command.replace("https://anyrouter.top", aimock.url).replace("127.0.0.1:8088", f"{LOOPBACK}:{port}"))
    process = Process("README mitmdump", [str(VENV_BIN / argv[0]), *argv[1:]], log_dir / f"docs-mitmdump-{port}.log")
    try:
        process.wait_until(status_is_200(port, "/health"))
        health = json.loads(http_get(LOOPBACK, port, "/health")[1])
        assert (health["upstream"], health["upstream_protocol"], health["status"]) == (aimock.url, "anthropic", "ok")
    finally:
        process.stop()


def test_record_flows_synopsis():
    words = strip_brackets(shlex.split(run_here("test_record_flows_synopsis")))
    result = subprocess.run(
        [str(ROOT / words[0]), "--help"], capture_output=True, text=True, env=clean_env(), cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    choices = re.search(r"--only \{([^}]*)\}", result.stdout)
    assert choices, result.stdout
    assert words[1] == "--only" and words[2] in choices.group(1).split(",")


def test_qwen_code_recipe(openai_to_anthropic_proxy, relay, tmp_path):
    """The Qwen Code block as a shell script, against the proxy translating to Anthropic."""
    script = run_here("test_qwen_code_recipe").replace(DOCS_URL, openai_to_anthropic_proxy.url)
    before = len(relay.requests)
    result = subprocess.run(
        ["bash", "-euc", script], stdin=subprocess.DEVNULL, capture_output=True, text=True,
        env=client_env(HOME=str(tmp_path)), cwd=tmp_path, timeout=180,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert result.stdout.strip() == ANSWER
    asked = [r for r in relay.requests[before:] if MARKER.encode() in r.raw_body]
    assert asked and all(r.path == UPSTREAM_PATHS["anthropic"] for r in asked)
    assert asked[0].body["model"] == re.search(r"OPENAI_MODEL=(\S+)", script).group(1)


@pytest.mark.parametrize("protocol", UPSTREAM_PATHS)
def test_codex_recipe(protocol, start_proxy, relay, tmp_path):
    """The config.toml block as CODEX_HOME's config, then the codex command block, in front of
    each upstream protocol: Codex's Responses requests reach the upstream in its protocol."""
    [config] = [b.text for b in EN if b.lang == "toml"]
    assert 'base_url = "http://localhost:8088/v1"' in config
    proxy = start_proxy(relay.url, upstream_protocol=protocol)
    home = tmp_path / "codex-home"
    home.mkdir()
    (home / "config.toml").write_text(config.replace(DOCS_URL, proxy.url))
    script = run_here("test_codex_recipe")
    before = len(relay.requests)
    result = subprocess.run(
        ["bash", "-euc", script], stdin=subprocess.DEVNULL, capture_output=True, text=True,
        env=client_env(HOME=str(tmp_path), CODEX_HOME=str(home)), cwd=tmp_path, timeout=180,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert result.stdout.strip() == ANSWER
    asked = [r for r in relay.requests[before:] if MARKER.encode() in r.raw_body]
    assert asked and all(r.path == UPSTREAM_PATHS[protocol] for r in asked)
    assert all(r.body["model"] == re.search(r'^model = "([^"]+)"', config, re.M).group(1) for r in asked)


# ---- text: samples of output and of GUI settings ---------------------------------------------------


def text_block(test: str) -> Block:
    [first] = [first for first, name in TEXT_BLOCKS.items() if name == test]
    return only_block(lambda b: b.lang == "text" and b.text.startswith(first), first)


# A log line's token counts: fresh input / cache read / cache write / output, `-` when not
# reported, `~` before an estimate.
TOKENS_FIELD = re.compile(r" tokens=~?(?:\d+|-)(?:/(?:\d+|-)){3} ")


def with_any_token_counts(sample: str, pattern: str) -> str:
    """`pattern` (the escaped `sample`) taking any counts in the sample's `tokens=` field: the
    samples show a real relay's answers, the test upstreams report other counts (aimock no
    cache counts, llama.cpp its prompt cache's). The field must be there all the same."""
    found = TOKENS_FIELD.search(sample)
    assert found, f"no tokens= field in the sample: {sample}"
    return pattern.replace(re.escape(found.group(0)), TOKENS_FIELD.pattern.replace(" ", re.escape(" ")))


def test_log_line_sample(openai_to_anthropic_proxy):
    """The sample log line is the real one, all but the duration and the token counts: same
    model, key fingerprint."""
    [sample] = text_block("test_log_line_sample").text.splitlines()
    model = re.search(r" model=(\S+)", sample).group(1)
    tail = re.search(r" key=sk-…(\w{4}) ", sample).group(1)
    openai.OpenAI(base_url=openai_to_anthropic_proxy.url + "/v1", api_key=f"sk-docs-log-line-{tail}").chat.completions.create(
        model=model, messages=[{"role": "user", "content": f"Say hello to the {MARKER}."}])
    pattern = with_any_token_counts(sample, re.escape(sample))
    pattern = pattern.replace(re.escape(re.search(r"\d+ms$", sample).group(0)), r"\d+ms")
    # The upstream is the test's own, on loopback.
    pattern = pattern.replace(re.escape("upstream=anyrouter.top"), "upstream=127\\.0\\.0\\.1")
    assert re.search(pattern + "$", openai_to_anthropic_proxy.log_text(), re.M), sample


def test_inspect_url_sample():
    """The sample is what scripts/inspect prints, with the default ports and a token."""
    sample = text_block("test_inspect_url_sample").text.strip()
    values = {"host": "127.0.0.1", "port": "8088", "upstream": "https://anyrouter.top", "web_port": "8081",
              "token": "3f9c" + "0" * 28, "flow_file": "flows/anyrouter-20260101-000000.mitm"}
    printed = [
        re.sub(r"\$\{?(\w+)\}?", lambda m: values[m.group(1)], line)
        for line in re.findall(r'^echo "(anyrouter inspect: [^"]*)"', (ROOT / "scripts" / "inspect").read_text(), re.M)
    ]
    pattern = ".*".join(re.escape(piece) for piece in sample.split("…"))
    assert any(re.fullmatch(pattern, line) for line in printed), printed


def test_event_stream_sample():
    """The sample is the Event Stream view's rendering of such a stream, apart from the elided parts."""
    message = {
        "id": "msg_docs", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
        "content": [
            {"type": "thinking", "thinking": "The user is in Tromsø; check the weather.", "signature": "c2ln"},
            {"type": "text", "text": "Let me look that up."},
            {"type": "tool_use", "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "name": "get_weather",
             "input": {"city": "Tromsø"}},
        ],
        "stop_reason": "tool_use", "stop_sequence": None, "usage": {"input_tokens": 472, "output_tokens": 89},
    }
    rendered = render(view_stream(anthropic_stream_from_message(message)))
    pieces = re.split(r"^…\n", text_block("test_event_stream_sample").text, flags=re.M)
    assert rendered.startswith(pieces[0])
    at = 0
    for piece in pieces:
        found = rendered.find(piece, at)
        assert found >= 0, f"not in the rendered view (after position {at}):\n{piece}\n---\n{rendered}"
        at = found + len(piece)
    assert rendered.endswith(pieces[-1])


def test_cherry_studio_settings(openai_to_anthropic_proxy):
    """Field by field what the SDK recipes use; the model is one the proxy lists (Manage)."""
    providers = {}
    for paragraph in text_block("test_cherry_studio_settings").text.strip().split("\n\n"):
        fields = dict(re.match(r"([^:]+):\s+(.*)$", line).groups() for line in paragraph.splitlines())
        providers[fields.pop("Provider Type")] = fields
    assert set(providers) == {"OpenAI", "Anthropic"}
    for kind, path in (("OpenAI", "/v1"), ("Anthropic", "")):
        fields, recipe = providers[kind], sdk_recipe(kind)
        assert set(fields) == {"API Host", "API Key", "Model"}
        assert not fields["API Host"].endswith(("/", "#"))  # Cherry Studio's markers for other paths
        assert fields["API Host"] + path == recipe["base_url"]
        assert (fields["API Key"], fields["Model"]) == (recipe["api_key"], recipe["model"])

    proxy = openai_to_anthropic_proxy.url
    listed = openai.OpenAI(base_url=proxy + "/v1", api_key=providers["OpenAI"]["API Key"]).models.list()
    assert providers["OpenAI"]["Model"] in [m.id for m in listed]
    listed = anthropic.Anthropic(base_url=proxy, api_key=providers["Anthropic"]["API Key"]).models.list()
    assert providers["Anthropic"]["Model"] in [m.id for m in listed]


# ---- the Routing section: each complete example, run ----------------------------------------


def routing_blocks(test: str) -> list[Block]:
    """The blocks of the Routing subsection `test` runs, in README order."""
    [heading] = [h for h, claim in ROUTING_SECTIONS.items() if claim == RunHere(test)]
    found = [b for b in EN if b.section == ROUTING and b.subsection == heading]
    assert found, f"{heading}: no blocks under it"
    return found


def routing_prose(test: str) -> str:
    """The text of the Routing subsection `test` runs, code blocks included."""
    [heading] = [h for h, claim in ROUTING_SECTIONS.items() if claim == RunHere(test)]
    return READMES["en"].read_text().split(f"### {heading}\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]


def routes_file(name: str) -> str:
    """The Routing section's routes file called `name`: the yaml block whose first line is `# name`."""
    found = [b.text for b in EN if b.section == ROUTING and b.lang == "yaml" and b.text.startswith(f"# {name}\n")]
    assert len(found) == 1, f"expected one routes file {name} (a yaml block starting '# {name}'), found {len(found)}"
    return found[0]


@dataclass
class Example:
    """One complete example of the Routing section, its blocks taken apart by kind."""
    routes_name: str
    routes_text: str
    serve: list[str]  # the scripts/serve command line
    client: Block
    samples: list[str]  # the lines of its log sample, if it shows one


def example(test: str) -> Example:
    blocks = routing_blocks(test)
    [serve] = [b for b in blocks if b.lang == "sh" and b.text.startswith("scripts/serve ")]
    [argv] = command_lines(serve.text)
    [routes_name] = [word.split("=", 1)[1] for word in argv if word.startswith("routes=")]
    [client] = [b for b in blocks if b is not serve and b.lang in ("sh", "python")]
    samples = [line for b in blocks if b.lang == "text" for line in b.text.splitlines()]
    assert [b.lang for b in blocks].count("yaml") == 1 and [b.lang for b in blocks].count("text") <= 1
    return Example(routes_name, routes_file(routes_name), argv, client, samples)


def moved(text: str, addresses: dict[str, str]) -> str:
    """`text` with each address the README names replaced by a loopback peer's."""
    for written, actual in addresses.items():
        assert text.count(written) >= 1, f"{written} is not in:\n{text}"
        text = text.replace(written, actual)
    return text


def serve_example(log_dir: Path, folder: Path, argv: list[str]) -> tuple[Process, int]:
    """The example's `scripts/serve` line, run in the routes file's folder. The reverse target
    given first stands in for the default https://anyrouter.top: a closed loopback port, so
    nothing leaves the machine (the examples route nothing to it)."""
    assert argv[0] == "scripts/serve"
    port = free_port()
    process = Process(
        "README scripts/serve", [str(ROOT / argv[0]), f"http://{LOOPBACK}:{free_port()}", *argv[1:]],
        log_dir / f"docs-routing-{port}.log",
        # The usage log (on by default) in the example's folder, not in the repository's flows/.
        env=clean_env(ANYROUTER_PORT=str(port), ANYROUTER_SAVE_FLOWS="0", ANYROUTER_FLOWS_DIR=str(folder)),
        cwd=folder,
    )
    process.wait_until(status_is_200(port, "/health"))
    return process, port


def key_files(routes_text: str, folder: Path, keys: dict[str, str]) -> None:
    """Writes the key files the routes file names (`@file`), one key each."""
    named = re.findall(r'"@([^"]+)"', routes_text)
    assert sorted(named) == sorted(keys), named
    for name, key in keys.items():
        (folder / name).write_text(f"{key}\n")


def assert_logged(sample: str, log: str, **loopback: str) -> None:
    """A log sample line is a real line of `log`, all but its duration and token counts."""
    pattern = with_any_token_counts(sample, re.escape(sample))
    pattern = pattern.replace(re.escape(re.search(r" \d+ms$", sample).group(0)), r" \d+ms")
    assert re.search(pattern + "$", log, re.M), f"not logged:\n{sample}\n---\n{log[-3000:]}"


def json_get(port: int, path: str) -> dict:
    status, body, _ = http_get(LOOPBACK, port, path)
    assert status == 200, body
    return json.loads(body)


def test_routing_example_claude_code(aimock, llama, log_dir, tmp_path):
    """Claude Code through the example's routes file: its conversation reaches the relay as it
    sent it, with its key; a background call reaches llama.cpp as Chat Completions for
    smollm2 with the upstream's own key, never the relay key. `claude -p` makes no background
    call of its own, so the background call is made with the Anthropic SDK, with the model
    name of the README's log sample."""
    ex = example("test_routing_example_claude_code")
    relay, local = RecordingRelay(aimock.port), RecordingRelay(llama.port)
    process = None
    try:
        (tmp_path / ex.routes_name).write_text(
            moved(ex.routes_text, {"https://anyrouter.top": relay.url, "http://127.0.0.1:8080": local.url}))
        process, port = serve_example(log_dir, tmp_path, ex.serve)
        proxy_url = f"http://{LOOPBACK}:{port}"

        assert ex.client.lang == "sh"
        script = ex.client.text.replace(DOCS_URL, proxy_url)
        token = re.search(r"ANTHROPIC_AUTH_TOKEN=(\S+)", script).group(1)
        model = re.search(r"ANTHROPIC_MODEL=(\S+)", script).group(1)
        home = tmp_path / "home"
        home.mkdir()
        result = subprocess.run(
            ["bash", "-euc", script], stdin=subprocess.DEVNULL, capture_output=True, text=True,
            env=client_env(HOME=str(home), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1"), cwd=home, timeout=120,
        )
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
        assert result.stdout.strip() == ANSWER
        [conversation] = [r for r in relay.requests if r.method == "POST"]
        assert conversation.path == "/v1/messages?beta=true"
        assert conversation.body["model"] == model
        assert conversation.headers["x-api-key"] == token and "authorization" not in conversation.headers
        assert local.requests == []

        background_model = re.search(r"route=background .*model=(\S+)→", "\n".join(ex.samples)).group(1)
        assert "haiku" in background_model
        client = anthropic.Anthropic(base_url=proxy_url, api_key=token, max_retries=0)
        message = client.messages.create(
            model=background_model, max_tokens=20, messages=[{"role": "user", "content": "Say hello to the docs readers."}])
        assert message.model == background_model and message.content[0].text
        [background] = local.requests
        assert background.path == "/v1/chat/completions"
        assert background.body["model"] == "smollm2"
        [local_key] = re.findall(r'keys: "([^"]+)"', ex.routes_text)
        assert background.headers["authorization"] == f"Bearer {local_key}"
        assert not any(token in value for value in background.headers.values())

        for sample in ex.samples:
            assert_logged(sample, process.log_text())
    finally:
        if process is not None:
            process.stop()
        relay.stop()
        local.stop()


def test_routing_example_by_model(aimock, log_dir, tmp_path, capsys):
    """The OpenAI SDK through the example's routes file: each model reaches its own upstream,
    in that upstream's protocol, with a key of that upstream's file and never the client's;
    /v1/models and the 404 of a model no route serves are as the README says."""
    ex = example("test_routing_example_by_model")
    claude, gpt = RecordingRelay(aimock.port), RecordingRelay(aimock.port)
    keys = {"anthropic-keys.txt": "sk-ant-docs-routing-0001", "openai-keys.txt": "sk-openai-docs-routing-0001"}
    process = None
    try:
        key_files(ex.routes_text, tmp_path, keys)
        (tmp_path / ex.routes_name).write_text(moved(
            ex.routes_text, {"https://api.anthropic.com": claude.url, "https://api.openai.com/v1": gpt.url + "/v1"}))
        process, port = serve_example(log_dir, tmp_path, ex.serve)
        proxy_url = f"http://{LOOPBACK}:{port}"

        assert ex.client.lang == "python"
        [client_key] = [kwargs["api_key"] for _, kwargs in recipe_calls(ex.client) if "api_key" in kwargs]
        capsys.readouterr()
        exec(compile(ex.client.text.replace(DOCS_URL, proxy_url), f"README.md:{ex.client.line}", "exec"), {})
        printed = capsys.readouterr().out.splitlines()
        models = [word.split("=", 1)[1] for word in ex.serve if word.startswith("models=")][0].split(",")
        assert printed == [f"{model} {ANSWER}" for model in models]

        [to_claude] = claude.requests
        assert (to_claude.path, to_claude.body["model"]) == ("/v1/messages", "claude-sonnet-4-6")
        assert to_claude.headers["x-api-key"] == keys["anthropic-keys.txt"]
        [to_gpt] = gpt.requests
        assert (to_gpt.path, to_gpt.body["model"]) == ("/v1/chat/completions", "gpt-4o")
        assert to_gpt.headers["authorization"] == f"Bearer {keys['openai-keys.txt']}"
        for request in (to_claude, to_gpt):
            assert not any(client_key in value for value in request.headers.values())

        client = openai.OpenAI(base_url=proxy_url + "/v1", api_key=client_key, max_retries=0)
        assert [m.id for m in client.models.list()] == models
        prose = routing_prose("test_routing_example_by_model")
        refusal = re.search(r"`(no route of the routes file serves model '([^']+)'[^`]*)`", prose)
        with pytest.raises(openai.NotFoundError) as caught:
            client.chat.completions.create(model=refusal.group(2), messages=[{"role": "user", "content": "hi"}])
        assert caught.value.body["message"] == refusal.group(1)
        assert len(claude.requests) == len(gpt.requests) == 1
    finally:
        if process is not None:
            process.stop()
        claude.stop()
        gpt.stop()


def test_routing_example_fallback(aimock, log_dir, tmp_path, capsys):
    """The Anthropic SDK through the example's routes file, with the relay down (a closed
    port: a refused connection needs no peer): the stream comes from the backup, asked in
    its own protocol for its own model name with its own key; then the relay rests, as
    /stats and /health show with the fields the README names."""
    ex = example("test_routing_example_fallback")
    backup = RecordingRelay(aimock.port)
    tail = re.search(r" key=sk-…(\w{4}) ", "\n".join(ex.samples)).group(1)
    keys = {"backup-keys.txt": f"sk-backup-docs-routing-{tail}"}
    process = None
    try:
        key_files(ex.routes_text, tmp_path, keys)
        down = f"http://{LOOPBACK}:{free_port()}"
        (tmp_path / ex.routes_name).write_text(moved(
            ex.routes_text, {"https://anyrouter.top": down, "https://api.example.com/v1": backup.url + "/v1"}))
        process, port = serve_example(log_dir, tmp_path, ex.serve)
        proxy_url = f"http://{LOOPBACK}:{port}"

        assert ex.client.lang == "python"
        [client_key] = [kwargs["api_key"] for _, kwargs in recipe_calls(ex.client) if "api_key" in kwargs]
        code = compile(ex.client.text.replace(DOCS_URL, proxy_url), f"README.md:{ex.client.line}", "exec")
        capsys.readouterr()
        exec(code, {})
        assert capsys.readouterr().out.splitlines() == [ANSWER]
        [asked] = backup.requests
        assert (asked.path, asked.body["model"], asked.body["stream"]) == (
            "/v1/chat/completions", "anthropic/claude-sonnet-4.6", True)
        assert asked.headers["authorization"] == f"Bearer {keys['backup-keys.txt']}"
        assert not any(client_key in value for value in asked.headers.values())
        log = process.log_text()
        assert re.search(r"POST /v1/messages: relay answered .+; trying the next upstream$", log, re.M), log
        for sample in ex.samples:
            assert_logged(sample, log)

        # The relay rests (upstream_cooldown from the command line): the backup comes first.
        cooldown = int([word.split("=", 1)[1] for word in ex.serve if word.startswith("upstream_cooldown=")][0])
        exec(code, {})
        assert capsys.readouterr().out.splitlines() == [ANSWER]
        assert len(backup.requests) == 2
        again = [line for line in process.log_text().splitlines() if "route=sonnet upstream=backup" in line]
        assert [re.search(r"retries=(\d+)", line).group(1) for line in again] == ["1", "0"]

        seeing = READMES["en"].read_text().split("### Seeing where requests went\n", 1)[1].split("\n### ", 1)[0]
        named = set(re.findall(r"`([a-z_]+)`", seeing))
        routing = json_get(port, "/stats")["routing"]
        assert routing["routes"]["sonnet"]["by_status"] == {"200": 2}
        assert set(routing["routes"]["sonnet"]) <= named
        relay, used = routing["upstreams"]["relay"], routing["upstreams"]["backup"]
        assert set(relay) <= named and set(used) <= named
        assert (relay["attempts"], relay["healthy"], relay["failures_in_a_row"]) == (1, False, 1)
        assert 0 < relay["resting_s"] <= cooldown
        [refused] = relay["by_outcome"]  # the connection error, said once as its last failure
        assert relay["by_outcome"] == {refused: 1} and relay["last_failure"] == refused
        assert (used["attempts"], used["by_outcome"], used["healthy"]) == (2, {"200": 2}, True)
        health = json_get(port, "/health")
        assert health["status"] == "degraded"
        assert {name: (u["reachable"], u["protocol"]) for name, u in health["upstreams"].items()} == {
            "relay": (False, "anthropic"), "backup": (True, "openai")}
        assert all(set(u) <= named for u in health["upstreams"].values())
    finally:
        if process is not None:
            process.stop()
        backup.stop()


# ---- the options table ---------------------------------------------------------------------


class RecordingLoader:
    def __init__(self) -> None:
        self.options: dict[str, object] = {}

    def add_option(self, name, typespec, default, help, choices=None) -> None:
        self.options[name] = default


def declared_options() -> dict[str, object]:
    loader = RecordingLoader()
    for addon in entry_addons():
        if hasattr(addon, "load"):
            addon.load(loader)
    return loader.options


TABLES = {
    "en": ("| option | default | meaning |", "empty", "the Claude models below", "Default `models`:"),
    "zh": ("| 选项 | 默认值 | 含义 |", "空", "下列 Claude 模型", "`models` 的默认值："),
}


def expected_default(value: object, empty: str, models: str) -> str:
    if value == "":
        return empty
    if value == ",".join(DEFAULT_MODELS):
        return models
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


@pytest.mark.parametrize("lang", READMES)
def test_options_table_lists_every_option_with_its_default(lang):
    header, empty, models, models_intro = TABLES[lang]
    text = READMES[lang].read_text()
    assert text.count(header) == 1, header
    rows = text.split(header, 1)[1].split("\n\n", 1)[0].strip().splitlines()[1:]
    table = {}
    for row in rows:
        name, default, meaning = (cell.strip() for cell in row.strip("|").split(" | "))
        assert meaning, row
        table[name.strip("`")] = default
    declared = declared_options()
    assert table == {name: expected_default(value, empty, models) for name, value in declared.items()}
    listed = text.split(models_intro, 1)[1].split("\n\n", 1)[0]
    assert re.findall(r"`([^`]+)`", listed) == list(DEFAULT_MODELS)


# ---- Gemini CLI, and Claude Code on a Gemini upstream -------------------------------------------


def gemini_settings() -> dict:
    block = only_block(lambda b: b.lang == "json" and "security" in json.loads(b.text), "Gemini CLI settings.json")
    return json.loads(block.text)


@pytest.mark.parametrize("protocol", UPSTREAM_PATHS)
def test_gemini_cli_recipe(protocol, start_proxy, relay, tmp_path):
    """The settings.json block as ~/.gemini/settings.json, then the command block as a shell
    script, in front of each upstream protocol (aimock behind the recording relay): Gemini CLI
    prints aimock's answer, and the upstream is asked on its own path, for the recipe's model,
    with GEMINI_API_KEY in its own key header."""
    settings = gemini_settings()
    assert settings == {"security": {"auth": {"selectedType": "gemini-api-key"}}}
    proxy = start_proxy(relay.url, upstream_protocol=protocol)
    (tmp_path / ".gemini").mkdir()
    (tmp_path / ".gemini" / "settings.json").write_text(json.dumps(settings))
    script = run_here("test_gemini_cli_recipe")
    base = re.search(r"GOOGLE_GEMINI_BASE_URL=(\S+)", script).group(1)
    assert base == "http://127.0.0.1:8088"
    key = re.search(r"GEMINI_API_KEY=(\S+)", script).group(1)
    model = re.search(r" -m (\S+)", script).group(1)
    before = len(relay.requests)
    result = subprocess.run(
        ["bash", "-euc", script.replace(base, proxy.url)], stdin=subprocess.DEVNULL, capture_output=True,
        text=True, env=client_env(HOME=str(tmp_path)), cwd=tmp_path, timeout=180,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert result.stdout.strip() == ANSWER
    asked = [r for r in relay.requests[before:] if MARKER.encode() in r.raw_body]
    assert asked and all(r.path == UPSTREAM_PATHS[protocol] for r in asked), [r.path for r in asked]
    for request in asked:
        assert request.body["model"] == model
        name, value = upstream_key_header(protocol, key)
        assert request.headers[name] == value
        assert "x-goog-api-key" not in request.headers


def test_claude_code_on_gemini_recipe(aimock, log_dir, tmp_path):
    """The `scripts/serve … --set upstream_protocol=gemini` line, with Gemini's URL replaced by
    aimock's (behind a recording relay), then the Claude Code block as a shell script: Claude
    Code prints aimock's answer; the upstream is asked at
    /v1beta/models/<model>:streamGenerateContent?alt=sse with the key in x-goog-api-key."""
    serve, client = run_here_all("test_claude_code_on_gemini_recipe")
    [argv] = command_lines(serve)
    assert argv[:2] == ["scripts/serve", GEMINI_API]
    upstream = RecordingRelay(aimock.port)
    port = free_port()
    process = Process(
        "README scripts/serve gemini", [str(ROOT / argv[0]), upstream.url, *argv[2:]],
        log_dir / f"docs-gemini-{port}.log",
        env=clean_env(ANYROUTER_PORT=str(port), ANYROUTER_SAVE_FLOWS="0", ANYROUTER_FLOWS_DIR=str(tmp_path)),
        cwd=tmp_path,
    )
    try:
        process.wait_until(status_is_200(port, "/health"))
        assert json_get(port, "/health")["upstream_protocol"] == "gemini"
        home = tmp_path / "home"
        home.mkdir()
        key = re.search(r"ANTHROPIC_API_KEY=(\S+)", client).group(1)
        model = re.search(r"ANTHROPIC_MODEL=(\S+)", client).group(1)
        result = subprocess.run(
            ["bash", "-euc", client.replace(DOCS_URL, f"http://{LOOPBACK}:{port}")], stdin=subprocess.DEVNULL,
            capture_output=True, text=True,
            env=client_env(HOME=str(home), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1"), cwd=home, timeout=180,
        )
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
        assert result.stdout.strip() == ANSWER
        asked = [r for r in upstream.requests if r.method == "POST" and MARKER.encode() in r.raw_body]
        assert asked, [r.path for r in upstream.requests]
        for request in asked:
            assert request.path == f"/v1beta/models/{model}:streamGenerateContent?alt=sse"
            assert request.headers["x-goog-api-key"] == key
            assert "x-api-key" not in request.headers and "authorization" not in request.headers
            assert "model" not in request.body and request.body["contents"]
        log = process.log_text()
        assert re.search(rf"anthropic→gemini POST /v1beta/models/{re.escape(model)}:streamGenerateContent", log), log[-2000:]
    finally:
        process.stop()
        upstream.stop()
