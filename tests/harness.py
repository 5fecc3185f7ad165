"""Starting and stopping the real processes the end-to-end tests talk to.

Every process gets a free loopback port and its own process group, is ready when its
readiness URL answers (polled, never a fixed sleep), and is stopped with its whole group.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PEERS_BIN = ROOT / ".peers" / "node_modules" / ".bin"
AIMOCK_CLI = ROOT / ".peers" / "node_modules" / "@copilotkit" / "aimock" / "dist" / "cli.js"
ADDON = ROOT / "addons" / "anyrouter.py"
READY_TIMEOUT = 60.0
POLL_INTERVAL = 0.05

LOOPBACK = "127.0.0.1"
# The only keys the keyed aimock accepts (tests/conftest.py: keyed_aimock).
GOOD_UPSTREAM_KEYS = ("sk-ant-good-key-00000002", "sk-ant-good-key-00000003")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child: no proxy variables, so loopback traffic stays direct."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def http_get(url_host: str, port: int, path: str, headers: dict | None = None, timeout: float = 5):
    """(status, body bytes, headers) of a plain GET; raises OSError when nothing listens."""
    conn = http.client.HTTPConnection(url_host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


class Process:
    """A started child process in its own process group, with its output in a log file."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict | None = None, cwd: Path | None = None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env or clean_env(),
            cwd=cwd or ROOT,
            start_new_session=True,
        )

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_until(self, ready: Callable[[], bool], timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.popen.returncode} before it was ready:\n"
                    f"{self.log_text()[-4000:]}"
                )
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(POLL_INTERVAL)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.log_text()[-4000:]}")

    def stop(self) -> None:
        stop_process_group(self.popen)
        self._log.close()


def stop_process_group(popen: subprocess.Popen) -> None:
    """SIGTERM to the child's whole process group, SIGKILL if it lingers past 10 s."""
    if popen.poll() is not None:
        return
    try:
        os.killpg(popen.pid, signal.SIGTERM)
        popen.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(popen.pid, signal.SIGKILL)
        popen.wait(timeout=10)
    except ProcessLookupError:
        pass


def status_is_200(port: int, path: str) -> Callable[[], bool]:
    # /health may take its upstream probe time (2 s) to answer when the upstream hangs
    return lambda: http_get(LOOPBACK, port, path, timeout=5)[0] == 200


class Aimock:
    """aimock, a scripted upstream that answers both protocols on one port."""

    def __init__(self, fixtures: Path, log_dir: Path, api_keys: str | None = None, extra_args: list[str] | None = None):
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        env = clean_env(AIMOCK_API_KEYS=api_keys) if api_keys else clean_env()
        # With API keys on, only /health stays public, and the journal needs one of the keys.
        self._journal_headers = {"x-api-key": api_keys.split(",")[0]} if api_keys else {}
        self.process = Process(
            "aimock",
            ["node", str(AIMOCK_CLI), "-h", LOOPBACK, "-p", str(self.port), "-f", str(fixtures),
             "--log-level", "warn", *(extra_args or [])],
            log_dir / f"aimock-{self.port}.log",
            env=env,
        )
        self.process.wait_until(status_is_200(self.port, "/health" if api_keys else "/__aimock/health"))

    def journal(self) -> list[dict]:
        status, body, _ = http_get(LOOPBACK, self.port, "/__aimock/journal", self._journal_headers)
        assert status == 200, body
        return json.loads(body)

    def stop(self) -> None:
        self.process.stop()


class LlamaServer:
    """llama.cpp's server (xllamacpp) with SmolLM2-135M: a real model on loopback."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.process = Process(
            "llama.cpp",
            [sys.executable, str(ROOT / "tests" / "llama_server.py"), str(self.port)],
            log_dir / f"llama-{self.port}.log",
        )
        self.process.wait_until(status_is_200(self.port, "/health"), timeout=120)

    def stop(self) -> None:
        self.process.stop()


class Mitmdump:
    """A real `mitmdump -s addons/anyrouter.py` in reverse mode in front of `upstream`."""

    def __init__(self, upstream: str, log_dir: Path, options: dict[str, str] | None = None, extra_args: list[str] | None = None):
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        argv = [
            str(VENV_BIN / "mitmdump"),
            "-s", str(ADDON),
            "--mode", f"reverse:{upstream}@{LOOPBACK}:{self.port}",
            "--set", "connection_strategy=lazy",
            "--set", "termlog_verbosity=info",
            "--set", "flow_detail=0",
        ]
        for name, value in (options or {}).items():
            argv += ["--set", f"{name}={value}"]
        argv += extra_args or []
        self.process = Process("mitmdump", argv, log_dir / f"mitmdump-{self.port}.log")
        self.process.wait_until(status_is_200(self.port, "/health"))

    def log_text(self) -> str:
        return self.process.log_text()

    def stop(self) -> None:
        self.process.stop()


def run_client(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    """Runs a command-line client (Claude Code, Qwen Code) to completion, stdin closed."""
    return subprocess.run(
        argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


def run_claude(args: list[str], *, proxy_url: str, home: Path, cwd: Path) -> subprocess.CompletedProcess:
    """Claude Code with the proxy as its Anthropic base URL and no traffic of its own."""
    env = clean_env(
        HOME=str(home),
        ANTHROPIC_BASE_URL=proxy_url,
        ANTHROPIC_API_KEY="sk-ant-claude-code-a2o-0001",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
    )
    return run_client([str(PEERS_BIN / "claude"), *args], env, cwd, timeout=120)


def read_until(response, marker: bytes) -> bytes:
    """Reads a streamed http.client response until `marker` has arrived; fails if it ends first."""
    seen = b""
    while marker not in seen:
        piece = response.read1(65536)
        assert piece, f"stream ended before {marker!r}; got {seen!r}"
        seen += piece
    return seen
