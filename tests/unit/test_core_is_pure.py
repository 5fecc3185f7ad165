"""The core must stay usable without mitmproxy: importing all of it imports no mitmproxy."""

import subprocess
import sys

from harness import ROOT


def test_importing_every_core_module_does_not_import_mitmproxy():
    program = (
        "import importlib, pkgutil, sys\n"
        "import anyrouter_core\n"
        "for info in pkgutil.iter_modules(anyrouter_core.__path__):\n"
        "    importlib.import_module('anyrouter_core.' + info.name)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('anyrouter_core.'))\n"
        "assert len(loaded) >= 8, loaded\n"
        "bad = sorted(m for m in sys.modules if m == 'mitmproxy' or m.startswith('mitmproxy.'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT / "addons", capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
