"""Key pools: rotation, health and cooldowns, retries, stats without keys, key lists, tokens."""

import json
from email.utils import formatdate

import pytest

from anyrouter_core.key_pool import (
    MESSAGE_LIMIT,
    WITHHELD_MESSAGE,
    Cooldowns,
    KeyPools,
    parse_retry_after,
    should_retry,
)
from anyrouter_core.keys import is_well_formed_key, parse_key_list, token_allowed

K1 = "sk-ant-api03-FIRSTsecretAAAA-k1k1"
K2 = "sk-ant-api03-SECONDsecretBBB-k2k2"
K3 = "sk-ant-api03-THIRDsecretCCCC-k3k3"
NOW = 1_700_000_000.0


def server_pool(*keys, cooldowns=Cooldowns()):
    pools = KeyPools(cooldowns)
    pools.set_server_keys(keys or (K1, K2, K3))
    return pools, pools.server_pool


# --- rotation -------------------------------------------------------------------------------


def test_six_requests_over_three_keys_hit_each_twice_in_order():
    _, pool = server_pool()
    assert [pool.choose(NOW) for _ in range(6)] == [K1, K2, K3, K1, K2, K3]


def test_a_client_pool_keeps_its_position_across_requests():
    pools = KeyPools()
    assert pools.client_pool([K1, K2, K3]).choose(NOW) == K1
    assert pools.client_pool([K1, K2, K3]).choose(NOW) == K2
    assert pools.client_pool([K1, K2, K3]).choose(NOW) == K3
    assert pools.client_pool([K1, K2, K3]).choose(NOW) == K1


def test_client_pools_rotate_independently_of_each_other_and_of_the_server_pool():
    pools, server = server_pool(K1, K2)
    assert server.choose(NOW) == K1
    assert pools.client_pool([K1, K2]).choose(NOW) == K1
    assert pools.client_pool([K2, K3]).choose(NOW) == K2
    assert pools.client_pool([K1, K2]).choose(NOW) == K2
    assert server.choose(NOW) == K2
    assert pools.client_pool([K2, K3]).choose(NOW) == K3


def test_the_same_keys_in_another_order_are_another_pool():
    pools = KeyPools()
    assert pools.client_pool([K1, K2]) is not pools.client_pool([K2, K1])
    assert pools.client_pool([K1, K2, K1]) is pools.client_pool([K1, K2])


def test_a_single_key_is_a_pool_of_one():
    pools = KeyPools()
    pool = pools.client_pool([K1])
    pool.record(K1, 401, NOW)
    assert pool.choose(NOW) == K1
    assert pool.next_untried([K1], NOW) is None


# --- health ---------------------------------------------------------------------------------


def test_a_server_error_cools_a_key_until_the_short_cooldown_expires():
    _, pool = server_pool(K1, K2)
    assert pool.choose(NOW) == K1
    pool.record(K1, 503, NOW)
    assert [pool.choose(NOW + 1) for _ in range(3)] == [K2, K2, K2]
    assert [pool.choose(NOW + 29.9) for _ in range(2)] == [K2, K2]
    assert [pool.choose(NOW + 30) for _ in range(2)] == [K1, K2]


@pytest.mark.parametrize("status", [500, 502, 504, 529, None])
def test_5xx_529_and_connection_errors_cool_a_key_briefly(status):
    _, pool = server_pool(K1, K2, cooldowns=Cooldowns(server_error_s=5))
    pool.record(K1, status, NOW)
    assert pool.choose(NOW + 4.9) == K2
    assert pool.choose(NOW + 5) == K1


@pytest.mark.parametrize("status", [401, 402, 403])
def test_a_refused_key_rests_for_the_long_cooldown(status):
    _, pool = server_pool(K1, K2)
    pool.record(K1, status, NOW)
    assert {pool.choose(NOW + 3599) for _ in range(4)} == {K2}
    assert {pool.choose(NOW + 3600) for _ in range(2)} == {K1, K2}


def test_the_long_cooldown_is_configurable():
    _, pool = server_pool(K1, K2, cooldowns=Cooldowns(auth_error_s=10))
    pool.record(K1, 401, NOW)
    assert pool.choose(NOW + 9) == K2
    assert pool.choose(NOW + 10) == K1


