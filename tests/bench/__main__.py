"""`scripts/bench`: measurements printed side by side in one run, never asserted on.

    scripts/bench            # the full run, a few minutes on a 2-core machine
    scripts/bench --quick    # the same tables from far fewer requests, to try it out
    scripts/bench --hooks    # also: the addon's CPU time per request, hook by hook
    scripts/bench --set upstream_timeout=0   # options for the addon's mitmdumps (A/B a change)

Everything is loopback: aimock, a paced SSE upstream, bare mitmdump and mitmdump with the
addon are started on free ports in their own process groups and stopped at the end.
BENCHMARKS.md explains each figure.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

from . import hook_times, round_trip, stream_delay, translation, usage_db
from .client import routes
from .procs import AddonMitmdump, BareMitmdump, PacedUpstream, bench_aimock, rss_mb

TARGETS = {
    "pass-through CPU": 1.15,
    "translation CPU (80 KB request)": 1.3,
    "added delay per event, p99": 2.0,
}


USAGE_OFF = "addon, usage_db off → aimock"
USAGE_ON = "addon, usage_db on (a file) → aimock"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def header(argv: list[str]) -> None:
    affinity = len(os.sched_getaffinity(0))
    print(f"$ scripts/bench {shlex.join(argv)}".rstrip())
    print(
        f"cores: {os.cpu_count()} (usable by this process: {affinity}) · load average {load_average()}"
        f" · Python {sys.version.split()[0]} · mitmproxy {version('mitmproxy')}"
    )
    print()


def start_all(log_dir: Path, events: int, pace_ms: float, addon_options: dict[str, str]) -> dict:
    """Every process, started side by side (each waits for its own readiness)."""
    procs: dict = {}
    with ThreadPoolExecutor(2) as pool:
        upstreams = {"aimock": pool.submit(bench_aimock, log_dir),
                     "paced": pool.submit(PacedUpstream, log_dir, events, pace_ms)}
    failed = [future.exception() for future in upstreams.values() if future.exception() is not None]
    procs.update({name: future.result() for name, future in upstreams.items() if future.exception() is None})
    if failed:
        stop_all(procs)
        raise failed[0]
    aimock_url, paced_url = procs["aimock"].url, procs["paced"].url
    starters = {
        "bare mitmdump → aimock": lambda: BareMitmdump(aimock_url, log_dir, "/__aimock/health"),
        "bare mitmdump, stream_large_bodies=1 → aimock": lambda: BareMitmdump(
            aimock_url, log_dir, "/__aimock/health", {"stream_large_bodies": "1"}),
        "addon (upstream anthropic) → aimock": lambda: AddonMitmdump(aimock_url, log_dir, {"upstream_protocol": "anthropic", **addon_options}),
        "addon (upstream openai) → aimock": lambda: AddonMitmdump(aimock_url, log_dir, {"upstream_protocol": "openai", **addon_options}),
        "addon (upstream responses) → aimock": lambda: AddonMitmdump(
            aimock_url, log_dir, {"upstream_protocol": "responses", **addon_options}),
        "addon (upstream gemini) → aimock": lambda: AddonMitmdump(
            aimock_url, log_dir, {"upstream_protocol": "gemini", **addon_options}),
        # A pair alike but for the usage log: in memory only, or also in a file.
        USAGE_OFF: lambda: AddonMitmdump(aimock_url, log_dir, {"upstream_protocol": "anthropic", **addon_options,
                                                               "usage_db": ""}),
        USAGE_ON: lambda: AddonMitmdump(aimock_url, log_dir, {"upstream_protocol": "anthropic", **addon_options,
                                                              "usage_db": str(log_dir / "bench-usage.sqlite3")}),
        "bare mitmdump, stream_large_bodies=1 → paced": lambda: BareMitmdump(
            paced_url, log_dir, "/health", {"stream_large_bodies": "1"}),
        "addon (upstream anthropic) → paced": lambda: AddonMitmdump(paced_url, log_dir, {"upstream_protocol": "anthropic", **addon_options}),
        "addon (upstream openai) → paced": lambda: AddonMitmdump(paced_url, log_dir, {"upstream_protocol": "openai", **addon_options}),
    }
    with ThreadPoolExecutor(3) as pool:
        futures = {name: pool.submit(start) for name, start in starters.items()}
    # The pool has waited for every start: stop all that started if any one failed.
    failed = [future.exception() for future in futures.values() if future.exception() is not None]
    procs.update({name: future.result() for name, future in futures.items() if future.exception() is None})
    if failed:
        stop_all(procs)
        raise failed[0]
    return procs


def stop_all(procs: dict) -> None:
    for proc in procs.values():
        proc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="far fewer requests: to try it out")
    parser.add_argument("--hooks", action="store_true", help="also time the addon's hooks one by one")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a mitmproxy option for every mitmdump with the addon (repeatable)")
    args = parser.parse_args()
    addon_options = dict(pair.split("=", 1) for pair in args.set)
    header(sys.argv[1:])

    rounds, per_round = (2, 10) if args.quick else (4, 50)
    delay_rounds, streams_per_round, events, pace_ms = (2, 2, 20, 4) if args.quick else (4, 5, 50, 4)
    began = time.monotonic()

    print("Translation of large requests in-process (parse + translate + serialise):")
    for line in translation.run(runs=50 if args.quick else 300):
        print("  " + line)
    print()

    with tempfile.TemporaryDirectory(prefix="anyrouter-bench-") as tmp:
        procs = start_all(Path(tmp), events, pace_ms, addon_options)
        print("Processes (loopback, each in its own process group, all stopped at the end):")
        print("  aimock -f tests/fixtures/aimock/bench.json; paced upstream (python -m bench.paced_upstream)")
        print("  bare:  mitmdump --mode reverse:UPSTREAM@127.0.0.1:PORT --set connection_strategy=lazy"
              " --set flow_detail=0 [--set stream_large_bodies=1]")
        print("  addon: the same with -s addons/anyrouter.py --set upstream_protocol=anthropic|openai|responses|gemini"
              + "".join(f" --set {k}={v}" for k, v in addon_options.items()))
        print()
        try:
            aimock = procs["aimock"]
            addon_for = {
                "anthropic": procs["addon (upstream anthropic) → aimock"],
                "openai": procs["addon (upstream openai) → aimock"],
                "responses": procs["addon (upstream responses) → aimock"],
                "gemini": procs["addon (upstream gemini) → aimock"],
            }
            results = []
            for stream in (False, True):
                for route in routes(stream):
                    if stream:
                        bare = procs["bare mitmdump, stream_large_bodies=1 → aimock"]
                        bare_buffering = procs["bare mitmdump → aimock"]
                    else:
                        bare, bare_buffering = procs["bare mitmdump → aimock"], None
                    results.append(round_trip.measure(
                        route, stream, aimock.port, bare, addon_for[route.upstream_protocol],
                        rounds, per_round, bare_buffering))
            print(
                f"Round trips to aimock: {rounds * per_round} sequential requests per cell over keep-alive,"
                f" wall time in ms; CPU = the proxy process's utime+stime per request."
            )
            print("direct and bare mitmdump get the request in the upstream's protocol; the addon gets the client's.")
            print("Streamed rows: bare mitmdump with stream_large_bodies=1, which streams as the addon does.")
            for line in round_trip.table(results):
                print("  " + line)
            print()

            usage_results = [
                usage_db.measure(routes(stream)[0], stream, procs[USAGE_OFF], procs[USAGE_ON], rounds * 2, per_round)
                for stream in (False, True)
            ]
            print(
                f"The usage log: {rounds * 2 * per_round} requests per cell, alternating between two addon mitmdumps"
                " alike but for usage_db (off: in memory only; on: a file in the temp dir):"
            )
            for line in usage_db.table(usage_results):
                print("  " + line)
            print()

            delay_routes = stream_delay.targets(
                procs["paced"].port,
                procs["bare mitmdump, stream_large_bodies=1 → paced"].port,
                procs["addon (upstream anthropic) → paced"].port,
                procs["addon (upstream openai) → paced"].port,
            )
            stream_delay.measure(delay_routes, delay_rounds, streams_per_round, events)
            n_events = delay_rounds * streams_per_round * events
            print(
                f"Delay of each streamed event, upstream write → client read, in ms ({n_events} events per cell,"
                f" {events} per stream, one every {pace_ms} ms):"
            )
            for line in stream_delay.table(delay_routes):
                print("  " + line)
            print()

            print("RSS of each proxy process after the run:")
            for name, proc in procs.items():
                if hasattr(proc, "pid"):
                    print(f"  {name:<46} {rss_mb(proc.pid):7.1f} MB")
            print()

            print("Targets (printed, not asserted):")
            for line in verdicts(results, delay_routes) + usage_db.verdicts(usage_results):
                print("  " + line)

            if args.hooks:
                print()
                print("Where the addon's CPU time goes (tests/bench/timed_addon.py: every hook timed), per request:")
                for line in hook_times.run(aimock.url, Path(tmp), 50 if args.quick else 300, addon_options):
                    print("  " + line)
        finally:
            stop_all(procs)
    print()
    print(f"took {time.monotonic() - began:.0f} s · load average at the end {load_average()}")


def verdicts(results: list, delay_routes: dict) -> list[str]:
    lines = []
    for res in results:
        bare_cpu = res.bare.cpu_ms_per_request()
        if not bare_cpu:  # too few requests for one clock tick (--quick on a fast machine)
            continue
        cpu = res.addon.cpu_ms_per_request() / bare_cpu
        if res.route.startswith("pass-through"):
            limit = TARGETS["pass-through CPU"]
        elif res.route.startswith("openai→anthropic"):
            limit = TARGETS["translation CPU (80 KB request)"]
        else:
            continue
        mode = "stream" if res.stream else "json"
        lines.append(f"CPU addon/bare {res.route}, {mode}: {cpu:.2f}× (target ≤ {limit}×) {'met' if cpu <= limit else 'MISSED'}")
    limit = TARGETS["added delay per event, p99"]
    for name, (_, bare, addon) in delay_routes.items():
        added = stream_delay.percentile(addon.delays, 0.99) - stream_delay.percentile(bare.delays, 0.99)
        lines.append(f"added delay per event, p99, {name}: {added:.2f} ms (target ≤ {limit} ms) {'met' if added <= limit else 'MISSED'}")
    return lines


if __name__ == "__main__":
    main()
