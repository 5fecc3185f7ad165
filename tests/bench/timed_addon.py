"""A mitmproxy script: addons/anyrouter.py with every synchronous hook timed, for
`scripts/bench --hooks`.

    mitmdump -s tests/bench/timed_addon.py …

Each hook of each step of anyrouter's pipeline is wrapped to add its `perf_counter_ns` time to
a counter; stream callables installed in `responseheaders` are timed too, and the garbage
collector's pauses are counted through `gc.callbacks`. `GET /__bench/hook-times/reset` clears
the counters, `GET /__bench/hook-times` answers them as JSON (nanoseconds, calls).
"""

from __future__ import annotations

import collections
import functools
import gc
import importlib.util
import inspect
import json
import sys
import time
from pathlib import Path

from mitmproxy import http

# mitmproxy puts a script's own folder first on sys.path; this one holds modules (requests.py,
# client.py …) that must not shadow anything else's imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
ADDONS_DIR = Path(__file__).resolve().parents[2] / "addons"
sys.path.insert(0, str(ADDONS_DIR))
_spec = importlib.util.spec_from_file_location("anyrouter_timed_entry", ADDONS_DIR / "anyrouter.py")
_entry = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_entry)

HOOKS = ("requestheaders", "request", "responseheaders", "response", "error")
nanoseconds: collections.Counter[str] = collections.Counter()
calls: collections.Counter[str] = collections.Counter()
_gc_started = [0]


def _on_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter_ns()
    else:
        nanoseconds[f"garbage collector, generation {info['generation']}"] += time.perf_counter_ns() - _gc_started[0]
        calls[f"garbage collector, generation {info['generation']}"] += 1


gc.callbacks.append(_on_gc)


def _timed(name: str, func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        start = time.perf_counter_ns()
        try:
            return func(*args, **kwargs)
        finally:
            nanoseconds[name] += time.perf_counter_ns() - start
            calls[name] += 1

    return wrapper


class HookTimes:
    """First in the chain: answers the counters' endpoints."""

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.request.path == "/__bench/hook-times/reset":
            nanoseconds.clear()
            calls.clear()
            flow.response = http.Response.make(200, b"{}", {"content-type": "application/json"})
        elif flow.request.path == "/__bench/hook-times":
            body = json.dumps({"nanoseconds": nanoseconds, "calls": calls}).encode()
            flow.response = http.Response.make(200, body, {"content-type": "application/json"})


class StreamTimes:
    """Last in the chain: times whatever stream callable the addons installed."""

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        assert flow.response
        inner = flow.response.stream
        if callable(inner):
            flow.response.stream = _timed("stream callable (all body pieces)", inner)


def _timed_pipeline(pipeline):
    """The entry's pipeline rebuilt from its steps, each step's hooks timed."""
    for step in pipeline.steps:
        for hook in HOOKS:
            func = getattr(step, hook, None)
            if func is not None and not inspect.iscoroutinefunction(func):
                setattr(step, hook, _timed(f"{type(step).__name__}.{hook}", func))
    return type(pipeline)(pipeline.steps)


addons = [HookTimes(), _timed_pipeline(_entry.pipeline), StreamTimes()]
