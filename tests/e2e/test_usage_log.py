"""The usage log through a real mitmdump: real SDK traffic (anthropic and openai SDKs, streamed
and not, passed through and translated) lands in the SQLite file with the flow's facts; a
proxy killed with SIGKILL and started again on the same file still counts it in /stats; the
export at /stats/usage (the README's commands) and /dashboard/data; and no byte of any key
in the database, its WAL or its shared-memory file.

aimock (behind the recording relay) answers the `usagelog …` prompts of
tests/fixtures/aimock/usage_log.json, one of them with an error that quotes the client's key.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import anthropic
import openai
import pytest
from mitmproxy import io as mitm_io

from harness import LOOPBACK, ROOT, http_get

ANTHROPIC_KEY = "sk-ant-api03-Hx4Pq9Tz2Wm7-000a"
OPENAI_KEY = "sk-proj-Vb6Nc3Jr8Ye1Ls5-000b"
QUOTED_KEY = "sk-ant-api03-uLq7Rz2Nw8Kd-000c"  # tests/fixtures/aimock/usage_log.json quotes it
SERVER_KEY = "sk-ant-api03-Gf5Dx1Ma9Qe4-000d"
TOKEN = "tok-Pz3Wk8Rm1Yc6Hn2-000e"
SECRETS = (ANTHROPIC_KEY, OPENAI_KEY, QUOTED_KEY, SERVER_KEY, TOKEN)
MODEL = "claude-sonnet-4-6"
ANSWER = "Counted in the usage log."
USAGE_FIELDS = ("input", "cache_read", "cache_write", "output", "reasoning")
COMMIT_DEADLINE_S = 1.5  # rows are committed within half a second; a kill loses at most that


def pieces(secret: str, size: int = 8) -> set[str]:
    """Every run of `size` characters of `secret`: none may be anywhere (a fingerprint shows
    the `sk-` prefix and the last four characters, with `…` between them)."""
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


def assert_no_secret_in(blobs: dict[str, bytes]) -> None:
    leaks = [f"{where}: {piece!r} of {secret[-4:]}" for where, raw in blobs.items()
             for secret in SECRETS for piece in pieces(secret) if piece.encode() in raw]
    assert leaks == []


def database_files(db: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()}


def read_rows(db: Path) -> list[dict]:
    """The rows as any SQLite reader sees them (read-only, next to a running proxy)."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in connection.execute("SELECT * FROM requests ORDER BY time, id")]
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        connection.close()


def anthropic_client(proxy, key: str = ANTHROPIC_KEY) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key=key, max_retries=0)


def openai_client(proxy, key: str = OPENAI_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.url + "/v1", api_key=key, max_retries=0)


def ask_anthropic(proxy, text: str, stream: bool, key: str = ANTHROPIC_KEY) -> str:
    params = dict(model=MODEL, max_tokens=50, messages=[{"role": "user", "content": text}])
    client = anthropic_client(proxy, key)
    if stream:
        with client.messages.stream(**params) as events:
            return events.get_final_message().content[0].text
    return client.messages.create(**params).content[0].text


def ask_openai(proxy, text: str, stream: bool, key: str = OPENAI_KEY) -> str:
    params = dict(model=MODEL, messages=[{"role": "user", "content": text}])
    client = openai_client(proxy, key)
    if stream:
        chunks = client.chat.completions.create(stream=True, **params)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return client.chat.completions.create(**params).choices[0].message.content


def send_traffic(proxy, tag: str) -> None:
    """Four answers (each SDK, streamed and not) and one upstream error quoting the key; `tag`
    tells this test's requests from the others' at the shared upstream."""
    assert ask_anthropic(proxy, f"usagelog answer, anthropic plain {tag}", False) == ANSWER
    assert ask_anthropic(proxy, f"usagelog answer, anthropic stream {tag}", True) == ANSWER
    assert ask_openai(proxy, f"usagelog answer, openai plain {tag}", False) == ANSWER
    assert ask_openai(proxy, f"usagelog answer, openai stream {tag}", True) == ANSWER
    with pytest.raises(anthropic.PermissionDeniedError):
        ask_anthropic(proxy, f"usagelog quoted key {tag}", False, key=QUOTED_KEY)


