"""The usage log in mitmproxy's test context: the row each flow leaves, the `usage_db` option,
/stats from the log, the export at /stats/usage and the dashboard's /dashboard/data."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from mitmproxy import exceptions, http
from mitmproxy.proxy.layers.http import HttpErrorHook, HttpResponseHeadersHook, HttpResponseHook
from mitmproxy.test import tflow, tutils

from addon_flows import request_flow, send_request
from anyrouter_addons.flow_state import state_of
from anyrouter_addons.stats import Stats, parse_moment
from anyrouter_addons.usage_log import MESSAGE_LIMIT, UsageLog, usage_row
from anyrouter_addons.usage_store import COLUMNS

CLIENT_KEY = "sk-ant-usage-client-key-0042"
ANTHROPIC_BODY = b'{"model":"claude-sonnet-4-6","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}'
JSON = http.Headers([(b"content-type", b"application/json")])


def anthropic_flow(key: str = CLIENT_KEY, path: str = "/v1/messages?beta=true") -> http.HTTPFlow:
    return request_flow("POST", path, {"x-api-key": key, "content-type": "application/json"}, ANTHROPIC_BODY)


def answer(chain, flow: http.HTTPFlow, status: int = 200, content: bytes = b'{"type":"message"}') -> None:
    flow.response = tutils.tresp(status_code=status, headers=JSON.copy(), content=content)
    chain.run(HttpResponseHeadersHook, flow)
    chain.run(HttpResponseHook, flow)


def rows(chain) -> list[dict]:
    return chain.addon(UsageLog).store.export()


def get(chain, path: str, headers: dict | None = None) -> http.HTTPFlow:
    flow = request_flow("GET", path, headers)
    send_request(chain, flow)
    return flow


# -- the row ------------------------------------------------------------------------------------


def test_a_passed_through_answer_leaves_one_row_with_the_flows_facts(chain):
    flow = anthropic_flow()
    send_request(chain, flow)
    answer(chain, flow)
    [saved] = rows(chain)
    assert saved == {
        "time": 946681200.0,  # tflow's request start; tresp: headers at +2 s, last byte at +3 s
        "duration_ms": 3000.0,
        "ttfb_ms": 2000.0,
        "client_protocol": "anthropic",
        "upstream": "upstream.test",
        "route": None,
        "model": "claude-sonnet-4-6",
        "upstream_model": "claude-sonnet-4-6",
        "key": "sk-…0042",
        "status": 200,
        "error_type": None,
        "error_message": None,
        "input": None, "cache_read": None, "cache_write": None, "output": None, "reasoning": None,
        "estimated": 0,
        "path": "/v1/messages",  # without its query
        "stream": 0,
        "api_route": "anthropic-messages",
    }


def test_the_usage_the_meter_read_from_the_answer_is_in_the_row(chain):
    flow = anthropic_flow()
    send_request(chain, flow)
    usage = {"input_tokens": 12, "cache_read_input_tokens": 11008, "cache_creation_input_tokens": 64, "output_tokens": 7}
    answer(chain, flow, content=json.dumps({"type": "message", "usage": usage}).encode())
    assert state_of(flow).usage["cache_read"] == 11008
    [saved] = rows(chain)
    assert [saved[n] for n in ("input", "cache_read", "cache_write", "output", "reasoning", "estimated")] == [
        12, 11008, 64, 7, None, 0]


def test_estimated_usage_is_marked(chain):
    flow = anthropic_flow()
    send_request(chain, flow)
    flow.response = tutils.tresp(status_code=200, headers=JSON.copy(), content=b"{}")
    state_of(flow).usage = {"input": 30, "cache_read": None, "cache_write": None, "output": 4, "reasoning": None,
                            "estimated": True}
    assert usage_row(flow, state_of(flow), lambda flow, text: text)["estimated"] == 1


def test_a_key_quoted_in_the_upstream_error_is_fingerprinted_in_the_row(chain):
    pool = f"{CLIENT_KEY},sk-ant-usage-other-key-0043"
    flow = anthropic_flow(pool)
    send_request(chain, flow)
    body = json.dumps({"type": "error", "error": {"type": "permission_error", "message": (
        f"key {CLIENT_KEY} may not use this model (pool {pool})")}}).encode()
    answer(chain, flow, 403, body)
    [saved] = rows(chain)
    assert (saved["status"], saved["error_type"]) == (403, "permission_error")
    assert saved["error_message"] == "key sk-…0042 may not use this model (pool sk-…0042,sk-…0043)"
    raw = json.dumps(saved)
    assert "usage-client" not in raw and "usage-other" not in raw


def test_a_long_upstream_error_is_cut_after_it_is_scrubbed(chain):
    flow = anthropic_flow()
    send_request(chain, flow)
    # The key sits across the cut: scrubbed first, so no piece of it survives.
    message = "x" * (MESSAGE_LIMIT - 10) + f" {CLIENT_KEY}" + " and more" * 1000
    body = json.dumps({"type": "error", "error": {"type": "invalid_request_error", "message": message}}).encode()
    answer(chain, flow, 400, body)
    saved = rows(chain)[0]["error_message"]
    assert len(saved) == MESSAGE_LIMIT and saved.endswith("…")
    assert "usage-client" not in saved and "sk-…0" in saved


def test_an_html_error_page_becomes_a_message(chain):
    flow = anthropic_flow()
    send_request(chain, flow)
    flow.response = tutils.tresp(status_code=502, headers=http.Headers([(b"content-type", b"text/html")]),
                                 content=b"<html><title>502 Bad Gateway</title><body>nginx</body></html>")
    chain.run(HttpResponseHeadersHook, flow)
    chain.run(HttpResponseHook, flow)
    [saved] = rows(chain)
    assert saved["status"] == 502 and saved["error_type"] == "api_error"
    assert saved["error_message"].startswith("upstream answered HTTP 502 with an HTML page: 502 Bad Gateway")


def test_a_failure_without_an_answer_has_no_status(chain):
    flow = anthropic_flow()
    send_request(chain, flow)
    flow.error = tflow.terr("[Errno 111] Connect call failed ('127.0.0.1', 9)")
    chain.run(HttpErrorHook, flow)
    [saved] = rows(chain)
    assert (saved["status"], saved["ttfb_ms"], saved["error_type"]) == (None, None, "connection_error")
    assert saved["error_message"] == "[Errno 111] Connect call failed ('127.0.0.1', 9)"


def test_a_stream_that_broke_after_its_answer_is_one_row_an_error(chain):
    flow = anthropic_flow()
    send_request(chain, flow)
    flow.response = tutils.tresp(status_code=200)
    flow.error = tflow.terr("peer closed connection")
    chain.run(HttpErrorHook, flow)
    chain.run(HttpErrorHook, flow)  # however often it is told
    [saved] = rows(chain)
    assert (saved["status"], saved["error_type"], saved["error_message"]) == (200, "stream_error", "peer closed connection")


def test_the_proxys_own_answers_are_not_logged(chain):
    for path in ("/health", "/v1/models", "/stats"):
        flow = get(chain, path)
        chain.run(HttpResponseHook, flow)
    refused = anthropic_flow()
    chain.configure(upstream_keys="sk-ant-server-key-00000001", access_tokens="tok-usage-0001")
    send_request(chain, refused)  # no token: 401 from the proxy itself
    assert refused.response.status_code == 401
    chain.run(HttpResponseHook, refused)
    assert rows(chain) == []


def test_a_translated_request_names_the_translation_and_the_clients_path(chain):
    chain.configure(upstream_protocol="anthropic")
    body = b'{"model":"claude-sonnet-4-6","stream":true,"messages":[{"role":"user","content":"hi"}]}'
    flow = request_flow("POST", "/v1/chat/completions", {"authorization": "Bearer sk-openai-usage-0007",
                                                        "content-type": "application/json"}, body)
    send_request(chain, flow)
    assert flow.request.path == "/v1/messages"
    flow.response = tutils.tresp(status_code=200, headers=http.Headers([(b"content-type", b"text/event-stream")]),
                                 content=b"")
    chain.run(HttpResponseHeadersHook, flow)
    chain.run(HttpResponseHook, flow)
    [saved] = rows(chain)
    assert (saved["path"], saved["client_protocol"], saved["api_route"], saved["stream"], saved["key"]) == (
        "/v1/chat/completions", "openai", "openai→anthropic", 1, "sk-…0007")


# -- the option ---------------------------------------------------------------------------------


def test_usage_db_writes_the_file_and_expands_the_home_directory(chain, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    chain.configure(usage_db="~/logs/usage.sqlite3")
    flow = anthropic_flow()
    send_request(chain, flow)
    answer(chain, flow)
    store = chain.addon(UsageLog).store
    store.flush()
    with sqlite3.connect(tmp_path / "logs" / "usage.sqlite3") as db:
        assert db.execute("SELECT key, status FROM requests").fetchall() == [("sk-…0042", 200)]
    chain.addon(UsageLog).done()


def test_usage_db_that_is_not_a_usage_log_is_refused(chain, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 50)
    with pytest.raises(exceptions.OptionsError, match=rf"usage_db: {notes} is not an anyrouter usage database"):
        chain.configure(usage_db=str(notes))


def test_changing_usage_db_closes_the_old_file(chain, tmp_path):
    first, second = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    chain.configure(usage_db=str(first))
    flow = anthropic_flow()
    send_request(chain, flow)
    answer(chain, flow)
    chain.configure(usage_db=str(second))  # the first store commits and stops
    with sqlite3.connect(first) as db:
        assert db.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 1
    assert rows(chain) == []
    chain.configure(usage_db="")
    assert chain.addon(UsageLog).store.in_memory


# -- /stats, /stats/usage, /dashboard/data -------------------------------------------------------


def test_stats_counts_come_from_the_log_and_survive_a_new_process(chain, tmp_path):
    path = str(tmp_path / "usage.sqlite3")
    chain.configure(usage_db=path)
    for status in (200, 200, 529):
        flow = anthropic_flow()
        send_request(chain, flow)
        answer(chain, flow, status, b'{"type":"error","error":{"type":"overloaded_error","message":"busy"}}'
               if status >= 400 else b'{"type":"message"}')
    chain.addon(UsageLog).done()
    stats = json.loads(chain.tctx.command(chain.addon(Stats).stats_command))
    # A fresh chain (a restarted proxy) on the same file.
    chain.addon(UsageLog).configure({"usage_db"})
    served = json.loads(get(chain, "/stats").response.content)
    for shown in (stats, served):
        assert shown["requests"] == 3 and shown["errors"] == 1 and shown["success_rate"] == 0.6667
        assert shown["routes"] == {"anthropic-messages": {"requests": 3, "by_status": {"200": 2, "529": 1}}}
        assert shown["duration_ms"] == {"p50": 3000.0, "p95": 3000.0, "p99": 3000.0}
        assert shown["usage"] == {"input": 0, "cache_read": 0, "cache_write": 0, "output": 0, "reasoning": 0}
        assert shown["usage_by_model"] == {}


def test_usage_export_as_json_and_csv(chain):
    for key in ("sk-ant-usage-export-key-0001", "sk-ant-usage-export-key-0002"):
        flow = anthropic_flow(key)
        send_request(chain, flow)
        answer(chain, flow)
    exported = get(chain, "/stats/usage?since=946681199&until=2000-01-01T00:00:01")
    assert exported.response.headers["content-type"] == "application/json"
    body = json.loads(exported.response.content)
    assert (body["since"], body["until"]) == (946681199.0, 946684801.0)
    assert [row["key"] for row in body["rows"]] == ["sk-…0001", "sk-…0002"]
    assert list(body["rows"][0]) == list(COLUMNS)

    as_csv = get(chain, "/stats/usage?format=csv&since=1999-12-31T23:00:00Z")
    assert as_csv.response.headers["content-type"] == "text/csv; charset=utf-8"
    table = list(csv.reader(io.StringIO(as_csv.response.content.decode())))
    assert table[0] == list(COLUMNS)
    assert [r[COLUMNS.index("key")] for r in table[1:]] == ["sk-…0001", "sk-…0002"]
    assert table[1][COLUMNS.index("route")] == ""  # null
    assert b"usage-export-key" not in exported.response.content + as_csv.response.content

    assert json.loads(get(chain, "/stats/usage?since=946681201").response.content)["rows"] == []


@pytest.mark.parametrize("query, message", [
    ("since=yesterday", "'yesterday' is neither epoch seconds nor an ISO 8601 time"),
    ("until=nan", "'nan' is not a time"),
    ("format=xml", "format must be json or csv, not 'xml'"),
])
def test_usage_export_refuses_what_it_cannot_read(chain, query, message):
    flow = get(chain, f"/stats/usage?{query}")
    assert flow.response.status_code == 400
    assert json.loads(flow.response.content)["error"]["message"] == f"/stats/usage: {message}"


def test_parse_moment_reads_epoch_and_iso_8601():
    assert parse_moment("1764650000") == 1764650000.0
    assert parse_moment("1764650000.25") == 1764650000.25
    assert parse_moment("2025-12-02T04:33:20Z") == 1764650000.0
    assert parse_moment("2025-12-02T05:33:20+01:00") == 1764650000.0
    assert parse_moment("2025-12-02T05:33:20 01:00") == 1764650000.0  # an unencoded + in a query
    assert parse_moment("2025-12-02 04:33:20") == 1764650000.0  # naive: UTC
    assert parse_moment("2025-12-02") == 1764633600.0


def test_dashboard_data_has_the_contracts_shape_and_the_keys_health(chain):
    pool = "sk-ant-usage-dash-key-0001,sk-ant-usage-dash-key-0002"
    first = anthropic_flow(pool)
    send_request(chain, first)
    answer(chain, first, 401, b'{"type":"error","error":{"type":"authentication_error","message":"bad key"}}')
    flow = get(chain, "/dashboard/data")
    assert flow.response.headers["content-type"] == "application/json"
    data = json.loads(flow.response.content)
    assert list(data) == ["now", "window_hours", "totals", "latency_ms", "ttfb_ms", "per_minute", "per_hour",
                          "by_model", "by_upstream", "by_key", "by_client", "keys", "recent", "recent_errors"]
    assert data["keys"][0]["label"] == "sk-…0001" and data["keys"][0]["healthy"] is False
    assert data["keys"][0]["cooling_s"] > 3500
    assert data["keys"][0]["last_error"] == "401: bad key"
    assert data["keys"][1] == {"label": "sk-…0002", "healthy": True, "cooling_s": 0, "last_error": None,
                               "requests": 0, "successes": 0}
    assert b"usage-dash-key" not in flow.response.content


@pytest.mark.parametrize("path", ["/stats", "/stats/usage", "/dashboard/data", "/stats/usage?format=csv"])
def test_access_tokens_protect_every_stats_endpoint(chain, path):
    chain.configure(upstream_keys="sk-ant-server-key-00000001", access_tokens="tok-usage-0001")
    refused = get(chain, path)
    assert refused.response.status_code == 401
    assert json.loads(refused.response.content)["error"]["type"] == "authentication_error"
    allowed = get(chain, path, {"authorization": "Bearer tok-usage-0001"})
    assert allowed.response.status_code == 200


def test_other_paths_below_stats_pass_through(chain):
    flow = get(chain, "/stats/other")
    assert flow.response is None
