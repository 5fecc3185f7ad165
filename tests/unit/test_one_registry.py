"""Outside the codecs and the registry, no code decides by a protocol's name.

Every "which protocol is this" decision (routes, error shapes, credential headers, upstream
paths, what a client's headers say, what an upstream needs) is the registry's
(`anyrouter_core/protocols.py`) or a codec's (`anyrouter_core/codecs/`). Anywhere else a
protocol name in the code is a decision made on the side, which the next protocol would
silently miss. So this scans every other module under `addons/` for:

- a string literal that is exactly a registered protocol's name (`"anthropic"`, `"openai"`):
  comparing with it, or looking a protocol up by it;
- an identifier naming a protocol (`ANTHROPIC`, `OPENAI`, `Route.OPENAI_CHAT`,
  `wants_anthropic_shape`), imported, defined or used.

Prose may name the protocols: docstrings, and strings that say more than a name (option
help, log and error messages, header names such as `anthropic-version`) are not flagged.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from anyrouter_core.protocols import PROTOCOLS

ADDONS = Path(__file__).resolve().parents[2] / "addons"
EXEMPT = (ADDONS / "anyrouter_core" / "codecs", ADDONS / "anyrouter_core" / "protocols.py")
NAMES = frozenset(PROTOCOLS)
NAMING_A_PROTOCOL = re.compile("|".join(map(re.escape, sorted(NAMES))), re.IGNORECASE)


def protocol_names_in(source: str) -> list[str]:
    """Each place in `source` where code names a protocol, as `line: what`."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree) if _has_docstring(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in NAMES and id(node) not in docstrings:
            found.append(f"{node.lineno}: the string {node.value!r}")
        for identifier in _identifiers(node):
            if NAMING_A_PROTOCOL.search(identifier):
                found.append(f"{node.lineno}: the name {identifier}")
    return found


def _has_docstring(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and bool(node.body)
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and isinstance(node.body[0].value.value, str)
    )


def _identifiers(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.alias):
        return [node.name.rpartition(".")[2], *([node.asname] if node.asname else [])]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.arg):
        return [node.arg]
    return []


def scanned_modules() -> list[Path]:
    return sorted(
        path for path in ADDONS.rglob("*.py")
        if not any(path == exempt or exempt in path.parents for exempt in EXEMPT)
    )


@pytest.mark.parametrize("path", scanned_modules(), ids=lambda path: str(path.relative_to(ADDONS)))
def test_no_module_outside_the_registry_and_the_codecs_names_a_protocol(path):
    assert protocol_names_in(path.read_text(encoding="utf-8")) == []


def test_the_scan_covers_the_addons_and_the_core():
    names = {path.relative_to(ADDONS).as_posix() for path in scanned_modules()}
    assert {"anyrouter.py", "anyrouter_addons/passthrough_errors.py", "anyrouter_core/routes.py"} <= names
    assert not any(name.startswith("anyrouter_core/codecs/") for name in names)
    assert "anyrouter_core/protocols.py" not in names


@pytest.mark.parametrize(
    "code",
    [
        'if protocol == "anthropic":\n    pass\n',
        'shape = protocol_named("openai")\n',
        "from anyrouter_core.protocols import ANTHROPIC\n",
        "from anyrouter_core import protocols\nprotocols.OPENAI\n",
        "if route is Route.OPENAI_CHAT:\n    pass\n",
        "def wants_anthropic_shape(headers):\n    return True\n",
        'loader.add_option("upstream_protocol", str, "anthropic", "help")\n',
    ],
)
def test_a_decision_by_protocol_name_is_found(code):
    assert protocol_names_in(code) != []


def test_prose_naming_the_protocols_is_not_a_decision():
    code = '''"""Translates between anthropic and openai clients."""

def f():
    """anthropic"""
    log.info("the OpenAI upstream answered")
    loader.add_option("x", str, "", "Protocol the upstream speaks: 'anthropic' or 'openai'.")
    headers.pop("anthropic-version", None)
'''
    assert protocol_names_in(code) == []