# What each request of `send_traffic` must leave: (client protocol, path, stream, key, api route).
EXPECTED = [
    ("anthropic", "/v1/messages", 0, "sk-…000a", "anthropic-messages"),
    ("anthropic", "/v1/messages", 1, "sk-…000a", "anthropic-messages"),
    ("openai", "/v1/chat/completions", 0, "sk-…000b", "openai→anthropic"),
    ("openai", "/v1/chat/completions", 1, "sk-…000b", "openai→anthropic"),
    ("anthropic", "/v1/messages", 0, "sk-…000c", "anthropic-messages"),
]
QUOTED_MESSAGE = "API key sk-…000c may not use this model"


def get_json(proxy, path: str, headers: dict | None = None):
    status, body, _ = http_get(LOOPBACK, proxy.port, path, headers)
    assert status == 200, body
    return json.loads(body), body


def test_sdk_traffic_lands_in_the_usage_log_with_the_flows_facts(new_proxy, relay, tmp_path):
    db, flows_file = tmp_path / "logs" / "usage.sqlite3", tmp_path / "flows.mitm"
    proxy = new_proxy(relay.url, usage_db=str(db),
                      extra_args=["-w", str(flows_file), "--set", "store_streamed_bodies=true"])
    began = time.time()
    send_traffic(proxy, "facts")
    ended = time.time()
    # The upstream was asked on its own protocol's path: the openai requests were translated.
    assert [relay.only(f"usagelog answer, openai {mode} facts").path for mode in ("plain", "stream")] == [
        "/v1/messages", "/v1/messages"]

    board, board_raw = get_json(proxy, "/dashboard/data")
    assert (board["totals"]["requests"], board["totals"]["errors"]) == (5, 1)
    assert sorted((t["name"], t["requests"]) for t in board["by_key"]) == [
        ("sk-…000a", 2), ("sk-…000b", 2), ("sk-…000c", 1)]
    assert [e["error_message"] for e in board["recent_errors"]] == [QUOTED_MESSAGE]
    assert sum(point["requests"] for point in board["per_minute"]) == 5
    exported, export_raw = get_json(proxy, f"/stats/usage?since={began - 1}")
    proxy.stop()  # mitmdump closes the log (and writes the flow file)

    rows = read_rows(db)
    assert [(r["client_protocol"], r["path"], r["stream"], r["key"], r["api_route"]) for r in rows] == EXPECTED
    for row in rows:
        assert began - 1 < row["time"] < ended
        assert 0 < row["ttfb_ms"] <= row["duration_ms"] < (ended - began) * 1000
        assert (row["model"], row["upstream_model"], row["upstream"], row["route"]) == (MODEL, MODEL, LOOPBACK, None)
        assert row["estimated"] == 0
    assert [(r["status"], r["error_type"], r["error_message"]) for r in rows] == [(200, None, None)] * 4 + [
        (403, "permission_error", QUOTED_MESSAGE)]
    assert [row["time"] for row in exported["rows"]] == [row["time"] for row in rows]

    with open(flows_file, "rb") as file:
        flows = [f for f in mitm_io.FlowReader(file).stream() if f.request.path.startswith("/v1/")]
    assert len(flows) == 5
    for row, flow in zip(rows, flows):
        shown = flow.metadata["anyrouter"]
        assert row["time"] == pytest.approx(flow.request.timestamp_start, abs=1e-6)
        assert row["status"] == flow.response.status_code and row["key"] == shown["key"]
        usage = shown.get("usage")
        if usage is not None:  # the usage meter has filled it: the row holds the same figures
            assert {name: row[name] for name in USAGE_FIELDS} == {name: usage.get(name) for name in USAGE_FIELDS}
            assert row["estimated"] == int(bool(usage.get("estimated")))
        else:
            assert all(name in row for name in USAGE_FIELDS)

    assert_no_secret_in({**database_files(db), "/dashboard/data": board_raw, "/stats/usage": export_raw})


