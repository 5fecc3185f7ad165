"""The mitmproxy compatibility module: the version check, and no internal used anywhere else."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import mitmproxy.version
import pytest
from mitmproxy.proxy.layers.http import _http1
from mitmproxy.test import taddons

from anyrouter_addons import mitmproxy_compat
from anyrouter_addons.mitmproxy_compat import UnsupportedMitmproxy, check_mitmproxy_version
from anyrouter_addons.upstream_failures import UpstreamFailures, take_ending
from harness import ADDON, LOOPBACK, ROOT, clean_env, free_port

ADDONS = ROOT / "addons"
COMPAT = ADDONS / "anyrouter_addons" / "mitmproxy_compat.py"

# ---------------------------------------------------------------- the version check


def test_the_pinned_mitmproxy_is_the_one_running_and_a_supported_one():
    pins = (ROOT / "requirements.txt").read_text().split()
    assert f"mitmproxy=={mitmproxy_compat.TESTED_VERSION}" in pins
    assert mitmproxy.version.VERSION == mitmproxy_compat.TESTED_VERSION
    check_mitmproxy_version()


@pytest.mark.parametrize("version", ["12.2.0", "12.2.3", "12.3.0", "12.3.1", "12.3.2"])
def test_every_release_of_a_supported_series_passes(monkeypatch, version):
    monkeypatch.setattr(mitmproxy.version, "VERSION", version)
    check_mitmproxy_version()


@pytest.mark.parametrize("version", ["12.1.2", "11.0.0", "13.0.0", "12.30.1", "1.2.3", "12", "13.0.0.dev0"])
def test_any_other_version_is_refused_naming_the_supported_ones(monkeypatch, version):
    monkeypatch.setattr(mitmproxy.version, "VERSION", version)
    with pytest.raises(UnsupportedMitmproxy) as caught:
        check_mitmproxy_version()
    assert str(caught.value) == (
        f"anyrouter needs mitmproxy 12.2.x or 12.3.x; this is {version}. "
        "Install a supported one, e.g. pip install mitmproxy==12.3.1"
    )


def test_on_a_mitmproxy_without_the_internals_the_version_is_what_the_import_reports():
    # A mitmproxy whose HTTP/1 layer has moved: importing it fails, unless the check comes first.
    program = (
        "import sys, mitmproxy.version, mitmproxy.proxy.layers.http as layer\n"
        "mitmproxy.version.VERSION = '13.0.0'\n"
        "del layer._http1\n"
        "sys.modules['mitmproxy.proxy.layers.http._http1'] = None\n"
        "try:\n"
        "    import anyrouter_addons.mitmproxy_compat\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
        "    sys.exit(3)\n"
    )
    result = subprocess.run([sys.executable, "-c", program], cwd=ADDONS, capture_output=True, text=True)
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "UnsupportedMitmproxy anyrouter needs mitmproxy 12.2.x or 12.3.x; this is 13.0.0. "
        "Install a supported one, e.g. pip install mitmproxy==12.3.1"
    ]


@pytest.mark.e2e
def test_mitmdump_on_another_mitmproxy_says_which_versions_are_supported_and_exits(tmp_path):
    pretend = tmp_path / "pretend_old_mitmproxy.py"
    pretend.write_text("import mitmproxy.version\nmitmproxy.version.VERSION = '12.1.2'\n")
    port = free_port()
    argv = [
        str(ROOT / ".venv" / "bin" / "mitmdump"), "-s", str(pretend), "-s", str(ADDON),
        "--mode", f"reverse:http://{LOOPBACK}:{free_port()}@{LOOPBACK}:{port}",
    ]
    result = subprocess.run(
        argv, env=clean_env(), cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"error in script {ADDON}" in output
    assert (
        "UnsupportedMitmproxy: anyrouter needs mitmproxy 12.2.x or 12.3.x; this is 12.1.2. "
        "Install a supported one, e.g. pip install mitmproxy==12.3.1"
    ) in output
    assert "Error logged during startup, exiting..." in output


# ---------------------------------------------------------------- internals only in the compat module

# mitmproxy's public addon API (docs.mitmproxy.org/stable/api/ and the event hooks).
PUBLIC_MODULES = {
    "mitmproxy",
    "mitmproxy.addonmanager",
    "mitmproxy.command",
    "mitmproxy.connection",
    "mitmproxy.contentviews",
    "mitmproxy.ctx",
    "mitmproxy.exceptions",
    "mitmproxy.flow",
    "mitmproxy.http",
    "mitmproxy.io",
    "mitmproxy.proxy.server_hooks",
}
PRIVATE_TEXT = re.compile(r"\b_http1\b|mitmproxy\.proxy\.(?:layers|commands)|\.registry\._|[\"']proxyserver[\"']")


def private_uses(source: str) -> list[str]:
    """Where `source` uses a mitmproxy internal: imports of anything but the public modules,
    attributes with a leading underscore on anything but `self`, and the names of known
    internals in the code."""
    found = [match.group() for match in PRIVATE_TEXT.finditer(source)]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("mitmproxy") and a.name not in PUBLIC_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.startswith("mitmproxy"):
            for alias in node.names:
                as_module = f"{node.module}.{alias.name}"
                public_name = node.module in PUBLIC_MODULES and not alias.name.startswith("_")
                if as_module not in PUBLIC_MODULES and not public_name:
                    found.append(as_module)
        elif isinstance(node, ast.Attribute) and re.match(r"_[^_]", node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(ast.unparse(node))
    return found


def test_the_scan_finds_each_kind_of_private_use():
    source = (
        "from mitmproxy.proxy.layers.http import _http1\n"
        "from mitmproxy.proxy import commands\n"
        "import mitmproxy.net.http.http1\n"
        "from mitmproxy.utils import human\n"
        "from mitmproxy.contentviews import _registry\n"
        "del contentviews.registry._by_name[key]\n"
        "handler = ctx.master.addons.get('proxyserver')\n"
    )
    assert sorted(private_uses(source)) == sorted([
        # in the text
        "mitmproxy.proxy.layers", "_http1", ".registry._", "'proxyserver'",
        # imports and attributes
        "mitmproxy.proxy.layers.http._http1", "mitmproxy.proxy.commands", "mitmproxy.net.http.http1",
        "mitmproxy.utils.human", "mitmproxy.contentviews._registry", "contentviews.registry._by_name",
    ])
    public = (
        "from mitmproxy import ctx, exceptions, http\n"
        "from mitmproxy.proxy import server_hooks\n"
        "from mitmproxy.contentviews import Contentview, Metadata\n"
        "from .mitmproxy_compat import keep_upstream_on_http1\n"
        "self._secrets = {}\n"
    )
    assert private_uses(public) == []


def addon_sources() -> list[Path]:
    return sorted(path for path in ADDONS.rglob("*.py") if path != COMPAT)


def test_no_module_but_the_compat_module_uses_a_mitmproxy_internal():
    sources = addon_sources()
    assert len(sources) > 30 and ADDON in sources
    uses = {str(path.relative_to(ROOT)): private_uses(path.read_text()) for path in sources}
    assert {path: found for path, found in uses.items() if found} == {}


# ---------------------------------------------------------------- the wrappers come and go with their addon


def test_the_failure_endings_are_in_place_from_load_to_done():
    failures = UpstreamFailures()
    with taddons.context(failures):
        assert _http1.Http1Server.send is mitmproxy_compat._send_with_ending
        assert mitmproxy_compat._take_ending is take_ending
        failures.done()
        assert _http1.Http1Server.send is mitmproxy_compat._ORIGINAL_HTTP1_SERVER_SEND
        assert mitmproxy_compat._take_ending is None
