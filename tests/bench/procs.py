"""The processes a benchmark runs, and what /proc says about them (CPU time, RSS)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from harness import LOOPBACK, ROOT, VENV_BIN, Aimock, Mitmdump, Process, clean_env, free_port, status_is_200

BENCH_FIXTURES = ROOT / "tests" / "fixtures" / "aimock" / "bench.json"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of `pid` so far (/proc/<pid>/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    """Resident set size of `pid` in MB (VmRSS in /proc/<pid>/status)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class BareMitmdump:
    """`mitmdump` in reverse mode with no script: the baseline the addon is compared with.

    `ready_path` is a GET the upstream answers with 200 (bare mitmdump has no /health of its
    own). `extra` adds options, e.g. `stream_large_bodies=1`, without which bare mitmdump
    holds every response until it is complete.
    """

    def __init__(self, upstream: str, log_dir: Path, ready_path: str, extra: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        argv = [
            str(VENV_BIN / "mitmdump"),
            "--mode", f"reverse:{upstream}@{LOOPBACK}:{self.port}",
            "--set", "connection_strategy=lazy",
            "--set", "termlog_verbosity=info",
            "--set", "flow_detail=0",
        ]
        for name, value in (extra or {}).items():
            argv += ["--set", f"{name}={value}"]
        self.process = Process("bare mitmdump", argv, log_dir / f"bare-mitmdump-{self.port}.log")
        self.process.wait_until(status_is_200(self.port, ready_path))

    @property
    def pid(self) -> int:
        return self.process.popen.pid

    def stop(self) -> None:
        self.process.stop()


class AddonMitmdump(Mitmdump):
    """`mitmdump -s addons/anyrouter.py` (the tests' own helper), with its pid at hand."""

    @property
    def pid(self) -> int:
        return self.process.popen.pid


class PacedUpstream:
    """bench/paced_upstream.py as its own process (its own GIL, like a real upstream)."""

    def __init__(self, log_dir: Path, events: int, pace_ms: float):
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        env = clean_env(PYTHONPATH=str(ROOT / "tests"))
        self.process = Process(
            "paced upstream",
            [sys.executable, "-m", "bench.paced_upstream", str(self.port), str(events), str(pace_ms)],
            log_dir / f"paced-{self.port}.log",
            env=env,
        )
        self.process.wait_until(status_is_200(self.port, "/health"))

    def stop(self) -> None:
        self.process.stop()


def bench_aimock(log_dir: Path) -> Aimock:
    return Aimock(BENCH_FIXTURES, log_dir)