def test_a_killed_proxy_loses_nothing_committed_and_a_restart_counts_it(new_proxy, relay, tmp_path):
    db = tmp_path / "usage.sqlite3"
    first = new_proxy(relay.url, usage_db=str(db))
    send_traffic(first, "killed")
    # Committed by the writer within its interval, with nothing asking it to flush.
    deadline = time.monotonic() + COMMIT_DEADLINE_S
    while len(read_rows(db)) < 5:
        assert time.monotonic() < deadline, f"{len(read_rows(db))} rows after {COMMIT_DEADLINE_S} s"
        time.sleep(0.02)
    popen = first.process.popen
    os.kill(popen.pid, signal.SIGKILL)  # mitmdump itself: no `done`, no flush, no checkpoint
    assert popen.wait(timeout=10) == -signal.SIGKILL
    files = database_files(db)
    assert set(files) == {"usage.sqlite3", "usage.sqlite3-wal", "usage.sqlite3-shm"}  # WAL, not checkpointed
    assert_no_secret_in(files)

    second = new_proxy(relay.url, usage_db=str(db), upstream_keys=SERVER_KEY, access_tokens=TOKEN)
    status, refused, _ = http_get(LOOPBACK, second.port, "/stats")
    assert status == 401 and json.loads(refused)["error"]["type"] == "authentication_error"
    for path in ("/stats/usage", "/dashboard/data"):
        assert http_get(LOOPBACK, second.port, path)[0] == 401
    token = {"authorization": f"Bearer {TOKEN}"}
    stats, _ = get_json(second, "/stats", token)
    assert (stats["requests"], stats["errors"], stats["success_rate"]) == (5, 1, 0.8)
    assert stats["routes"] == {
        "anthropic-messages": {"requests": 3, "by_status": {"200": 2, "403": 1}},
        "openai→anthropic": {"requests": 2, "by_status": {"200": 2}},
    }
    assert set(stats["usage"]) == set(USAGE_FIELDS)

    assert ask_anthropic(second, "usagelog answer, after the restart", False, key=TOKEN) == ANSWER
    assert relay.only("usagelog answer, after the restart").headers["x-api-key"] == SERVER_KEY
    stats, stats_raw = get_json(second, "/stats", token)
    assert stats["requests"] == 6 and stats["keys"]["sk-…000d"]["successes"] == 1

    exported, export_raw = get_json(second, "/stats/usage", token)
    assert [r["key"] for r in exported["rows"]] == [e[3] for e in EXPECTED] + ["sk-…000d"]
    status, as_csv, headers = http_get(LOOPBACK, second.port, "/stats/usage?format=csv", token)
    assert status == 200 and headers["content-type"] == "text/csv; charset=utf-8"
    table = list(csv.DictReader(io.StringIO(as_csv.decode())))
    assert [r["key"] for r in table] == [r["key"] for r in exported["rows"]]
    assert [r["status"] for r in table] == ["200", "200", "200", "200", "403", "200"]
    assert table[4]["error_message"] == QUOTED_MESSAGE
    board, board_raw = get_json(second, "/dashboard/data", token)
    assert [k["label"] for k in board["keys"]] == ["sk-…000d"] and board["keys"][0]["healthy"] is True
    second.stop()
    assert_no_secret_in({**database_files(db), "/stats": stats_raw, "/stats/usage": export_raw + as_csv,
                         "/dashboard/data": board_raw})


README_EXPORT = (
    "curl -s 'http://localhost:8088/stats/usage?since=2026-12-01T00:00:00Z&format=csv' -o usage.csv\n"
    "curl -s 'http://localhost:8088/stats/usage?since=1764547200&until=1764633600'\n"
)


def test_the_readmes_export_commands(new_proxy, relay, tmp_path):
    """The Usage log section's curl lines, run against a proxy: the same rows as the store's
    own export of the same range, CSV to the file, JSON on stdout."""
    assert README_EXPORT in (ROOT / "README.md").read_text()
    proxy = new_proxy(relay.url)  # usage_db off: the log in memory answers the same way
    assert ask_openai(proxy, "usagelog answer, readme export", False) == ANSWER
    script = README_EXPORT.replace("http://localhost:8088", proxy.url)
    done = subprocess.run(["bash", "-euc", script], cwd=tmp_path, capture_output=True, text=True, timeout=30,
                          env={**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})
    assert done.returncode == 0, done.stderr
    as_json = json.loads(done.stdout)
    assert (as_json["since"], as_json["until"]) == (1764547200.0, 1764633600.0)
    expected_json, _ = get_json(proxy, "/stats/usage?since=1764547200&until=1764633600")
    assert as_json == expected_json
    _, expected_csv, _ = http_get(LOOPBACK, proxy.port, "/stats/usage?since=2026-12-01T00:00:00Z&format=csv")
    assert (tmp_path / "usage.csv").read_bytes() == expected_csv
    header = next(csv.reader(io.StringIO(expected_csv.decode())))
    assert header[:3] == ["time", "duration_ms", "ttfb_ms"]