def test_a_429_rests_for_the_seconds_of_its_retry_after():
    _, pool = server_pool(K1, K2)
    pool.record(K1, 429, NOW, retry_after="7")
    assert pool.choose(NOW + 6.9) == K2
    assert pool.choose(NOW + 7) == K1


def test_a_429_rests_until_the_http_date_of_its_retry_after():
    _, pool = server_pool(K1, K2)
    pool.record(K1, 429, NOW, retry_after=formatdate(NOW + 120, usegmt=True))
    assert pool.choose(NOW + 119) == K2
    assert pool.choose(NOW + 120) == K1


@pytest.mark.parametrize("retry_after", [None, "", "soon", "-3"])
def test_a_429_without_a_usable_retry_after_rests_for_the_default(retry_after):
    _, pool = server_pool(K1, K2)
    pool.record(K1, 429, NOW, retry_after=retry_after)
    assert pool.choose(NOW + 59) == K2
    assert pool.choose(NOW + 60) == K1


def test_a_success_ends_a_cooldown():
    _, pool = server_pool(K1, K2)
    pool.record(K1, 401, NOW)
    pool.record(K1, 200, NOW + 1)
    assert pool.choose(NOW + 2) == K1


@pytest.mark.parametrize("status", [400, 404, 413, 422])
def test_the_requests_own_errors_leave_the_key_healthy(status):
    _, pool = server_pool(K1, K2)
    pool.record(K1, status, NOW)
    assert pool.choose(NOW) == K1


def test_a_shorter_cooldown_does_not_cut_a_longer_one_short():
    _, pool = server_pool(K1, K2)
    pool.record(K1, 401, NOW)
    pool.record(K1, 503, NOW + 1)
    assert pool.choose(NOW + 100) == K2


def test_when_every_key_is_cooling_the_one_that_recovers_first_is_used():
    _, pool = server_pool()
    pool.record(K1, 401, NOW)
    pool.record(K2, 429, NOW, retry_after="7")
    pool.record(K3, 503, NOW)
    assert [pool.choose(NOW + 1) for _ in range(3)] == [K2, K2, K2]
    assert pool.choose(NOW + 8) == K2, "K2 is healthy again"
    assert pool.choose(NOW + 8) == K2, "and the only healthy key"


def test_health_belongs_to_the_key_in_every_pool_that_holds_it():
    pools, server = server_pool(K1, K2)
    client = pools.client_pool([K1, K3])
    server.record(K1, 401, NOW)
    assert client.choose(NOW) == K3


def test_new_cooldowns_apply_to_existing_pools():
    pools, pool = server_pool(K1, K2)
    pools.cooldowns = Cooldowns(server_error_s=1)
    pool.record(K1, 500, NOW)
    assert pool.choose(NOW + 1) == K1


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "30"])
def test_cooldowns_must_be_finite_non_negative_seconds(bad):
    with pytest.raises(ValueError, match="server_error_s"):
        Cooldowns(server_error_s=bad)


# --- retries --------------------------------------------------------------------------------


def test_a_retry_takes_the_next_healthy_key_not_yet_tried_and_stops_when_none_is_left():
    _, pool = server_pool()
    tried = [pool.choose(NOW)]
    pool.record(tried[-1], 429, NOW, retry_after="30")
    tried.append(pool.next_untried(tried, NOW))
    assert tried == [K1, K2]
    pool.record(K2, 529, NOW)
    tried.append(pool.next_untried(tried, NOW))
    assert tried == [K1, K2, K3]
    pool.record(K3, 500, NOW)
    assert pool.next_untried(tried, NOW) is None


def test_a_retry_skips_untried_keys_that_are_cooling():
    _, pool = server_pool()
    pool.record(K2, 401, NOW)
    assert pool.choose(NOW) == K1
    assert pool.next_untried([K1], NOW) == K3
    assert pool.next_untried([K1, K3], NOW) is None


def test_a_retry_moves_the_rotation_on():
    _, pool = server_pool()
    assert pool.choose(NOW) == K1
    assert pool.next_untried([K1], NOW) == K2
    assert pool.choose(NOW) == K3


