"""Key pools: round-robin choice, health from upstream outcomes, retries and stats.

A pool is an ordered list of keys with its own rotation position. Health and stats belong to
the key and are shared by every pool holding it, so a key refused in one pool rests in all
of them. `KeyPools` owns the server pool (option `upstream_keys`) and a bounded registry of
the pools clients bring in their own headers.

Time is always passed in as `now`, in Unix seconds (`time.time()`), because a `retry-after`
HTTP date is compared with it. Nothing here locks: mitmproxy runs hooks on one event loop.
Stats name a key by its fingerprint label only; the key itself never enters them.
"""

from __future__ import annotations

import email.utils
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC
from enum import Enum

from .keys import fingerprint, is_well_formed_key

MESSAGE_LIMIT = 200
# No key can hide in it: keys are visible ASCII.
WITHHELD_MESSAGE = "…"
CONNECTION_ERROR = "connection"

# Scrubbing a huge error page against every key of a big pool would be slow; the stats keep
# only MESSAGE_LIMIT characters anyway.
_SCAN_LIMIT = 4096
_LAST_WORD = re.compile(r"\S+\Z")
_DELTA_SECONDS = re.compile(r"\d+(\.\d+)?")


@dataclass(frozen=True)
class Cooldowns:
    """How long a key rests after each kind of failure, in seconds."""

    auth_error_s: float = 3600.0
    # Only when a 429 carries no usable `retry-after`.
    rate_limit_s: float = 60.0
    server_error_s: float = 30.0

    def __post_init__(self) -> None:
        for name in (f.name for f in fields(self)):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number of seconds, at least 0, not {value!r}")


class _Outcome(Enum):
    SUCCESS = "success"
    # 401 and 403, and 402: this key's account is out of credit.
    KEY_REFUSED = "key refused"
    RATE_LIMITED = "rate limited"
    UNAVAILABLE = "unavailable"
    # Any other 4xx: the request is at fault, not the key, and another key would fare no better.
    REQUEST_ERROR = "request error"


def _classify(status: int | None) -> _Outcome:
    if status is None or status >= 500:
        return _Outcome.UNAVAILABLE
    if status in (401, 402, 403):
        return _Outcome.KEY_REFUSED
    if status == 429:
        return _Outcome.RATE_LIMITED
    if status >= 400:
        return _Outcome.REQUEST_ERROR
    return _Outcome.SUCCESS


def should_retry(status: int | None) -> bool:
    """Whether another key may get a better answer; `None` means no answer (connection error).

    True for 401, 402, 403, 429, 5xx (529 included) and connection errors; false for success
    and for the request's own errors (400, 404, 413, 422, …).
    """
    return _classify(status) in (_Outcome.KEY_REFUSED, _Outcome.RATE_LIMITED, _Outcome.UNAVAILABLE)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from `now` that a `retry-after` value asks to wait, or None when it is unusable.

    Accepts delta-seconds (`7`, leniently `7.5`) and an HTTP date (`Wed, 21 Oct 2015 07:28:00
    GMT`); a date in the past means 0.
    """
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        seconds = float(value)
        return seconds if math.isfinite(seconds) else None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


@dataclass(frozen=True)
class LastError:
    """A key's latest failure: status (None: no answer), message cleaned of keys, time."""

    status: int | None
    message: str
    at: float


@dataclass
class KeyStats:
    """What is known about one key, under its fingerprint label; it never holds the key."""

    label: str
    requests: int = 0
    successes: int = 0
    # Status code as text, or CONNECTION_ERROR, to its count: ready to be JSON.
    failures: dict[str, int] = field(default_factory=dict)
    last_error: LastError | None = None
    cooling_until: float | None = None

    def is_cooling(self, now: float) -> bool:
        return self.cooling_until is not None and self.cooling_until > now

    def count_success(self) -> None:
        self.requests += 1
        self.successes += 1
        self.cooling_until = None

    def count_failure(self, status: int | None, message: str, now: float) -> None:
        self.requests += 1
        name = _status_name(status)
        self.failures[name] = self.failures.get(name, 0) + 1
        self.last_error = LastError(status, message, now)

    def rest_until(self, moment: float) -> None:
        # A shorter rest never cuts a longer one short: a 5xx after a 401 keeps the 401's hour.
        self.cooling_until = max(moment, self.cooling_until or moment)

    def as_json(self, now: float) -> dict:
        last = self.last_error
        return {
            "requests": self.requests,
            "successes": self.successes,
            "failures": dict(self.failures),
            "last_error": None
            if last is None
            else {"status": _status_name(last.status), "message": last.message, "at": last.at},
            # Rounded up, so a key still cooling never shows 0.
            "cooling_for_s": math.ceil(self.cooling_until - now) if self.is_cooling(now) else 0,
        }


def _status_name(status: int | None) -> str:
    return CONNECTION_ERROR if status is None else str(status)


