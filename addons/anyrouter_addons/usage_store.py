"""The usage log: one row per finished request, in SQLite, written off the event loop.

mitmproxy runs every hook on one event loop, so nothing here may wait on the disk there:
`add` only puts the row on a queue, and a writer thread, which owns its own connection,
inserts what came in one transaction at least every COMMIT_INTERVAL_S. The file is in WAL
mode with `synchronous=NORMAL`: a commit is a write to the WAL, so a proxy killed (even with
SIGKILL) loses only the rows of its last interval, and readers never wait for the writer.

The queries (`totals`, `dashboard`, `export`) are meant for a worker thread
(`asyncio.to_thread`); each opens its own connection, after `flush` has committed every row
added before it, so a count asked for right after a request includes it.

Without a path the rows go to an in-memory database instead, which keeps the last
MEMORY_KEEP_S (the dashboard's day and a margin), so the dashboard works with `usage_db` off.
Writer and readers then share its one connection under a lock.

The file says what it is: `PRAGMA application_id` is APPLICATION_ID, and `PRAGMA
user_version` the number of MIGRATIONS applied; a file written by an older anyrouter is
upgraded in place on open, keeping its rows.

A failed write (disk full, a file that went away) is logged once and its rows dropped: the
usage log never stops the proxy.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
import time
import urllib.parse
import weakref
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("anyrouter")

APPLICATION_ID = 0x616E7972  # "anyr"
COMMIT_INTERVAL_S = 0.5
MAX_BATCH = 2000
MEMORY_KEEP_S = 25 * 3600
PRUNE_INTERVAL_S = 60.0
FLUSH_TIMEOUT_S = 10.0
WINDOW_HOURS = 24
RECENT = 50
RECENT_ERRORS = 20
USAGE_FIELDS = ("input", "cache_read", "cache_write", "output", "reasoning")
PERCENTILES = (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))

# The row, in the order of the table's columns.
COLUMNS = (
    "time", "duration_ms", "ttfb_ms", "client_protocol", "upstream", "route", "model",
    "upstream_model", "key", "status", "error_type", "error_message", *USAGE_FIELDS,
    "estimated", "path", "stream", "api_route",
)
_NOT_NULL = frozenset({"estimated", "stream"})

# A request failed: no answer, an error status, or an answer that broke off (a 200 stream
# that ended in an error has an `error_type`).
IS_ERROR = "(status IS NULL OR status >= 400 OR error_type IS NOT NULL)"
# A count of tokens (`…/count_tokens`, answered with its input tokens) spends none: its row
# keeps the count, the token totals leave it out. Routes of that kind are named so.
SPENDS_TOKENS = "COALESCE(api_route, '') NOT LIKE '%-count-tokens'"

# Migration n (1-based) takes a file from user_version n-1 to n; never edit one that shipped.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        f"PRAGMA application_id = {APPLICATION_ID}",
        """CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            time REAL NOT NULL,
            duration_ms REAL,
            ttfb_ms REAL,
            client_protocol TEXT,
            upstream TEXT,
            route TEXT,
            model TEXT,
            upstream_model TEXT,
            key TEXT,
            status INTEGER,
            error_type TEXT,
            error_message TEXT,
            input INTEGER,
            cache_read INTEGER,
            cache_write INTEGER,
            output INTEGER,
            reasoning INTEGER,
            estimated INTEGER NOT NULL DEFAULT 0,
            path TEXT,
            stream INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX requests_time ON requests (time)",
    ),
    # 2: the route as /stats and the access log name it (`anthropic-messages`, or the
    # translation `openai→anthropic`), for the per-route counts of /stats.
    ("ALTER TABLE requests ADD COLUMN api_route TEXT",),
)
SCHEMA_VERSION = len(MIGRATIONS)

_INSERT = f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_CLOSE = object()


class UsageStoreError(ValueError):
    """The file cannot be the usage log: not SQLite, another program's, or too new."""


