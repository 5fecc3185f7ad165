"""Each of anyrouter's options is read from mitmproxy's options in one module only: the step
that declares it; every other step gets the value from that step or from the flow's state."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

ADDONS = Path(__file__).resolve().parents[2] / "addons" / "anyrouter_addons"
_DECLARED = re.compile(r'add_option\(\s*"(\w+)"')
_READ = re.compile(r"ctx\.options\.(\w+)")


def modules_reading() -> tuple[set[str], dict[str, set[str]]]:
    declared: set[str] = set()
    readers: dict[str, set[str]] = defaultdict(set)
    for module in sorted(ADDONS.glob("*.py")):
        text = module.read_text()
        declared.update(_DECLARED.findall(text))
        for name in _READ.findall(text):
            readers[name].add(module.name)
    return declared, readers


def test_every_option_of_anyrouter_is_read_in_one_module():
    declared, readers = modules_reading()
    assert {"upstream_protocol", "default_max_tokens", "force_non_stream", "upstream_timeout"} <= declared
    read_twice = {name: sorted(modules) for name, modules in readers.items() if name in declared and len(modules) > 1}
    assert read_twice == {}
