"""Session-wide fixtures: the real peers (aimock, llama.cpp) and real mitmdump processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from harness import GOOD_UPSTREAM_KEYS, ROOT, Aimock, LlamaServer, Mitmdump
from recording_relay import RecordingRelay

AIMOCK_FIXTURES = ROOT / "tests" / "fixtures" / "aimock"

# `scripts/test` runs a modest number of generated examples; `HYPOTHESIS_PROFILE=fuzz` runs
# the long dedicated fuzzing session.
settings.register_profile(
    "default", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def aimock(log_dir: Path) -> Iterator[Aimock]:
    peer = Aimock(AIMOCK_FIXTURES, log_dir)
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def llama(log_dir: Path) -> Iterator[LlamaServer]:
    peer = LlamaServer(log_dir)
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def start_proxy(log_dir: Path) -> Iterator:
    """Starts (once per distinct configuration) a mitmdump with the addon in front of `upstream`."""
    started: dict[tuple, Mitmdump] = {}

    def start(upstream: str, **options: str) -> Mitmdump:
        key = (upstream, tuple(sorted(options.items())))
        if key not in started:
            started[key] = Mitmdump(upstream, log_dir, {k: str(v) for k, v in options.items()})
        return started[key]

    yield start
    for proxy in started.values():
        proxy.stop()


@pytest.fixture(scope="session")
def anthropic_proxy(start_proxy, aimock: Aimock) -> Mitmdump:
    """The proxy in front of aimock, with Anthropic as the upstream protocol."""
    return start_proxy(aimock.url, upstream_protocol="anthropic")


@pytest.fixture(scope="session")
def relay(aimock: Aimock) -> Iterator[RecordingRelay]:
    """aimock behind a relay that records exactly what the proxy sent upstream."""
    recorder = RecordingRelay(aimock.port)
    yield recorder
    recorder.stop()


@pytest.fixture(scope="session")
def openai_to_anthropic_proxy(start_proxy, relay: RecordingRelay) -> Mitmdump:
    """OpenAI clients in front; aimock answering as an Anthropic upstream behind the relay."""
    return start_proxy(relay.url, upstream_protocol="anthropic")


@pytest.fixture(scope="session")
def anthropic_to_openai_proxy(start_proxy, relay: RecordingRelay) -> Mitmdump:
    """Anthropic clients in front; aimock answering as an OpenAI upstream behind the relay."""
    return start_proxy(relay.url, upstream_protocol="openai")


@pytest.fixture
def new_proxy(log_dir: Path) -> Iterator:
    """Starts proxies that live for one test only: for tests that need fresh state (key pools)."""
    started: list[Mitmdump] = []

    def start(upstream: str, extra_args: list[str] | None = None, **options: str) -> Mitmdump:
        proxy = Mitmdump(upstream, log_dir, {k: str(v) for k, v in options.items()}, extra_args)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()



@pytest.fixture(scope="session")
def keyed_aimock(log_dir: Path) -> Iterator[Aimock]:
    """aimock that accepts only GOOD_UPSTREAM_KEYS: any other key gets a 401."""
    peer = Aimock(AIMOCK_FIXTURES, log_dir, api_keys=",".join(GOOD_UPSTREAM_KEYS))
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def keyed_relay(keyed_aimock: Aimock) -> Iterator[RecordingRelay]:
    recorder = RecordingRelay(keyed_aimock.port)
    yield recorder
    recorder.stop()