class UsageStore:
    def __init__(self, path: str | None) -> None:
        # Absolute: the writer and readers open it again later, whatever the directory then.
        self.path = str(Path(path).expanduser().absolute()) if path else None
        self._lock = threading.Lock()  # in-memory mode: the one connection is shared
        self._memory: sqlite3.Connection | None = None
        if self.path is None:
            self._memory = _connect(":memory:", check_same_thread=False)
            _migrate(self._memory, "the in-memory usage log")
        else:
            _prepare_file(self.path)
        self._writer = _Writer(self.path, self._memory, self._lock)
        self._started = False
        self._start_lock = threading.Lock()
        # Also when a store is dropped without `close` (tests, a reconfigured option): the
        # thread holds no reference to the store, so this can run.
        self._finalizer = weakref.finalize(self, self._writer.stop)

    @property
    def in_memory(self) -> bool:
        return self.path is None

    # -- writing --------------------------------------------------------------------------

    def add(self, row: dict) -> None:
        """Queues `row` (keys of COLUMNS; missing ones are null); never blocks."""
        if not self._started:
            self._start()
        self._writer.queue.put(row)

    def flush(self) -> None:
        """Returns once every row added before is committed (or its write failed)."""
        if not self._started or not self._finalizer.alive:
            return
        done = threading.Event()
        self._writer.queue.put(done)
        done.wait(FLUSH_TIMEOUT_S)

    def close(self) -> None:
        """Commits what is queued and stops the writer; rows added later are dropped."""
        self._finalizer()

    def _start(self) -> None:
        with self._start_lock:
            if not self._started and self._finalizer.alive:
                self._writer.start()
                self._started = True

    # -- reading (from a worker thread) -----------------------------------------------------

    def totals(self, since: float | None = None) -> dict:
        """Everything since `since` (None: all time): what /stats shows."""
        self.flush()
        where, params = _range(since, None)
        with self._reading() as db:
            count = db.execute(
                f"SELECT COUNT(*), SUM({IS_ERROR}), AVG(duration_ms) FROM requests WHERE {where}", params
            ).fetchone()
            requests, errors, mean = count[0], count[1] or 0, count[2]
            return {
                "requests": requests,
                "errors": errors,
                "success_rate": _rate(requests, errors),
                "duration_ms": _percentiles(db, "duration_ms", where, params).get(None),
                "mean_duration_ms": round(mean, 1) if mean is not None else None,
                "usage": _usage_sums(db, where, params),
                "usage_by_model": _usage_by(db, "upstream_model", where, params),
                "by_route": _status_counts(db, "COALESCE(api_route, '-')", where, params),
                "by_rule": _status_counts(db, "route", f"{where} AND route IS NOT NULL", params, timed=True),
            }

    def dashboard(self, now: float) -> dict:
        """The dashboard's JSON (issue 14's contract); `keys` is the caller's to fill."""
        self.flush()
        window_start = now - WINDOW_HOURS * 3600
        where, params = "time > ? AND time <= ?", (window_start, now)
        with self._reading() as db:
            count = db.execute(f"SELECT COUNT(*), SUM({IS_ERROR}) FROM requests WHERE {where}", params).fetchone()
            requests, errors = count[0], count[1] or 0
            minute_start = (int(now // 60) - 59) * 60
            hour_start = (int(now // 3600) - 23) * 3600
            return {
                "now": now,
                "window_hours": WINDOW_HOURS,
                "totals": {"requests": requests, "errors": errors, "success_rate": _rate(requests, errors),
                           **_usage_sums(db, where, params)},
                "latency_ms": _percentiles(db, "duration_ms", where, params).get(None) or _ZERO_PERCENTILES,
                "ttfb_ms": _percentiles(db, "ttfb_ms", where, params).get(None) or _ZERO_PERCENTILES,
                "per_minute": _series(db, 60, minute_start, now),
                "per_hour": _series(db, 3600, hour_start, now),
                "by_model": _table_by(db, "COALESCE(upstream_model, model, '-')", where, params),
                "by_upstream": _table_by(db, "COALESCE(upstream, '-')", where, params),
                "by_key": _table_by(db, "COALESCE(key, '-')", where, params),
                "by_client": _table_by(db, "COALESCE(client_protocol, '-')", where, params),
                "keys": [],
                "recent": _newest(db, "time <= ?", (now,), RECENT),
                "recent_errors": _newest(db, f"time <= ? AND {IS_ERROR}", (now,), RECENT_ERRORS),
            }

    def export(self, since: float | None = None, until: float | None = None) -> list[dict]:
        """The rows with `since` <= time < `until` (None: unbounded), oldest first."""
        self.flush()
        where, params = _range(since, until)
        with self._reading() as db:
            cursor = db.execute(f"SELECT {', '.join(COLUMNS)} FROM requests WHERE {where} ORDER BY time, id", params)
            return [dict(zip(COLUMNS, values)) for values in cursor]

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        if self._memory is not None:
            with self._lock:
                yield self._memory
            return
        # mode=rw: a file that went away is an error here, not a new empty database.
        db = _connect(_file_uri(self.path, "rw"), uri=True)
        try:
            yield db
        finally:
            db.close()


# -- the writer thread ------------------------------------------------------------------------


class _Writer:
    """The thread that owns the writing connection. It holds no reference to its store."""

    def __init__(self, path: str | None, memory: sqlite3.Connection | None, lock: threading.Lock) -> None:
        self.path = path
        self.memory = memory
        self.lock = lock
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.failing = False
        self.next_prune = time.monotonic() + PRUNE_INTERVAL_S

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name="anyrouter usage log", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread is None:
            return
        self.queue.put(_CLOSE)
        if self.thread is not threading.current_thread():
            self.thread.join(FLUSH_TIMEOUT_S)

    def run(self) -> None:
        db = self.memory
        if db is None:
            db = self._open_file()
        pending: list[dict] = []
        commit_at: float | None = None
        while True:
            try:
                item = self.queue.get(timeout=self._wait(commit_at))
            except queue.Empty:
                item = None
            if type(item) is dict:
                pending.append(item)
                if commit_at is None:
                    commit_at = time.monotonic() + COMMIT_INTERVAL_S
                if len(pending) < MAX_BATCH and time.monotonic() < commit_at:
                    continue
            if pending:
                if db is None:
                    db = self._open_file()
                self._commit(db, pending)
                pending, commit_at = [], None
            if isinstance(item, threading.Event):
                item.set()
            elif item is _CLOSE:
                break
            self._prune_if_due(db)
        if db is not None and db is not self.memory:
            db.close()

    def _wait(self, commit_at: float | None) -> float | None:
        if commit_at is not None:
            return max(0.0, commit_at - time.monotonic())
        if self.memory is not None:
            return max(0.0, self.next_prune - time.monotonic())
        return None

    def _open_file(self) -> sqlite3.Connection | None:
        try:
            db = _connect(_file_uri(self.path, "rw"), uri=True)
            db.execute("PRAGMA synchronous = NORMAL")
            return db
        except sqlite3.Error as exc:
            self._failed(exc)
            return None

    def _commit(self, db: sqlite3.Connection | None, rows: list[dict]) -> None:
        if db is None:
            return
        values = [_values(row) for row in rows]
        try:
            with self.lock:
                # IMMEDIATE: another proxy writing the same file is waited for (busy timeout).
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.executemany(_INSERT, values)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            self._failed(exc, len(rows))
            return
        if self.failing:
            self.failing = False
            log.warning("anyrouter: usage log %s: writing again", self.where)

    def _prune_if_due(self, db: sqlite3.Connection | None) -> None:
        """In memory, rows older than MEMORY_KEEP_S go, from time to time."""
        if self.memory is None or db is None or time.monotonic() < self.next_prune:
            return
        self.next_prune = time.monotonic() + PRUNE_INTERVAL_S
        with self.lock:
            db.execute("DELETE FROM requests WHERE time < ?", (time.time() - MEMORY_KEEP_S,))

    def _failed(self, exc: Exception, rows: int = 0) -> None:
        # Once until it works again: a full disk would otherwise log every half second.
        if not self.failing:
            self.failing = True
            dropped = ""
            if rows:
                dropped = f"; {rows} {'row' if rows == 1 else 'rows'} dropped, and later ones until it works again"
            log.error("anyrouter: usage log %s: cannot write: %s%s", self.where, exc, dropped)

    @property
    def where(self) -> str:
        return self.path or "(in memory)"


# -- opening and upgrading ----------------------------------------------------------------------


def _values(row: dict) -> tuple:
    """The row's values in COLUMNS order; a missing flag is 0, any other missing value null."""
    return tuple(int(bool(row.get(c))) if c in _NOT_NULL else row.get(c) for c in COLUMNS)


def _connect(target: str, **kwargs) -> sqlite3.Connection:
    # autocommit mode: transactions are the explicit BEGIN … COMMIT here.
    return sqlite3.connect(target, timeout=5.0, isolation_level=None, **kwargs)


def _file_uri(path: str, mode: str) -> str:
    return f"file:{urllib.parse.quote(path)}?mode={mode}"


def _prepare_file(path: str) -> None:
    """Creates the file (and its directory) or checks it is a usage log, upgrades it, and
    turns WAL on; raises UsageStoreError with a sentence saying what is wrong."""
    file = Path(path)
    if file.is_dir():
        raise UsageStoreError(f"{path} is a directory, not a file")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        db = _connect(path)
    except (OSError, sqlite3.Error) as exc:
        raise UsageStoreError(f"cannot open {path}: {exc}") from None
    try:
        _migrate(db, path)
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise UsageStoreError(f"{path}: SQLite refused WAL mode (journal mode {mode})")
    except sqlite3.Error as exc:
        raise UsageStoreError(f"cannot use {path}: {exc}") from None
    finally:
        db.close()


def _migrate(db: sqlite3.Connection, where: str) -> None:
    try:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise UsageStoreError(f"{where} is not an anyrouter usage database ({exc})") from None
    empty = application_id == 0 and version == 0 and tables == 0
    if application_id != APPLICATION_ID and not empty:
        raise UsageStoreError(
            f"{where} is not an anyrouter usage database (an SQLite file of another program): "
            "give usage_db a new file's path"
        )
    if version > SCHEMA_VERSION:
        raise UsageStoreError(
            f"{where} was written by a newer anyrouter (usage log schema {version}; this one knows "
            f"up to {SCHEMA_VERSION})"
        )
    if version == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        for number in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[number - 1]:
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    if version:
        log.info("anyrouter: usage log %s upgraded from schema %d to %d", where, version, SCHEMA_VERSION)


# -- queries ----------------------------------------------------------------------------------

_ZERO_PERCENTILES = {name: 0 for name, _ in PERCENTILES}


def _range(since: float | None, until: float | None) -> tuple[str, tuple]:
    clauses, params = ["1"], []
    if since is not None:
        clauses.append("time >= ?")
        params.append(since)
    if until is not None:
        clauses.append("time < ?")
        params.append(until)
    return " AND ".join(clauses), tuple(params)


def _rate(requests: int, errors: int) -> float | None:
    return round((requests - errors) / requests, 4) if requests else None


def _sums(fields: tuple[str, ...]) -> str:
    return ", ".join(f"COALESCE(SUM({name}), 0)" for name in fields)


def _usage_sums(db: sqlite3.Connection, where: str, params: tuple) -> dict:
    values = db.execute(
        f"SELECT {_sums(USAGE_FIELDS)} FROM requests WHERE {where} AND {SPENDS_TOKENS}", params
    ).fetchone()
    return dict(zip(USAGE_FIELDS, values))


def _usage_by(db: sqlite3.Connection, column: str, where: str, params: tuple) -> dict:
    """Token sums per value of `column`, for the rows that have any usage."""
    rows = db.execute(
        f"SELECT COALESCE({column}, model, '-') AS name, {_sums(USAGE_FIELDS)} FROM requests "
        f"WHERE {where} AND {SPENDS_TOKENS} AND COALESCE({', '.join(USAGE_FIELDS)}) IS NOT NULL "
        "GROUP BY name ORDER BY name",
        params,
    )
    return {name: dict(zip(USAGE_FIELDS, values)) for name, *values in rows}


def _status_counts(db: sqlite3.Connection, group: str, where: str, params: tuple, timed: bool = False) -> dict:
    """{group: {"requests", "by_status": {"200": n, "error": n}}}, with `duration_ms`
    percentiles when `timed`; groups sorted by name."""
    counted: dict = {}
    rows = db.execute(
        f"SELECT {group} AS name, COALESCE(CAST(status AS TEXT), 'error') AS outcome, COUNT(*) FROM requests "
        f"WHERE {where} GROUP BY name, outcome ORDER BY name, MIN(id)",
        params,
    )
    for name, outcome, count in rows:
        entry = counted.setdefault(name, {"requests": 0, "by_status": {}})
        entry["requests"] += count
        entry["by_status"][outcome] = count
    if timed:
        durations = _percentiles(db, "duration_ms", where, params, group)
        for name, entry in counted.items():
            entry["duration_ms"] = durations.get(name)
    return counted


def _percentiles(db: sqlite3.Connection, value: str, where: str, params: tuple, group: str = "NULL") -> dict:
    """{group value: {"p50", "p95", "p99"}} of `value` (ms, rounded to 0.1), each the value at
    index min(n-1, int(n × fraction)) of the sorted values, as `upstream_health.percentiles`;
    one sort in SQLite, whatever the number of rows."""
    wanted = " OR ".join(f"i = MIN(n - 1, CAST(n * {fraction} AS INTEGER))" for _, fraction in PERCENTILES)
    rows = db.execute(
        f"""SELECT g, i, n, v FROM (
                SELECT {group} AS g, {value} AS v,
                       ROW_NUMBER() OVER (PARTITION BY {group} ORDER BY {value}) - 1 AS i,
                       COUNT(*) OVER (PARTITION BY {group}) AS n
                FROM requests WHERE {where} AND {value} IS NOT NULL)
            WHERE {wanted}""",
        params,
    )
    at: dict = {}
    for g, i, n, v in rows:
        at.setdefault(g, (n, {}))[1][i] = v
    return {
        g: {name: round(values[min(n - 1, int(n * fraction))], 1) for name, fraction in PERCENTILES}
        for g, (n, values) in at.items()
    }


_TOKEN_COLUMNS = ("input", "cache_read", "cache_write", "output")


def _series(db: sqlite3.Connection, step: int, start: float, now: float) -> list[dict]:
    """One point per `step` seconds that had traffic, from `start` to `now`, oldest first."""
    rows = db.execute(
        f"SELECT CAST(time / {step} AS INTEGER) * {step} AS t, COUNT(*), SUM({IS_ERROR}), {_sums(_TOKEN_COLUMNS)} "
        "FROM requests WHERE time >= ? AND time <= ? GROUP BY t ORDER BY t",
        (start, now),
    )
    return [dict(zip(("t", "requests", "errors", *_TOKEN_COLUMNS), values)) for values in rows]


def _table_by(db: sqlite3.Connection, group: str, where: str, params: tuple) -> list[dict]:
    fields = ("name", "requests", "errors", *USAGE_FIELDS)
    rows = db.execute(
        f"SELECT {group} AS name, COUNT(*) AS requests, SUM({IS_ERROR}), {_sums(USAGE_FIELDS)} FROM requests "
        f"WHERE {where} GROUP BY name ORDER BY requests DESC, name",
        params,
    )
    return [dict(zip(fields, values)) for values in rows]


def _newest(db: sqlite3.Connection, where: str, params: tuple, limit: int) -> list[dict]:
    rows = db.execute(
        f"SELECT {', '.join(COLUMNS)} FROM requests WHERE {where} ORDER BY time DESC, id DESC LIMIT {limit}", params
    )
    return [dict(zip(COLUMNS, values)) for values in rows]
