"""`scripts/bench --hooks`: where the addon's CPU time goes, hook by hook.

For each route and mode, a mitmdump running tests/bench/timed_addon.py (the addon chain with
every hook timed) gets a batch of sequential requests; the table lists each hook's time per
request, the stream callable's, the garbage collector's pauses, and the process's CPU time
per request for comparison (the rest is mitmproxy's own work).
"""

from __future__ import annotations

import json
from pathlib import Path

from harness import LOOPBACK, VENV_BIN, Process, free_port, http_get, status_is_200

from .client import Connection, routes, send
from .procs import cpu_seconds

TIMED_ADDON = Path(__file__).resolve().parent / "timed_addon.py"


def run(aimock_url: str, log_dir: Path, requests: int, options: dict[str, str], top: int = 8) -> list[str]:
    lines = []
    for stream in (False, True):
        for route in routes(stream):
            port = free_port()
            process = Process(
                "timed mitmdump",
                [str(VENV_BIN / "mitmdump"), "-s", str(TIMED_ADDON),
                 "--mode", f"reverse:{aimock_url}@{LOOPBACK}:{port}",
                 "--set", "connection_strategy=lazy", "--set", "flow_detail=0",
                 "--set", "termlog_verbosity=info", "--set", f"upstream_protocol={route.upstream_protocol}",
                 *(arg for k, v in options.items() for arg in ("--set", f"{k}={v}"))],
                log_dir / f"timed-mitmdump-{port}.log",
            )
            try:
                process.wait_until(status_is_200(port, "/health"))
                conn = Connection(LOOPBACK, port, timeout=60)
                for _ in range(max(10, requests // 10)):
                    send(conn, route.through_addon)
                http_get(LOOPBACK, port, "/__bench/hook-times/reset")
                cpu_before = cpu_seconds(process.popen.pid)
                for _ in range(requests):
                    send(conn, route.through_addon)
                cpu_ms = (cpu_seconds(process.popen.pid) - cpu_before) * 1000 / requests
                times = json.loads(http_get(LOOPBACK, port, "/__bench/hook-times")[1])["nanoseconds"]
                conn.close()
            finally:
                process.stop()
            hooks = {k: v for k, v in times.items() if not k.startswith("garbage")}
            collector = sum(v for k, v in times.items() if k.startswith("garbage"))
            in_hooks = sum(hooks.values())
            lines.append(
                f"{route.name}, {'stream' if stream else 'json'}: CPU {cpu_ms:.2f} ms/request, of which in the"
                f" addon's hooks {in_hooks / 1e6 / requests:.2f} ms, garbage collector {collector / 1e6 / requests:.2f} ms"
            )
            for name, ns in sorted(hooks.items(), key=lambda kv: -kv[1])[:top]:
                lines.append(f"    {ns / 1e3 / requests:8.0f} µs  {name}")
    return lines