class KeyPool:
    """Keys taken in turn, one per upstream attempt, skipping keys that are cooling.

    Made by `KeyPools`; an addon only asks it for keys and tells it how each attempt went.
    """

    def __init__(self, source: str, stats_by_key: dict[str, KeyStats], cooldowns: Callable[[], Cooldowns]):
        self.source = source
        self.keys = tuple(stats_by_key)
        self._stats = tuple(stats_by_key.values())
        self._index = {key: i for i, key in enumerate(self.keys)}
        self._cooldowns = cooldowns
        self._position = 0
        # Longest first, so a key that is the start of another never hides the longer one.
        self._any_key = re.compile("|".join(map(re.escape, sorted(self.keys, key=len, reverse=True))))

    def choose(self, now: float) -> str:
        """The next key in turn that is not cooling; when all are, the one that recovers first."""
        index = self._first_healthy(now, tried=())
        if index is None:
            index = min(self._rotation(), key=lambda i: self._stats[i].cooling_until)
        return self._take(index)

    def next_untried(self, tried: Collection[str], now: float) -> str | None:
        """The next key in turn that is neither cooling nor in `tried`, or None: stop retrying."""
        index = self._first_healthy(now, tried)
        return None if index is None else self._take(index)

    def has_untried(self, tried: Collection[str], now: float) -> bool:
        """Whether `next_untried` would give a key (without taking it)."""
        return self._first_healthy(now, tried) is not None

    def record(
        self, key: str, status: int | None, now: float, *, retry_after: str | None = None, message: str = ""
    ) -> None:
        """Count how an attempt with `key` ended and let it decide the key's health.

        `status` is the upstream's status, or None when it could not be reached; `retry_after`
        is the raw `retry-after` header; `message` a short description of the error, which is
        cleaned of this pool's keys and cut to MESSAGE_LIMIT characters before it is kept.
        """
        stats = self.stats(key)
        outcome = _classify(status)
        if outcome is _Outcome.SUCCESS:
            stats.count_success()
            return
        stats.count_failure(status, self._short_message(message), now)
        rest = self._rest_seconds(outcome, retry_after, now)
        if rest is not None:
            stats.rest_until(now + rest)

    def stats(self, key: str) -> KeyStats:
        return self._stats[self._index[key]]

    def label(self, key: str) -> str:
        """The fingerprint that names `key` in stats and logs (`sk-…a1b2`, or `sk-…a1b2#2`)."""
        return self.stats(key).label

    def scrub(self, text: str) -> str:
        """`text` with every key of this pool replaced by its label.

        Should keys overlap in the text so that one survives the replacement, the whole text
        is withheld: WITHHELD_MESSAGE.
        """
        scrubbed = self._any_key.sub(lambda match: self.label(match.group()), text)
        if any(key in scrubbed for key in self.keys):
            return WITHHELD_MESSAGE
        return scrubbed

    def as_json(self, now: float) -> dict:
        return {
            "source": self.source,
            "keys": [stats.label for stats in self._stats],
            "next": self._stats[self._position].label,
            "healthy": sum(not stats.is_cooling(now) for stats in self._stats),
        }

    def _rotation(self) -> Iterator[int]:
        count = len(self.keys)
        return ((self._position + step) % count for step in range(count))

    def _first_healthy(self, now: float, tried: Collection[str]) -> int | None:
        return next(
            (i for i in self._rotation() if self.keys[i] not in tried and not self._stats[i].is_cooling(now)),
            None,
        )

    def _take(self, index: int) -> str:
        self._position = (index + 1) % len(self.keys)
        return self.keys[index]

    def _rest_seconds(self, outcome: _Outcome, retry_after: str | None, now: float) -> float | None:
        cooldowns = self._cooldowns()
        if outcome is _Outcome.KEY_REFUSED:
            return cooldowns.auth_error_s
        if outcome is _Outcome.RATE_LIMITED:
            asked = parse_retry_after(retry_after, now)
            return cooldowns.rate_limit_s if asked is None else asked
        if outcome is _Outcome.UNAVAILABLE:
            return cooldowns.server_error_s
        return None

    def _short_message(self, message: str) -> str:
        if len(message) > _SCAN_LIMIT:
            # Keys hold no whitespace, so a key cut in two by the limit can only be the last word.
            message = _LAST_WORD.sub("", message[:_SCAN_LIMIT])
        message = self.scrub(" ".join(message.split()))
        if len(message) > MESSAGE_LIMIT:
            return message[: MESSAGE_LIMIT - 1] + "…"
        return message


