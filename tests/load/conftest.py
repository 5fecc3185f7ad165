"""Fresh processes for the load tests: their own aimock (bench fixtures only) and their own
mitmdumps, so that RSS and the access log reflect this load and nothing else."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.procs import AddonMitmdump, bench_aimock
from harness import Aimock

LOAD_ASKED_FOR = re.compile(r"(?<!not )\bload\b")


def extra_options() -> dict[str, str]:
    """`ANYROUTER_LOAD_SET="name=value name2=value2"` sets mitmproxy options on the load
    tests' proxies, e.g. to see whether a memory trend follows an option."""
    pairs = os.environ.get("ANYROUTER_LOAD_SET", "").split()
    return dict(pair.split("=", 1) for pair in pairs)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Load tests run only when `-m` names them: pyproject's `-m "not load"` leaves them out of
    the default run, and this leaves them out when another `-m` (e.g. "not e2e") replaces it."""
    if LOAD_ASKED_FOR.search(config.option.markexpr or ""):
        return
    left_out = [item for item in items if item.get_closest_marker("load")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("load")]


@pytest.fixture(scope="module")
def load_aimock(log_dir: Path) -> Iterator[Aimock]:
    peer = bench_aimock(log_dir)
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def proxy_to_anthropic(load_aimock: Aimock, log_dir: Path) -> Iterator[AddonMitmdump]:
    proxy = AddonMitmdump(load_aimock.url, log_dir, {"upstream_protocol": "anthropic", **extra_options()})
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def proxy_to_openai(load_aimock: Aimock, log_dir: Path) -> Iterator[AddonMitmdump]:
    proxy = AddonMitmdump(load_aimock.url, log_dir, {"upstream_protocol": "openai", **extra_options()})
    yield proxy
    proxy.stop()