@pytest.mark.parametrize(
    ("status", "retry"),
    [(401, True), (402, True), (403, True), (429, True), (500, True), (502, True), (503, True),
     (529, True), (None, True), (200, False), (400, False), (404, False), (413, False), (422, False)],
)
def test_should_retry(status, retry):
    assert should_retry(status) is retry


# --- retry-after ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), (" 120 ", 120.0), ("0", 0.0), ("1.5", 1.5), (None, None), ("", None), ("-3", None),
     ("soon", None), ("nan", None), ("inf", None), ("1e3", None), ("9" * 400, None)],
)
def test_retry_after_in_seconds(value, seconds):
    assert parse_retry_after(value, NOW) == seconds


def test_retry_after_as_an_http_date():
    assert parse_retry_after(formatdate(NOW + 90, usegmt=True), NOW) == 90.0
    assert parse_retry_after(formatdate(NOW - 90, usegmt=True), NOW) == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 -0000", 1445412470.0) == 10.0


# --- stats ----------------------------------------------------------------------------------


def assert_no_key_in(text, *keys):
    """Neither a key nor any six of its characters in a row, but for its last four."""
    for key in keys:
        assert key not in text
        for start in range(len(key) - 4 - 6 + 1):
            assert key[start : start + 6] not in text, f"{key[start : start + 6]!r} of a key leaked"


def test_stats_count_every_outcome_per_key_fingerprint():
    pools, pool = server_pool(K1, K2)
    pool.record(K1, 200, NOW)
    pool.record(K1, 429, NOW + 1, retry_after="10", message="Rate limited")
    pool.record(K1, 429, NOW + 2, message="Rate limited")
    pool.record(K2, None, NOW + 3, message="connection refused")
    pool.record(K2, 400, NOW + 4, message="bad request")
    snapshot = pools.snapshot(NOW + 5)
    assert snapshot["keys"] == {
        "sk-…k1k1": {
            "requests": 3,
            "successes": 1,
            "failures": {"429": 2},
            "last_error": {"status": "429", "message": "Rate limited", "at": NOW + 2},
            "cooling_for_s": 57,
        },
        "sk-…k2k2": {
            "requests": 2,
            "successes": 0,
            "failures": {"connection": 1, "400": 1},
            "last_error": {"status": "400", "message": "bad request", "at": NOW + 4},
            "cooling_for_s": 28,
        },
    }
    assert snapshot["pools"] == [
        {"source": "server", "keys": ["sk-…k1k1", "sk-…k2k2"], "next": "sk-…k1k1", "healthy": 0}
    ]
    assert snapshot["client_pools"] == {"count": 0, "limit": 1024}
    assert json.loads(json.dumps(snapshot)) == snapshot


def test_cooling_time_is_rounded_up_so_a_cooling_key_never_shows_zero():
    pools, pool = server_pool(K1)
    pool.record(K1, 500, NOW)
    assert pools.snapshot(NOW + 29.5)["keys"]["sk-…k1k1"]["cooling_for_s"] == 1
    assert pools.snapshot(NOW + 30)["keys"]["sk-…k1k1"]["cooling_for_s"] == 0


def test_the_snapshot_holds_no_key_only_fingerprints():
    pools, server = server_pool()
    client = pools.client_pool([K3, "plainkey-without-prefix-9f8e", "short"])
    for pool in (server, client):
        for key in pool.keys:
            pool.choose(NOW)
            pool.record(key, 401, NOW, message=f"Invalid API key: {key}")
            pool.record(key, 429, NOW, message=f"{key}{key} is rate limited ({key})")
    dumped = json.dumps(pools.snapshot(NOW))
    assert_no_key_in(dumped, K1, K2, K3, "plainkey-without-prefix-9f8e")
    assert "short" not in dumped
    assert dumped.count("9f8e") >= 1


def test_error_messages_are_scrubbed_of_the_pools_keys():
    pools, pool = server_pool()
    pool.record(K2, 401, NOW, message=f"Invalid x-api-key {K2}; also tried {K1}")
    error = pools.snapshot(NOW)["keys"]["sk-…k2k2"]["last_error"]
    assert error["message"] == "Invalid x-api-key sk-…k2k2; also tried sk-…k1k1"


