"""The one list of credential carriers: which key a client presented, and how each carrier is shown."""

import string
import urllib.parse

from hypothesis import given
from hypothesis import strategies as st

from anyrouter_core.header_rules import forbidden_reason
from anyrouter_core.keys import (
    CREDENTIAL_CARRIERS,
    CREDENTIAL_HEADERS,
    CREDENTIAL_QUERY_PARAMETERS,
    Carrier,
    client_credential,
    keys_in,
    redact_carrier_value,
    redact_cookie,
    redact_query,
    restore_query,
    without_query_parameter,
)

GEMINI_KEY = "AIzaSyD-gemini-key-0123456789abcdef"


def test_the_carriers_are_the_key_headers_cookie_and_the_key_parameter():
    assert CREDENTIAL_HEADERS == {"authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie"}
    assert CREDENTIAL_QUERY_PARAMETERS == {"key"}
    assert len(CREDENTIAL_CARRIERS) == len(CREDENTIAL_HEADERS) + len(CREDENTIAL_QUERY_PARAMETERS)


def test_the_presented_key_comes_from_the_first_carrier_that_holds_one():
    every = {"x-api-key": "k-anthropic", "authorization": "Bearer k-openai", "x-goog-api-key": "k-gemini"}
    path = "/v1beta/models/m:generateContent?alt=sse&key=k-query"
    assert client_credential(every, path).value == "k-anthropic"
    del every["x-api-key"]
    assert client_credential(every, path).value == "k-openai"
    del every["authorization"]
    presented = client_credential(every, path)
    assert (presented.carrier, presented.value) == (Carrier("header", "x-goog-api-key"), "k-gemini")
    presented = client_credential({}, path)
    assert (presented.carrier, presented.value) == (Carrier("query", "key"), "k-query")
    assert client_credential({}, "/v1/messages") is None


def test_only_a_bearer_authorization_or_a_non_blank_value_is_a_key():
    assert client_credential({"authorization": "Basic dXNlcjpwdw==", "x-goog-api-key": "k1"}, "/").value == "k1"
    assert client_credential({"x-api-key": "  ", "authorization": "Bearer  "}, "/?key=") is None
    assert client_credential({"api-key": "azure-key", "cookie": "session=abc"}, "/") is None  # passed on only


def test_a_query_key_is_read_decoded():
    assert client_credential({}, "/p?key=k1%2Ck2").value == "k1,k2"


def test_key_headers_show_every_key_as_a_fingerprint():
    assert redact_carrier_value("x-goog-api-key", GEMINI_KEY) == "…cdef"
    assert redact_carrier_value("api-key", "azure-0123456789abcdef,sk-second-key-00000002") == "…cdef,sk-…0002"
    assert redact_carrier_value("authorization", "Bearer sk-proj-abcdefgh-0001") == "Bearer sk-…0001"


def test_a_cookie_header_keeps_the_names_and_fingerprints_each_value():
    assert redact_cookie("theme=dark; session=0123456789abcdef; flag") == "theme=…; session=…cdef; …"
    assert redact_carrier_value("cookie", "a=b=c-0123456789") == "a=…6789"


def test_the_key_parameter_is_fingerprinted_and_the_rest_of_the_path_kept_byte_for_byte():
    path = f"/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key={GEMINI_KEY}&x=%2F+y"
    shown, originals = redact_query(path)
    assert shown == "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=%E2%80%A6cdef&x=%2F+y"
    assert urllib.parse.parse_qs(shown.partition("?")[2])["key"] == ["…cdef"]
    assert restore_query(shown, originals) == path


def test_every_key_parameter_whatever_its_case_is_fingerprinted():
    shown, originals = redact_query("/p?KEY=sk-upper-key-00000001&key=sk-k1-000000000a,sk-k2-000000000b")
    assert shown == "/p?KEY=sk-%E2%80%A60001&key=sk-%E2%80%A6000a,sk-%E2%80%A6000b"
    assert restore_query(shown, originals) == "/p?KEY=sk-upper-key-00000001&key=sk-k1-000000000a,sk-k2-000000000b"


def test_a_path_without_a_key_parameter_is_left_alone():
    for path in ("/v1/messages", "/v1/messages?beta=true", "/p?monkey=1&keys=2", "/p?key"):
        assert redact_query(path) == (path, {})


def test_restoring_puts_back_only_values_still_shown():
    shown, originals = redact_query(f"/p?key={GEMINI_KEY}")
    assert restore_query("/other?key=%E2%80%A6cdef&more=1", originals) == f"/other?key={GEMINI_KEY}&more=1"
    assert restore_query("/other?key=typed-by-hand", originals) == "/other?key=typed-by-hand"
    assert restore_query("/v1/messages", originals) == "/v1/messages"


def test_the_key_parameter_can_be_taken_out():
    assert without_query_parameter("/p?alt=sse&key=k&b=1", "key") == "/p?alt=sse&b=1"
    assert without_query_parameter("/p?key=k", "key") == "/p"
    assert without_query_parameter("/p", "key") == "/p"


def test_keys_in_a_credential_value():
    assert keys_in("Bearer k1, k2") == ["k1", "k2"]
    assert keys_in("k1") == ["k1"]


def test_header_rules_may_name_no_credential_header():
    for name in CREDENTIAL_HEADERS:
        assert forbidden_reason(name.title()), name


query_text = st.text(alphabet=string.ascii_letters + string.digits + "-_.~%+=/:,", max_size=20)
secrets = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=12, max_size=60)


@given(st.lists(st.tuples(query_text, query_text), max_size=4), secrets, st.integers(0, 4))
def test_no_piece_of_a_query_key_survives_and_restoring_gives_the_path_back(others, secret, position):
    parts = [f"{a}={b}" for a, b in others if urllib.parse.unquote_plus(a.partition("=")[0]).lower() != "key"]
    unrelated = "&".join(parts)
    parts.insert(min(position, len(parts)), f"key={secret}")
    prefix = "/v1beta/models/m:generateContent?"
    path = prefix + "&".join(parts)
    shown, originals = redact_query(path)
    for start in range(len(secret) - 7):
        piece = secret[start:start + 8]
        # A piece that the rest of the path holds anyway ("generate…") says nothing of the key.
        assert piece not in shown or piece in unrelated or piece in prefix, piece
    assert restore_query(shown, originals) == path
