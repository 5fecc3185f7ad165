"""The dashboard's routes in the real addon chain: the page, the redirect of a browser's `/`,
the data behind access tokens; and what the page's own source may not contain."""

from __future__ import annotations

import json
import re

import pytest

from addon_flows import request_flow, send_request

from anyrouter_addons.dashboard import CONTENT_SECURITY_POLICY, PAGE_FILE

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_the_page_is_served_with_its_policy(chain):
    flow = request_flow("GET", "/dashboard")
    send_request(chain, flow)
    response = flow.response
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.content == PAGE_FILE.read_bytes()


def test_a_head_of_the_page_has_its_length_and_no_body(chain):
    flow = request_flow("HEAD", "/dashboard")
    send_request(chain, flow)
    assert flow.response.status_code == 200
    assert flow.response.content == b""
    assert flow.response.headers["content-length"] == str(len(PAGE_FILE.read_bytes()))


@pytest.mark.parametrize(
    ("method", "path", "accept", "redirected"),
    [
        ("GET", "/", BROWSER_ACCEPT, True),
        ("GET", "/", "TEXT/HTML", True),
        ("GET", "/", "application/json", False),
        ("GET", "/", "", False),
        ("HEAD", "/", BROWSER_ACCEPT, False),  # Claude Code's probe, and any other HEAD
        ("POST", "/", BROWSER_ACCEPT, False),
        ("GET", "/?q=1", BROWSER_ACCEPT, False),
        ("GET", "/index.html", BROWSER_ACCEPT, False),
    ],
)
def test_only_a_browser_opening_the_root_is_redirected(chain, method, path, accept, redirected):
    flow = request_flow(method, path, {"accept": accept} if accept else {})
    send_request(chain, flow)
    if redirected:
        assert (flow.response.status_code, flow.response.headers["location"]) == (302, "/dashboard")
    else:
        assert flow.response is None  # on its way to the upstream


def test_the_data_has_the_pages_shape(chain):
    flow = request_flow("GET", "/dashboard/data")
    send_request(chain, flow)
    assert flow.response.status_code == 200
    assert flow.response.headers["cache-control"] == "no-store"
    data = json.loads(flow.response.content)
    assert set(data) >= {
        "now", "window_hours", "totals", "latency_ms", "ttfb_ms", "per_minute", "per_hour", "by_model",
        "by_upstream", "by_key", "by_client", "keys", "recent", "recent_errors",
    }


def test_with_access_tokens_the_data_needs_one_and_the_page_does_not(chain):
    chain.configure(upstream_keys="sk-server-key-0000000001", access_tokens="tok-1")
    refused = request_flow("GET", "/dashboard/data")
    send_request(chain, refused)
    assert refused.response.status_code == 401
    allowed = request_flow("GET", "/dashboard/data", {"authorization": "Bearer tok-1"})
    send_request(chain, allowed)
    assert allowed.response.status_code == 200
    assert json.loads(allowed.response.content)["keys"] == [
        {"label": "sk-…0001", "healthy": True, "cooling_s": 0, "last_error": None, "requests": 0, "successes": 0}
    ]
    assert b"sk-server-key" not in allowed.response.content
    page = request_flow("GET", "/dashboard")
    send_request(chain, page)
    assert page.response.status_code == 200


# ------------------------------------------------------------------------- the page's source

PAGE = PAGE_FILE.read_text()
SCRIPT = PAGE.split("<script>", 1)[1].split("</script>", 1)[0]


def test_the_page_loads_nothing_from_elsewhere():
    # The SVG namespace is a name, never fetched.
    without_namespace = PAGE.replace("http://www.w3.org/2000/svg", "")
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", without_namespace)
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=(?!\"data:)", PAGE)
    assert "@import" not in PAGE and "url(" not in PAGE
    assert re.findall(r"fetch\(([^,)]*)", SCRIPT) == ["DATA_URL"]


def test_the_script_never_turns_data_into_markup():
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in SCRIPT


def test_the_token_lives_in_session_storage_only():
    assert "localStorage" not in SCRIPT and "document.cookie" not in SCRIPT
    assert "location" not in SCRIPT  # never put in, nor read from, the URL