def test_error_messages_are_squeezed_and_cut_after_scrubbing():
    plain = "plain-secret-key-zz99"
    pools, pool = server_pool(K1, plain)
    page = "<html>\n  <body>" + "x " * 400 + "</body></html>"
    pool.record(K1, 502, NOW, message=page)
    pool.record(plain, 502, NOW, message="y" * (MESSAGE_LIMIT - 5) + " " + plain)
    keys = pools.snapshot(NOW)["keys"]
    assert keys["sk-…k1k1"]["last_error"]["message"].startswith("<html> <body>x x x")
    assert len(keys["sk-…k1k1"]["last_error"]["message"]) == MESSAGE_LIMIT
    assert keys["sk-…k1k1"]["last_error"]["message"].endswith("…")
    # Cut first, the key's first characters would have been kept: " pla…".
    assert keys["…zz99"]["last_error"]["message"] == "y" * (MESSAGE_LIMIT - 5) + " …zz…"


def test_a_key_cut_by_the_scan_limit_of_a_huge_message_does_not_leak():
    pools, pool = server_pool()
    for padding in range(4096 - 40, 4096):
        # The padding collapses away, so the cut key would open the kept message.
        pool.record(K1, 502, NOW, message=" " * padding + K1 + " tail")
        assert_no_key_in(json.dumps(pools.snapshot(NOW)), K1)


def test_keys_overlapping_in_a_message_withhold_it():
    pools = KeyPools()
    first, second = "AAAAAAAAAAAAwxyz", "wxyzBBBBBBBBBBBB"
    pool = pools.client_pool([first, second])
    assert pool.scrub("AAAAAAAAAAAAwxyzBBBBBBBBBBBB") == WITHHELD_MESSAGE


def test_two_keys_with_one_fingerprint_keep_separate_stats():
    twin1, twin2 = "sk-first-twin-secret-a1b2", "sk-other-twin-secret-a1b2"
    pools = KeyPools()
    pool = pools.client_pool([twin1, twin2])
    pool.record(twin1, 200, NOW)
    pool.record(twin2, 500, NOW)
    pool.record(twin2, 500, NOW)
    assert (pool.label(twin1), pool.label(twin2)) == ("sk-…a1b2", "sk-…a1b2#2")
    keys = pools.snapshot(NOW)["keys"]
    assert keys["sk-…a1b2"]["requests"] == 1
    assert keys["sk-…a1b2#2"]["failures"] == {"500": 2}


def test_a_label_suffix_is_never_reused_while_a_twin_is_alive():
    pools = KeyPools(max_client_pools=2)
    twins = [f"sk-twin-number-{n}-secret-a1b2" for n in range(3)]
    pools.client_pool([twins[0]])
    pools.client_pool([twins[1]])
    pools.client_pool([twins[2]])  # forgets twins[0], whose label was the bare fingerprint
    assert sorted(pools.snapshot(NOW)["keys"]) == ["sk-…a1b2#2", "sk-…a1b2#3"]
    assert pools.client_pool([twins[0]]).label(twins[0]) == "sk-…a1b2#4"


def test_replacing_the_server_keys_keeps_the_stats_of_keys_kept():
    pools, pool = server_pool(K1, K2)
    pool.record(K1, 500, NOW)
    pool.record(K2, 500, NOW)
    pools.set_server_keys([K2, K3])
    keys = pools.snapshot(NOW)["keys"]
    assert sorted(keys) == ["sk-…k2k2", "sk-…k3k3"]
    assert keys["sk-…k2k2"]["failures"] == {"500": 1}
    assert pools.server_pool.choose(NOW) == K3
    pools.set_server_keys([])
    assert pools.server_pool is None
    assert pools.snapshot(NOW)["keys"] == {}


# --- the client pool registry ---------------------------------------------------------------


def test_the_1025th_client_pool_forgets_the_least_recently_used_one():
    pools = KeyPools()
    client_keys = [[f"sk-client-{n:04d}-key"] for n in range(1025)]
    first = pools.client_pool(client_keys[0])
    first.choose(NOW)
    second = pools.client_pool(client_keys[1])
    for keys in client_keys[2:1024]:
        pools.client_pool(keys)
    assert pools.client_pool(client_keys[0]) is first, "using it makes it the most recent"
    pools.client_pool(client_keys[1024])
    snapshot = pools.snapshot(NOW)
    assert snapshot["client_pools"] == {"count": 1024, "limit": 1024}
    assert len(snapshot["keys"]) == 1024
    assert pools.client_pool(client_keys[0]) is first
    assert pools.client_pool(client_keys[1]) is not second, "it was forgotten, then made anew"


