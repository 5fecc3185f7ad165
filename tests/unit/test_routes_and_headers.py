import pytest

from anyrouter_core.hop_headers import hop_by_hop_names, is_upgrade_request
from anyrouter_core.protocols import classify
from anyrouter_core.routes import Route, RouteKind


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        ("POST", "/v1/chat/completions", "openai-chat"),
        ("POST", "/chat/completions", "openai-chat"),
        ("POST", "/v1/messages", "anthropic-messages"),
        ("POST", "/v1/messages?beta=true", "anthropic-messages"),
        ("POST", "/v1/messages/", "anthropic-messages"),
        ("POST", "/v1/messages/count_tokens?beta=true", "anthropic-count-tokens"),
        ("GET", "/health", "health"),
        ("GET", "/v1/models", "models"),
        ("GET", "/v1/models?limit=20", "models"),
        ("GET", "/v1/messages", "passthrough"),
        ("POST", "/v1/completions", "passthrough"),
        ("DELETE", "/v1/models", "passthrough"),
        ("GET", "/v1/models/claude-opus-4-6", "passthrough"),
        ("HEAD", "/", "passthrough"),
        ("GET", "/dashboard", "dashboard"),
        ("GET", "/dashboard/", "dashboard"),
        ("POST", "/dashboard", "passthrough"),
        ("GET", "/dashboard/other", "passthrough"),
    ],
)
def test_classify(method, path, route):
    assert classify(method, path).value == route


def test_client_protocols():
    chat = classify("POST", "/v1/chat/completions")
    messages = classify("POST", "/v1/messages")
    count_tokens = classify("POST", "/v1/messages/count_tokens")
    assert chat.client_protocol == "openai"
    assert messages.client_protocol == "anthropic"
    assert count_tokens.client_protocol == "anthropic"
    assert (chat.kind, messages.kind, count_tokens.kind) == (
        RouteKind.CONVERSATION, RouteKind.CONVERSATION, RouteKind.COUNT_TOKENS
    )
    assert Route.PASSTHROUGH.client_protocol is None
    assert classify("GET", "/v1/models") is Route.MODELS and classify("GET", "/health") is Route.HEALTH
    assert Route.HEALTH.is_local and Route.MODELS.is_local and not chat.is_local
    assert Route.DASHBOARD.is_local


def test_hop_by_hop_includes_the_standard_set_and_connection_tokens():
    names = hop_by_hop_names(["keep-alive, X-Private", "x-other"])
    assert {"connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade",
            "proxy-authorization", "proxy-authenticate", "x-private", "x-other"} <= names


def test_connection_cannot_remove_headers_mitmproxy_frames_with():
    names = hop_by_hop_names(["transfer-encoding, content-length, host"])
    assert not {"transfer-encoding", "content-length", "host"} & names


def test_upgrade_request_detection():
    assert is_upgrade_request(["Upgrade"], "websocket")
    assert not is_upgrade_request(["keep-alive"], "websocket")
    assert not is_upgrade_request(["upgrade"], None)


def test_hop_by_hop_fields_go_in_one_pass_and_nothing_changes_when_none_are_there():
    from anyrouter_core.hop_headers import asks_for_upgrade, without_hop_by_hop

    fields = ((b"Host", b"a"), (b"Connection", b"keep-alive, X-Hop"), (b"X-Hop", b"1"),
              (b"Keep-Alive", b"timeout=5"), (b"Content-Length", b"3"), (b"Accept", b"*/*"))
    assert without_hop_by_hop(fields, keep_upgrade=False) == ((b"Host", b"a"), (b"Content-Length", b"3"), (b"Accept", b"*/*"))
    clean = ((b"Host", b"a"), (b"Accept", b"*/*"))
    assert without_hop_by_hop(clean, keep_upgrade=False) is None
    websocket = ((b"Connection", b"Upgrade"), (b"Upgrade", b"websocket"), (b"TE", b"trailers"))
    assert asks_for_upgrade(websocket)
    assert without_hop_by_hop(websocket, keep_upgrade=True) == ((b"Connection", b"Upgrade"), (b"Upgrade", b"websocket"))
    assert not asks_for_upgrade(clean)
