"""Properties of key pools over generated outcomes, clocks, key lists and error messages."""

import string
from email.utils import formatdate

from hypothesis import given, settings
from hypothesis import strategies as st

from anyrouter_core.key_pool import Cooldowns, KeyPools, parse_retry_after
from anyrouter_core.keys import fingerprint, parse_key_list, token_allowed

SETTINGS = settings(deadline=None)
START = 1_700_000_000.0

key_characters = string.ascii_letters + string.digits + "-_"
keys = st.text(key_characters, min_size=1, max_size=40)
key_lists = st.lists(keys, min_size=1, max_size=6, unique=True)
statuses = st.sampled_from([None, 200, 201, 400, 401, 402, 403, 404, 413, 422, 429, 500, 502, 503, 529])
retry_afters = st.none() | st.sampled_from(["", "soon", "-1"]) | st.integers(0, 7200).map(str)
cooldowns = st.builds(
    Cooldowns,
    auth_error_s=st.floats(0, 7200),
    rate_limit_s=st.floats(0, 600),
    server_error_s=st.floats(0, 600),
)

record = st.tuples(st.just("record"), st.integers(0, 5), statuses, retry_afters, st.text(max_size=30))
choose = st.tuples(st.just("choose"))
retry = st.tuples(st.just("retry"), st.sets(st.integers(0, 5)))
wait = st.tuples(st.just("wait"), st.floats(0, 90) | st.floats(0, 4000))
operations = st.lists(st.one_of(record, choose, retry, wait), max_size=40)


@SETTINGS
@given(key_lists, cooldowns, operations)
def test_choices_stay_in_the_pool_prefer_healthy_keys_and_counts_add_up(pool_keys, rest, steps):
    pools = KeyPools(rest)
    pool = pools.client_pool(pool_keys)
    now = START
    for step in steps:
        match step:
            case ("record", index, status, retry_after, message):
                pool.record(pool_keys[index % len(pool_keys)], status, now, retry_after=retry_after, message=message)
            case ("choose",):
                healthy = healthy_keys(pools, pool_keys, now)
                chosen = pool.choose(now)
                assert chosen in pool_keys
                if healthy:
                    assert chosen in healthy
                else:
                    assert_recovers_first(pools, pool_keys, chosen, now)
            case ("retry", tried_indices):
                tried = {pool_keys[i % len(pool_keys)] for i in tried_indices}
                candidates = healthy_keys(pools, pool_keys, now) - tried
                chosen = pool.next_untried(tried, now)
                assert chosen in candidates if candidates else chosen is None
            case ("wait", seconds):
                now += seconds
    for stats in pools.snapshot(now)["keys"].values():
        assert stats["requests"] == stats["successes"] + sum(stats["failures"].values())
        assert stats["cooling_for_s"] >= 0


def healthy_keys(pools, pool_keys, now):
    by_label = pools.snapshot(now)["keys"]
    pool = pools.client_pool(pool_keys)
    return {key for key in pool_keys if by_label[pool.label(key)]["cooling_for_s"] == 0}


def assert_recovers_first(pools, pool_keys, chosen, now):
    pool = pools.client_pool(pool_keys)
    cooling_until = {key: pool.stats(key).cooling_until for key in pool_keys}
    assert cooling_until[chosen] == min(cooling_until.values()), (pool.label(chosen), now)


failures = st.sampled_from([None, 401, 402, 403, 429, 500, 529])


@SETTINGS
@given(key_lists, st.data())
def test_when_every_key_is_cooling_the_one_recovering_first_is_chosen(pool_keys, data):
    pool = KeyPools().client_pool(pool_keys)
    for key in pool_keys:
        pool.record(key, data.draw(failures), START - data.draw(st.floats(0, 29)), retry_after=data.draw(retry_afters))
    cooling = {key: pool.stats(key).cooling_until for key in pool_keys if pool.stats(key).is_cooling(START)}
    chosen = pool.choose(START)
    if len(cooling) == len(pool_keys):
        assert cooling[chosen] == min(cooling.values())
    else:
        assert chosen not in cooling


@SETTINGS
@given(key_lists)
def test_rotation_visits_every_key_in_turn_while_all_are_healthy(pool_keys):
    pool = KeyPools().client_pool(pool_keys)
    rounds = [pool.choose(START) for _ in range(3 * len(pool_keys))]
    assert rounds == pool_keys * 3


message_pieces = st.lists(
    st.one_of(st.integers(0, 5), st.text(max_size=8), st.sampled_from([" ", "\n", ":", '"'])), max_size=12
)


@SETTINGS
@given(key_lists, message_pieces, st.integers(0, 5000))
def test_stats_never_hold_a_key_whatever_the_message(pool_keys, pieces, padding):
    pools = KeyPools()
    pool = pools.client_pool(pool_keys)
    message = " " * padding + "".join(
        pool_keys[piece % len(pool_keys)] if isinstance(piece, int) else piece for piece in pieces
    )
    pool.record(pool_keys[0], 401, START, message=message)
    kept = pool.stats(pool_keys[0]).last_error.message
    labels = [pool.label(key) for key in pool_keys]
    assert len(set(labels)) == len(labels)
    for key in pool_keys:
        assert key not in kept
        # A fingerprint shows four characters, which may be the whole of another, tiny key.
        if len(key) > 4:
            assert not any(key in label for label in labels)


separators = st.lists(st.sampled_from([",", " ", "\t", "\n", ", ", " ,\n"]), min_size=1, max_size=3).map("".join)
visible_keys = st.text(string.ascii_letters + string.digits + "-_.#", min_size=1, max_size=20).filter(
    lambda key: not key.startswith("#")
)


@SETTINGS
@given(st.lists(visible_keys, max_size=8), st.data())
def test_a_key_list_reads_back_its_keys_once_each_in_order(key_list, data):
    text = "".join(key + data.draw(separators) for key in key_list)
    if data.draw(st.booleans()):
        text = "# keys\n" + text.replace("\n", "  # note\n") + "\n#" + data.draw(visible_keys)
    assert parse_key_list(text) == list(dict.fromkeys(key_list))


@SETTINGS
@given(st.integers(0, 10**9), st.floats(0, 4 * 10**9))
def test_retry_after_in_seconds_is_independent_of_now(seconds, now):
    assert parse_retry_after(str(seconds), now) == seconds


@SETTINGS
@given(st.integers(10**9, 3 * 10**9), st.integers(-10**6, 10**6))
def test_retry_after_as_a_date_counts_from_now(moment, offset):
    assert parse_retry_after(formatdate(moment, usegmt=True), moment - offset) == max(0, offset)


@SETTINGS
@given(st.text(max_size=20), st.lists(st.text(min_size=1, max_size=20), max_size=5))
def test_a_token_is_allowed_exactly_when_it_is_one_of_the_tokens(presented, tokens):
    assert token_allowed(presented, tokens) is (bool(presented) and presented in tokens)


@SETTINGS
@given(keys)
def test_a_fingerprint_shows_at_most_the_last_four_characters(key):
    shown = fingerprint(key).removeprefix("sk-").removeprefix("…")
    assert key.endswith(shown) and len(shown) <= 4