def test_a_forgotten_pool_still_serves_the_request_that_holds_it():
    pools = KeyPools(max_client_pools=1)
    pool = pools.client_pool([K1, K2])
    pools.client_pool([K3])
    assert pool.choose(NOW) == K1
    pool.record(K1, 500, NOW)
    assert pool.next_untried([K1], NOW) == K2


def test_keys_shared_with_a_live_pool_outlive_a_forgotten_one():
    pools = KeyPools(max_client_pools=1)
    pools.set_server_keys([K1])
    pools.client_pool([K1, K2]).record(K1, 500, NOW)
    pools.client_pool([K3])
    assert sorted(pools.snapshot(NOW)["keys"]) == ["sk-…k1k1", "sk-…k3k3"]
    assert pools.snapshot(NOW)["keys"]["sk-…k1k1"]["failures"] == {"500": 1}


def test_a_client_pool_has_a_bounded_number_of_keys():
    pools = KeyPools(max_client_pool_keys=3)
    pools.client_pool([K1, K2, K3, K1])
    with pytest.raises(ValueError, match="at most 3 keys"):
        pools.client_pool([K1, K2, K3, "sk-fourth-key-0000"])


@pytest.mark.parametrize("keys", [[], [""], ["two words"], ["tab\tkey"], ["caf\u00e9-key"]])
def test_a_client_pool_needs_keys_of_visible_ascii(keys):
    with pytest.raises(ValueError):
        KeyPools().client_pool(keys)


def test_recording_a_key_the_pool_does_not_hold_is_an_error():
    _, pool = server_pool(K1)
    with pytest.raises(KeyError):
        pool.record(K2, 200, NOW)


# --- key lists and access tokens ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "k1,k2,k3",
        " k1 , k2 ,, k3 ,",
        "k1 k2\tk3",
        "k1,k2,k1,k3,k2",
        "# pool for the team\nk1\n\n  k2   # the spare\n#k9\nk3\r\n",
        "k1, k2\n# k4, k5\nk3 #k6",
    ],
)
def test_key_lists_separated_by_commas_whitespace_or_lines_with_comments(text):
    assert parse_key_list(text) == ["k1", "k2", "k3"]


def test_a_hash_inside_a_key_is_part_of_the_key():
    assert parse_key_list("abc#def, ghi") == ["abc#def", "ghi"]


@pytest.mark.parametrize("text", ["", "   ", ",,,", "# only a comment\n\n"])
def test_an_empty_key_list(text):
    assert parse_key_list(text) == []


@pytest.mark.parametrize("bad", ["\u200b", "\u201c", "é", "\x00", "\x7f"])
def test_a_key_with_a_character_no_header_can_carry_is_rejected_without_showing_it(bad):
    key = f"sk-secret{bad}middle-part-9z9z"
    with pytest.raises(ValueError) as raised:
        parse_key_list(f"sk-good-key-000000000, {key}")
    message = str(raised.value)
    assert "key 2 (sk-…9z9z)" in message
    assert f"U+{ord(bad):04X}" in message
    assert "secret" not in message and "middle" not in message


@pytest.mark.parametrize(
    ("key", "well_formed"),
    [("sk-ant-api03-x_y.z#1~", True), ("k", True), ("", False), ("a b", False), ("a\u00a0b", False),
     ("a\u200bb", False), ("\u201ckey\u201d", False)],
)
def test_well_formed_keys_are_visible_ascii(key, well_formed):
    assert is_well_formed_key(key) is well_formed


def test_token_allowed():
    tokens = ["team-token-1", "team-token-2"]
    assert token_allowed("team-token-2", tokens)
    assert not token_allowed("team-token-3", tokens)
    assert not token_allowed("team-token", tokens)
    assert not token_allowed("", tokens)
    assert not token_allowed(None, tokens)
    assert not token_allowed("team-token-1", [])
    assert token_allowed("caf\udce9", ["caf\udce9"]), "undecodable header bytes compare, never raise"
