"""Many streams open at once through one mitmdump with the addon: every one completes, whole.

Half the clients are the openai SDK (translated to the Anthropic upstream), half the
anthropic SDK (passed through), all started together against an aimock answer paced at one
chunk every 300 ms (about 6 s a stream: longer than it takes one client process to start
them all, so they overlap). The 50-stream version runs in the default suite
(on the suite's shared proxy); the 200-stream version is a load test (`scripts/load`) on a
proxy of its own.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bench.client import percentile
from bench.procs import cpu_seconds, rss_mb

from .clients import InFlight, anthropic_client, anthropic_stream, openai_client, openai_stream

PACED = "bench load paced"


async def open_streams(proxy, n: int) -> tuple[list[BaseException], InFlight, float]:
    openai_sdk, anthropic_sdk = openai_client(proxy), anthropic_client(proxy)
    in_flight = InFlight()
    try:
        started = time.monotonic()
        outcomes = await asyncio.gather(
            *(openai_stream(openai_sdk, f"{PACED} {i}", in_flight) if i % 2 == 0
              else anthropic_stream(anthropic_sdk, f"{PACED} {i}", in_flight) for i in range(n)),
            return_exceptions=True,
        )
        elapsed = time.monotonic() - started
    finally:
        await openai_sdk.close()
        await anthropic_sdk.close()
    return [o for o in outcomes if isinstance(o, BaseException)], in_flight, elapsed


def run_concurrent(proxy, n: int) -> None:
    pid = proxy.process.popen.pid
    rss_before, cpu_before = rss_mb(pid), cpu_seconds(pid)
    failures, in_flight, elapsed = asyncio.run(open_streams(proxy, n))
    rss_after, cpu = rss_mb(pid), cpu_seconds(pid) - cpu_before
    first = in_flight.first_event_s
    print(
        f"\n{n} concurrent streams: {n - len(failures)}/{n} complete and correct in {elapsed:.2f} s;"
        f" peak open at once {in_flight.peak};"
        f" first event after p50 {percentile(first, 0.5) * 1000:.0f} ms, p95 {percentile(first, 0.95) * 1000:.0f} ms,"
        f" max {max(first) * 1000:.0f} ms;"
        f" proxy CPU {cpu:.2f} s ({cpu * 1000 / n:.1f} ms/stream), RSS {rss_before:.1f} → {rss_after:.1f} MB"
    )
    assert not failures, f"{len(failures)} of {n} streams failed; first: {failures[0]!r}"
    # Overlap is what makes this a concurrency test: most streams were open at the same moment.
    assert in_flight.peak >= n // 2, f"only {in_flight.peak} of {n} streams were ever open at once"


@pytest.mark.e2e
def test_50_concurrent_streams(anthropic_proxy):
    # The suite's shared proxy and aimock (all fixture files, bench.json among them): no
    # start-up of its own, so it stays a few seconds in the default run.
    run_concurrent(anthropic_proxy, 50)


@pytest.mark.load
def test_200_concurrent_streams(proxy_to_anthropic):
    run_concurrent(proxy_to_anthropic, 200)