class KeyPools:
    """The server pool and the client pools, with the health and stats of every key in them.

    Client pools are keyed by their exact key list and bounded: past `max_client_pools` the
    least recently used one is forgotten, and with it the stats of keys no other pool holds.
    """

    def __init__(
        self, cooldowns: Cooldowns = Cooldowns(), *, max_client_pools: int = 1024, max_client_pool_keys: int = 64
    ):
        # Read at every failure, so a new value applies to existing pools at once.
        self.cooldowns = cooldowns
        self.max_client_pools = max_client_pools
        self.max_client_pool_keys = max_client_pool_keys
        self._server_pool: KeyPool | None = None
        self._upstream_pools: dict[str, KeyPool] = {}
        self._client_pools: OrderedDict[tuple[str, ...], KeyPool] = OrderedDict()
        self._stats: dict[str, KeyStats] = {}
        self._pools_holding: dict[str, int] = {}
        self._live_labels: dict[str, int] = {}
        self._next_suffix: dict[str, int] = {}

    @property
    def server_pool(self) -> KeyPool | None:
        return self._server_pool

    def set_server_keys(self, keys: Iterable[str]) -> None:
        """Replace the server pool (no keys: none); keys kept from before keep their stats."""
        keys = _distinct_keys(keys, allow_empty=True)
        old = self._server_pool
        self._server_pool = self._new_pool("server", keys) if keys else None
        if old is not None:
            self._release(old.keys)

    def set_upstream_keys(self, keys_by_upstream: dict[str, Iterable[str]]) -> None:
        """The pools of a routes file's upstreams, by name (no keys: no pool). A pool whose
        keys did not change is kept as it was, its rotation and the health of its keys too."""
        old = self._upstream_pools
        new: dict[str, KeyPool] = {}
        for name, keys in keys_by_upstream.items():
            keys = _distinct_keys(keys, allow_empty=True)
            if not keys:
                continue
            kept = old.get(name)
            new[name] = kept if kept is not None and kept.keys == keys else self._new_pool(f"upstream {name}", keys)
        self._upstream_pools = new
        for name, pool in old.items():
            if new.get(name) is not pool:
                self._release(pool.keys)

    def upstream_pool(self, name: str) -> KeyPool | None:
        return self._upstream_pools.get(name)

    @property
    def has_server_keys(self) -> bool:
        """Whether the proxy holds keys of its own: `upstream_keys`, or a routes file's."""
        return self._server_pool is not None or bool(self._upstream_pools)

    def client_pool(self, keys: Iterable[str]) -> KeyPool:
        """The pool for the keys a client sent, made on first sight, its rotation kept after."""
        keys = _distinct_keys(keys, allow_empty=False)
        pool = self._client_pools.get(keys)
        if pool is not None:
            self._client_pools.move_to_end(keys)
            return pool
        if len(keys) > self.max_client_pool_keys:
            raise ValueError(f"a client may send at most {self.max_client_pool_keys} keys, not {len(keys)}")
        pool = self._client_pools[keys] = self._new_pool("client", keys)
        while len(self._client_pools) > self.max_client_pools:
            _, evicted = self._client_pools.popitem(last=False)
            self._release(evicted.keys)
        return pool

    def snapshot(self, now: float) -> dict:
        """JSON-ready stats: every key by label, then the server pool and client pools."""
        pools = (
            ([self._server_pool] if self._server_pool else [])
            + list(self._upstream_pools.values())
            + list(reversed(self._client_pools.values()))
        )
        return {
            "keys": {stats.label: stats.as_json(now) for stats in self._stats.values()},
            "pools": [pool.as_json(now) for pool in pools],
            "client_pools": {"count": len(self._client_pools), "limit": self.max_client_pools},
        }

    def _new_pool(self, source: str, keys: tuple[str, ...]) -> KeyPool:
        return KeyPool(source, {key: self._hold(key) for key in keys}, lambda: self.cooldowns)

    def _hold(self, key: str) -> KeyStats:
        if key not in self._stats:
            self._stats[key] = KeyStats(self._new_label(key))
            self._pools_holding[key] = 0
        self._pools_holding[key] += 1
        return self._stats[key]

    def _release(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._pools_holding[key] -= 1
            if not self._pools_holding[key]:
                del self._pools_holding[key], self._stats[key]
                self._forget_label(key)

    def _new_label(self, key: str) -> str:
        # Keys sharing a fingerprint get `#2`, `#3`, …; the count restarts only once none of
        # them is left, so no two live keys ever share a label.
        base = fingerprint(key)
        live = self._live_labels.get(base, 0)
        self._live_labels[base] = live + 1
        if not live:
            self._next_suffix[base] = 2
            return base
        suffix = self._next_suffix[base]
        self._next_suffix[base] = suffix + 1
        return f"{base}#{suffix}"

    def _forget_label(self, key: str) -> None:
        base = fingerprint(key)
        self._live_labels[base] -= 1
        if not self._live_labels[base]:
            del self._live_labels[base], self._next_suffix[base]


def _distinct_keys(keys: Iterable[str], *, allow_empty: bool) -> tuple[str, ...]:
    distinct = tuple(dict.fromkeys(keys))
    if not distinct and not allow_empty:
        raise ValueError("a key pool needs at least one key")
    # Scrubbing relies on keys being single words of visible ASCII, as parse_key_list makes them.
    if not all(map(is_well_formed_key, distinct)):
        raise ValueError("keys must be visible ASCII characters, without whitespace")
    return distinct
