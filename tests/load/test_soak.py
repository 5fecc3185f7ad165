"""A soak: 10,000 requests through the addon, and the proxies' memory stays flat.

Two mitmdumps with the addon in front of one aimock: one translating openai SDK clients to
the Anthropic upstream, one translating anthropic SDK clients to an OpenAI upstream. The
requests take turns: openai→anthropic streamed, anthropic→openai streamed, the same two not
streamed; every tenth of each kind carries a large body (the 80 KB agent request, the Claude
Code request). They run in blocks of 500, 16 at a time; between blocks, when nothing is in
flight, each proxy's RSS is read. The series is printed; the assertion is that each proxy's
final RSS is within 10 % of its RSS after the first 1,000 requests (the warm-up).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bench.procs import cpu_seconds, rss_mb

from .conftest import extra_options
from .clients import anthropic_client, anthropic_plain, anthropic_stream, openai_client, openai_plain, openai_stream

TOTAL = 10_000
BLOCK = 500
CONCURRENCY = 16
WARM_UP = 1_000
LARGE_EVERY = 10  # of each kind
TOLERANCE = 0.10
MARKER = "bench load"


KINDS = ("openai→anthropic stream", "anthropic→openai stream", "openai→anthropic json", "anthropic→openai json")


def is_large(i: int) -> bool:
    return (i // 4) % LARGE_EVERY == 0


def request_for(i: int, openai_sdk, anthropic_sdk):
    large, marker = is_large(i), f"{MARKER} {i}"
    match i % 4:
        case 0:
            return openai_stream(openai_sdk, marker, large=large)
        case 1:
            return anthropic_stream(anthropic_sdk, marker, large=large)
        case 2:
            return openai_plain(openai_sdk, marker, large=large)
        case _:
            return anthropic_plain(anthropic_sdk, marker, large=large)


class Failed(Exception):
    def __init__(self, i: int, exc: Exception):
        when = time.strftime("%H:%M:%S")
        super().__init__(f"request {i} ({KINDS[i % 4]}{', large' if is_large(i) else ''}) at {when}: {exc!r}"[:1500])


async def soak(proxies: dict) -> tuple[list[tuple[int, float, dict]], list[BaseException]]:
    openai_sdk = openai_client(proxies["openai→anthropic"])
    anthropic_sdk = anthropic_client(proxies["anthropic→openai"])
    gate = asyncio.Semaphore(CONCURRENCY)
    failures: list[BaseException] = []

    async def one(i: int) -> None:
        async with gate:
            try:
                await request_for(i, openai_sdk, anthropic_sdk)
            except Exception as exc:  # counted, and the first ones shown
                failures.append(Failed(i, exc))

    pids = {name: proxy.process.popen.pid for name, proxy in proxies.items()}
    series = [(0, 0.0, {name: rss_mb(pid) for name, pid in pids.items()})]
    started = time.monotonic()
    try:
        for block_start in range(0, TOTAL, BLOCK):
            await asyncio.gather(*(one(i) for i in range(block_start, block_start + BLOCK)))
            done = block_start + BLOCK
            rss = {name: rss_mb(pid) for name, pid in pids.items()}
            series.append((done, time.monotonic() - started, rss))
            print(
                f"  {done:6d} requests  {series[-1][1]:6.1f} s  "
                + "  ".join(f"{name} {mb:6.1f} MB" for name, mb in rss.items())
                + (f"  failures {len(failures)}" if failures else ""),
                flush=True,
            )
            if len(failures) > 20:
                break
    finally:
        await openai_sdk.close()
        await anthropic_sdk.close()
    return series, failures


@pytest.mark.load
@pytest.mark.timeout(1800)
def test_soak_10000_requests_memory_stays_flat(proxy_to_anthropic, proxy_to_openai):
    proxies = {"openai→anthropic": proxy_to_anthropic, "anthropic→openai": proxy_to_openai}
    cpu_before = {name: cpu_seconds(p.process.popen.pid) for name, p in proxies.items()}
    options = " ".join(f"--set {k}={v}" for k, v in extra_options().items()) or "default options"
    print(f"\nsoak: {TOTAL} requests, {CONCURRENCY} at a time, RSS after every {BLOCK} ({options}):")
    series, failures = asyncio.run(soak(proxies))
    done, elapsed, final = series[-1]
    warm = next(rss for n, _, rss in series if n == WARM_UP)
    cpu = {name: cpu_seconds(p.process.popen.pid) - cpu_before[name] for name, p in proxies.items()}
    print(f"soak: {done} requests in {elapsed:.0f} s ({done / elapsed:.0f} req/s), {len(failures)} failures")
    for name in proxies:
        drift = final[name] / warm[name] - 1
        print(
            f"  {name}: RSS at start {series[0][2][name]:.1f} MB, after {WARM_UP} {warm[name]:.1f} MB,"
            f" at the end {final[name]:.1f} MB ({drift:+.1%} since warm-up);"
            f" CPU {cpu[name]:.1f} s ({cpu[name] * 1000 / (done / 2):.1f} ms/request)"
        )
    assert not failures, f"{len(failures)} requests failed; first: {failures[:3]!r}"
    assert done == TOTAL
    for name in proxies:
        assert abs(final[name] / warm[name] - 1) <= TOLERANCE, (
            f"{name}: RSS {warm[name]:.1f} MB after warm-up, {final[name]:.1f} MB at the end"
        )
