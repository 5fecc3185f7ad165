"""README command 1, `scripts/serve`, really starts a proxy that answers and saves flows, and
keeps the usage log beside them."""

import json
import sqlite3

import anthropic
from mitmproxy import io

from harness import LOOPBACK, ROOT, Process, clean_env, free_port, http_get, status_is_200


def serve(log_dir, upstream: str, port: int, *args: str, **env: str) -> Process:
    process = Process(
        "scripts/serve",
        [str(ROOT / "scripts" / "serve"), upstream, *args],
        log_dir / f"serve-{port}.log",
        env=clean_env(ANYROUTER_PORT=str(port), **env),
    )
    process.wait_until(status_is_200(port, "/health"))
    return process


def test_serve_starts_the_proxy_in_front_of_the_given_upstream(aimock, log_dir, tmp_path):
    port = free_port()
    process = serve(log_dir, aimock.url, port, "--set", "upstream_protocol=openai", ANYROUTER_SAVE_FLOWS="0",
                    ANYROUTER_FLOWS_DIR=str(tmp_path))
    try:
        status, body, _ = http_get(LOOPBACK, port, "/health")
        health = json.loads(body)
        assert health["upstream"] == aimock.url
        assert health["upstream_protocol"] == "openai"
        assert health["status"] == "ok"
    finally:
        process.stop()
    assert "saving flows" not in process.log_text()


def test_serve_saves_flows_with_keys_redacted_by_default(aimock, log_dir, tmp_path):
    port = free_port()
    process = serve(log_dir, aimock.url, port, ANYROUTER_FLOWS_DIR=str(tmp_path))
    key = "sk-ant-serve-saved-key-00042"
    try:
        anthropic.Anthropic(base_url=f"http://{LOOPBACK}:{port}", api_key=key, max_retries=0).messages.create(
            model="claude-sonnet-4-6", max_tokens=20, messages=[{"role": "user", "content": "pass-through hello serve"}]
        )
    finally:
        process.stop()
    line = next(l for l in process.log_text().splitlines() if "saving flows to" in l)
    saved = line.split("saving flows to ", 1)[1].split(" (open with", 1)[0]
    assert saved.startswith(f"{tmp_path}/anyrouter-")
    raw = open(saved, "rb").read()
    assert key.encode() not in raw
    with open(saved, "rb") as file:
        flows = [f for f in io.FlowReader(file).stream() if f.request.path == "/v1/messages"]
    assert [f.request.headers["x-api-key"] for f in flows] == ["sk-…0042"]
    # The usage log beside the flows, by default.
    assert f"anyrouter: usage log in {tmp_path}/usage.sqlite3" in process.log_text()
    with sqlite3.connect(tmp_path / "usage.sqlite3") as db:
        assert db.execute("SELECT path, key, status FROM requests").fetchall() == [("/v1/messages", "sk-…0042", 200)]
    assert key.encode() not in (tmp_path / "usage.sqlite3").read_bytes()


def test_serve_keeps_the_usage_log_where_the_arguments_say(aimock, log_dir, tmp_path):
    port = free_port()
    mine = tmp_path / "mine" / "usage.sqlite3"
    process = serve(log_dir, aimock.url, port, "--set", f"usage_db={mine}", ANYROUTER_SAVE_FLOWS="0",
                    ANYROUTER_FLOWS_DIR=str(tmp_path))
    try:
        anthropic.Anthropic(base_url=f"http://{LOOPBACK}:{port}", api_key="sk-ant-serve-usage-key-0043",
                            max_retries=0).messages.create(
            model="claude-sonnet-4-6", max_tokens=20, messages=[{"role": "user", "content": "pass-through hello serve"}]
        )
    finally:
        process.stop()
    assert "anyrouter: usage log in" not in process.log_text()
    assert not (tmp_path / "usage.sqlite3").exists()
    with sqlite3.connect(mine) as db:
        assert db.execute("SELECT key FROM requests").fetchall() == [("sk-…0043",)]
