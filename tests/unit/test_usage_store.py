"""The usage log's store: batched commits off the caller's thread, WAL, schema upgrades in
place, the queries behind /stats and the dashboard, and the in-memory mode's pruning."""

from __future__ import annotations

import logging
import os
import sqlite3
import time

import pytest

from anyrouter_addons import usage_store
from anyrouter_addons.usage_store import MIGRATIONS, SCHEMA_VERSION, UsageStore, UsageStoreError

NOW = 1_764_650_000.0  # 2025-12-02 04:33:20 UTC, a minute start + 20 s
MINUTE = (NOW // 60) * 60


def row(at: float, **fields) -> dict:
    return {"time": at, "duration_ms": 10.0, "ttfb_ms": 4.0, "client_protocol": "anthropic", "upstream": "relay",
            "model": "claude-sonnet-4-6", "upstream_model": "claude-sonnet-4-6", "key": "sk-…0001", "status": 200,
            "input": 3, "cache_read": 1, "cache_write": 0, "output": 5, "reasoning": 0, "path": "/v1/messages",
            "api_route": "anthropic-messages", **fields}


def count(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM requests").fetchone()[0]


def poll(predicate, seconds: float = 5.0, interval: float = 0.005):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def store(tmp_path):
    opened = UsageStore(str(tmp_path / "usage.sqlite3"))
    yield opened
    opened.close()


# -- writing --------------------------------------------------------------------------------


def test_rows_arrive_in_one_batch_within_the_commit_interval_without_a_flush(store):
    started = time.monotonic()
    for i in range(100):
        store.add(row(NOW + i))
    seen = poll(lambda: count(store.path))
    elapsed = time.monotonic() - started
    assert seen == 100  # the first commit the reader sees holds every row: one transaction
    assert usage_store.COMMIT_INTERVAL_S * 0.8 <= elapsed < usage_store.COMMIT_INTERVAL_S + 0.5


def test_a_full_batch_is_committed_at_once(store, monkeypatch):
    monkeypatch.setattr(usage_store, "COMMIT_INTERVAL_S", 30.0)
    for i in range(usage_store.MAX_BATCH):
        store.add(row(NOW + i))
    assert poll(lambda: count(store.path), seconds=5) == usage_store.MAX_BATCH


def test_queries_see_every_row_added_before_them(store):
    for i in range(7):
        store.add(row(NOW + i))
    assert store.totals()["requests"] == 7  # flushed first: no waiting for the interval
    assert len(store.export()) == 7


def test_close_commits_what_is_queued(tmp_path):
    store = UsageStore(str(tmp_path / "usage.sqlite3"))
    for i in range(3):
        store.add(row(NOW + i))
    store.close()
    assert count(tmp_path / "usage.sqlite3") == 3
    store.add(row(NOW))  # after close: dropped, never an error
    store.flush()


def test_the_file_is_in_wal_mode_and_readers_do_not_wait_for_a_writer(store):
    store.add(row(NOW))
    store.flush()
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert os.path.exists(store.path + "-wal") and os.path.exists(store.path + "-shm")
    # Another writer holds the write lock: a query still answers, from the last commit.
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO requests (time) VALUES (1)")
    started = time.monotonic()
    assert store.totals()["requests"] == 1
    assert time.monotonic() - started < 1
    other.execute("ROLLBACK")
    other.close()


def test_missing_fields_are_null_and_flags_zero(store):
    store.add({"time": NOW})
    [saved] = store.export()
    assert saved == {name: None for name in usage_store.COLUMNS} | {"time": NOW, "estimated": 0, "stream": 0}


def test_a_failed_write_is_logged_once_and_never_raises(store, caplog):
    store.add(row(NOW))
    store.flush()
    with sqlite3.connect(store.path) as db:  # someone breaks the file under the proxy
        db.execute("DROP TABLE requests")
    with caplog.at_level(logging.ERROR, logger="anyrouter"):
        for i in range(3):
            store.add(row(NOW + i))
            store.flush()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"anyrouter: usage log {store.path}: cannot write: no such table: requests; 1 row dropped")


def test_a_path_with_tilde_and_missing_directories(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    store = UsageStore("~/deep/er/usage.sqlite3")
    try:
        assert store.path == str(tmp_path / "deep" / "er" / "usage.sqlite3")
        store.add(row(NOW))
        store.flush()
        assert count(store.path) == 1
    finally:
        store.close()


# -- what a file must be ----------------------------------------------------------------------


def make_version_1(path) -> None:
    """A usage log as schema 1 left it: no `api_route` column."""
    db = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO requests (time, model, status, input, output) VALUES (?, 'old-model', 200, 7, 9)", (NOW,))
    db.execute("INSERT INTO requests (time, model, status) VALUES (?, 'old-model', 529)", (NOW + 1,))
    db.close()


def test_a_version_1_file_is_upgraded_in_place_and_keeps_its_rows(tmp_path, caplog):
    path = tmp_path / "old.sqlite3"
    make_version_1(path)
    with sqlite3.connect(path) as db:
        assert "api_route" not in [c[1] for c in db.execute("PRAGMA table_info(requests)")]
    with caplog.at_level(logging.INFO, logger="anyrouter"):
        store = UsageStore(str(path))
    try:
        assert f"anyrouter: usage log {path} upgraded from schema 1 to {SCHEMA_VERSION}" in caplog.messages
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            assert "api_route" in [c[1] for c in db.execute("PRAGMA table_info(requests)")]
        old = store.export()
        assert [(r["model"], r["status"], r["input"], r["output"], r["api_route"]) for r in old] == [
            ("old-model", 200, 7, 9, None), ("old-model", 529, None, None, None)]
        store.add(row(NOW + 2))
        totals = store.totals()
        assert totals["requests"] == 3
        assert totals["by_route"] == {"-": {"requests": 2, "by_status": {"200": 1, "529": 1}},
                                      "anthropic-messages": {"requests": 1, "by_status": {"200": 1}}}
    finally:
        store.close()


def test_an_up_to_date_file_is_opened_as_it_is(tmp_path):
    path = str(tmp_path / "usage.sqlite3")
    first = UsageStore(path)
    first.add(row(NOW))
    first.close()
    second = UsageStore(path)
    try:
        assert second.totals()["requests"] == 1
    finally:
        second.close()


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(UsageStoreError, match=rf"^{path} is not an anyrouter usage database \(file is not a database\)"):
        UsageStore(str(path))
    assert path.read_text().startswith("these are my notes")


def test_another_programs_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(UsageStoreError, match="is not an anyrouter usage database .an SQLite file of another program"):
        UsageStore(str(path))


def test_a_file_from_a_newer_anyrouter_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA application_id = {usage_store.APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(UsageStoreError, match=f"written by a newer anyrouter .usage log schema {SCHEMA_VERSION + 1}"):
        UsageStore(str(path))


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(UsageStoreError, match="is a directory, not a file"):
        UsageStore(str(tmp_path))


# -- totals (what /stats shows) ---------------------------------------------------------------


def test_totals_count_statuses_routes_rules_and_tokens(store):
    store.add(row(NOW, duration_ms=10.0))
    store.add(row(NOW + 1, duration_ms=30.0, status=None, error_type="connection_error", input=None, cache_read=None,
                  output=None, reasoning=None, cache_write=None, api_route="openai→anthropic", route="claude"))
    store.add(row(NOW + 2, duration_ms=20.0, route="claude", upstream_model="glm-4", cache_write=8, reasoning=2))
    store.add(row(NOW + 3, duration_ms=40.0, status=200, error_type="stream_error", api_route="openai→anthropic"))
    totals = store.totals()
    assert totals == {
        "requests": 4,
        "errors": 2,
        "success_rate": 0.5,
        "duration_ms": {"p50": 30.0, "p95": 40.0, "p99": 40.0},
        "mean_duration_ms": 25.0,
        "usage": {"input": 9, "cache_read": 3, "cache_write": 8, "output": 15, "reasoning": 2},
        "usage_by_model": {
            "claude-sonnet-4-6": {"input": 6, "cache_read": 2, "cache_write": 0, "output": 10, "reasoning": 0},
            "glm-4": {"input": 3, "cache_read": 1, "cache_write": 8, "output": 5, "reasoning": 2},
        },
        "by_route": {
            "anthropic-messages": {"requests": 2, "by_status": {"200": 2}},
            "openai→anthropic": {"requests": 2, "by_status": {"error": 1, "200": 1}},
        },
        "by_rule": {"claude": {"requests": 2, "by_status": {"error": 1, "200": 1},
                               "duration_ms": {"p50": 30.0, "p95": 30.0, "p99": 30.0}}},
    }
    assert store.totals(since=NOW + 2)["requests"] == 2


def test_totals_of_an_empty_log(store):
    assert store.totals() == {
        "requests": 0, "errors": 0, "success_rate": None, "duration_ms": None, "mean_duration_ms": None,
        "usage": {"input": 0, "cache_read": 0, "cache_write": 0, "output": 0, "reasoning": 0},
        "usage_by_model": {}, "by_route": {}, "by_rule": {},
    }


def test_percentiles_pick_the_same_ranks_as_the_upstream_health_stats(store):
    from anyrouter_core.routing.upstream_health import percentiles

    durations = [float(d) for d in range(100, 0, -1)]
    for i, ms in enumerate(durations):
        store.add(row(NOW + i, duration_ms=ms, ttfb_ms=ms / 2))
    assert store.totals()["duration_ms"] == percentiles([ms / 1000 for ms in durations]) == {
        "p50": 51.0, "p95": 96.0, "p99": 100.0}
    board = store.dashboard(NOW + 200)
    assert board["latency_ms"] == {"p50": 51.0, "p95": 96.0, "p99": 100.0}
    assert board["ttfb_ms"] == {"p50": 25.5, "p95": 48.0, "p99": 50.0}


# -- dashboard() --------------------------------------------------------------------------------


def test_per_minute_has_one_point_per_minute_with_traffic(store):
    times = [MINUTE - 3600, MINUTE - 59 * 60 + 1, MINUTE - 120 + 5, MINUTE - 120 + 59, MINUTE + 2, MINUTE + 20]
    for i, at in enumerate(times):
        store.add(row(at, status=500 if i == 3 else 200, output=i))
    store.add(row(NOW + 5))  # after `now`: not yet
    board = store.dashboard(NOW)
    assert board["per_minute"] == [
        {"t": MINUTE - 59 * 60, "requests": 1, "errors": 0, "input": 3, "cache_read": 1, "cache_write": 0, "output": 1},
        {"t": MINUTE - 120, "requests": 2, "errors": 1, "input": 6, "cache_read": 2, "cache_write": 0, "output": 5},
        {"t": MINUTE, "requests": 2, "errors": 0, "input": 6, "cache_read": 2, "cache_write": 0, "output": 9},
    ]
    assert all(point["t"] % 60 == 0 for point in board["per_minute"])


def test_per_hour_covers_the_day_one_point_per_hour_with_traffic(store):
    hour = (NOW // 3600) * 3600
    for at in (NOW - 25 * 3600, hour - 23 * 3600 + 10, hour - 3600 + 1, hour - 1, hour + 1):
        store.add(row(at))
    board = store.dashboard(NOW)
    assert [(p["t"], p["requests"]) for p in board["per_hour"]] == [
        (hour - 23 * 3600, 1), (hour - 3600, 2), (hour, 1)]
    assert board["totals"]["requests"] == 4  # the row of 25 hours ago is outside the window
    assert board["window_hours"] == 24 and board["now"] == NOW


def test_dashboard_totals_and_tables(store):
    store.add(row(NOW - 30, key="sk-…0001", upstream="relay", client_protocol="anthropic"))
    store.add(row(NOW - 20, key="sk-…0002", upstream="relay", client_protocol="openai", status=429,
                  error_type="rate_limit_error", error_message="slow down", input=None, output=None))
    store.add(row(NOW - 10, key=None, upstream="local", client_protocol="openai", upstream_model="smollm2",
                  model="claude-haiku-4-5"))
    board = store.dashboard(NOW)
    assert board["totals"] == {"requests": 3, "errors": 1, "success_rate": 0.6667, "input": 6, "cache_read": 3,
                               "cache_write": 0, "output": 10, "reasoning": 0}
    names = lambda table: [(t["name"], t["requests"], t["errors"]) for t in board[table]]  # noqa: E731
    assert names("by_model") == [("claude-sonnet-4-6", 2, 1), ("smollm2", 1, 0)]
    assert names("by_upstream") == [("relay", 2, 1), ("local", 1, 0)]
    assert names("by_key") == [("-", 1, 0), ("sk-…0001", 1, 0), ("sk-…0002", 1, 1)]
    assert names("by_client") == [("openai", 2, 1), ("anthropic", 1, 0)]
    assert board["by_model"][1] == {"name": "smollm2", "requests": 1, "errors": 0, "input": 3, "cache_read": 1,
                                    "cache_write": 0, "output": 5, "reasoning": 0}
    assert board["keys"] == []  # the caller's to fill
    [error] = board["recent_errors"]
    assert (error["status"], error["error_type"], error["error_message"], error["key"]) == (
        429, "rate_limit_error", "slow down", "sk-…0002")


def test_an_empty_dashboard(store):
    board = store.dashboard(NOW)
    assert board["totals"]["success_rate"] is None and board["totals"]["requests"] == 0
    assert board["latency_ms"] == board["ttfb_ms"] == {"p50": 0, "p95": 0, "p99": 0}
    assert board["per_minute"] == board["per_hour"] == board["recent"] == board["recent_errors"] == []


def test_recent_and_recent_errors_newest_first_and_limited(store):
    for i in range(80):
        store.add(row(NOW - 80 + i, status=503 if i % 2 else 200, output=i))
    board = store.dashboard(NOW)
    assert [r["output"] for r in board["recent"]] == list(range(79, 29, -1))  # 50, newest first
    assert [r["output"] for r in board["recent_errors"]] == list(range(79, 39, -2))  # 20 errors
    assert set(board["recent"][0]) == set(usage_store.COLUMNS)


# -- export() ----------------------------------------------------------------------------------


def test_export_of_a_range_oldest_first(store):
    for i in range(5):
        store.add(row(NOW + i, output=i))
    assert [r["output"] for r in store.export(NOW + 1, NOW + 4)] == [1, 2, 3]  # since ≤ time < until
    assert [r["output"] for r in store.export(None, NOW + 2)] == [0, 1]
    assert [r["output"] for r in store.export(NOW + 3, None)] == [3, 4]
    assert len(store.export()) == 5


# -- in memory ---------------------------------------------------------------------------------


def test_in_memory_store_answers_the_same_queries():
    store = UsageStore(None)
    try:
        assert store.in_memory
        store.add(row(NOW))
        store.add(row(NOW + 1, status=500))
        assert store.totals()["requests"] == 2
        assert store.dashboard(NOW + 2)["totals"]["errors"] == 1
    finally:
        store.close()


def test_in_memory_store_drops_rows_older_than_25_hours_from_time_to_time(monkeypatch):
    monkeypatch.setattr(usage_store, "PRUNE_INTERVAL_S", 0.05)
    store = UsageStore("")
    try:
        now = time.time()
        store.add(row(now - 26 * 3600, output=1))
        store.add(row(now - 24 * 3600, output=2))
        store.add(row(now, output=3))
        store.flush()
        assert poll(lambda: [r["output"] for r in store.export()] == [2, 3]), store.export()
    finally:
        store.close()


def test_two_proxies_can_share_one_file(tmp_path):
    path = str(tmp_path / "usage.sqlite3")
    first, second = UsageStore(path), UsageStore(path)
    try:
        for i in range(500):
            first.add(row(NOW + i, upstream="first"))
            second.add(row(NOW + i, upstream="second"))
        first.flush()
        second.flush()
        assert {t["name"]: t["requests"] for t in first.dashboard(NOW + 600)["by_upstream"]} == {
            "first": 500, "second": 500}
    finally:
        first.close()
        second.close()
