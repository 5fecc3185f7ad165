import json

import anthropic
import openai
import pytest
from pydantic import TypeAdapter

from anyrouter_core.errors import ProxyError, invalid_request, parse_upstream_error
from anyrouter_core.protocols import ANTHROPIC, OPENAI, protocol_named


def test_anthropic_error_body_keeps_message_and_type():
    error = parse_upstream_error(
        429,
        "application/json",
        b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}',
    )
    assert error == ProxyError(429, "slow down", "rate_limit_error")
    assert protocol_named(OPENAI).codec.render_error(error) == (
        429,
        {"error": {"message": "slow down", "type": "rate_limit_error", "param": None, "code": None}},
    )


def test_openai_error_body_keeps_param_and_code():
    body = {"error": {"message": "bad model", "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}
    error = parse_upstream_error(404, "application/json", json.dumps(body).encode())
    assert (error.param, error.code) == ("model", "model_not_found")
    status, rendered = protocol_named(ANTHROPIC).codec.render_error(error)
    assert status == 404
    assert rendered == {"type": "error", "error": {"type": "invalid_request_error", "message": "bad model"}}
    TypeAdapter(anthropic.types.ErrorResponse).validate_python(rendered)


def test_html_gateway_page_becomes_a_readable_message():
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    error = parse_upstream_error(502, "text/html", page)
    assert error.message == "upstream answered HTTP 502 with an HTML page: 502 Bad Gateway"
    status, body = protocol_named(OPENAI).codec.render_error(error)
    assert (status, body["error"]["type"]) == (502, "server_error")


def test_empty_body_says_so():
    error = parse_upstream_error(500, "", b"")
    assert error.message == "upstream answered HTTP 500 with an empty body"
    assert protocol_named(ANTHROPIC).codec.render_error(error)[1]["error"]["type"] == "api_error"


def test_plain_text_is_kept_but_shortened():
    error = parse_upstream_error(503, "text/plain", b"x" * 1000)
    assert error.message.startswith("upstream answered HTTP 503: xxx")
    assert len(error.message) < 350


@pytest.mark.parametrize(
    ("protocol", "upstream", "client"),
    [(OPENAI, 529, 503), (ANTHROPIC, 503, 529), (OPENAI, 429, 429), (ANTHROPIC, 401, 401)],
)
def test_overloaded_status_maps_between_protocols(protocol, upstream, client):
    status, _ = protocol_named(protocol).codec.render_error(ProxyError(upstream, "busy"))
    assert status == client


def test_overloaded_is_typed_for_each_protocol():
    error = ProxyError(529, "Overloaded", "overloaded_error")
    assert protocol_named(OPENAI).codec.render_error(error) == (
        503,
        {"error": {"message": "Overloaded", "type": "service_unavailable_error", "param": None, "code": None}},
    )
    error = ProxyError(503, "busy", "server_error")
    assert protocol_named(ANTHROPIC).codec.render_error(error)[1]["error"]["type"] == "overloaded_error"


def test_rejected_request_renders_as_openai_400_naming_the_parameter():
    rejected = invalid_request("n > 1 is not supported by an Anthropic upstream", param="n")
    status, body = protocol_named(OPENAI).codec.render_error(rejected.error)
    assert status == 400
    assert body["error"]["param"] == "n"
    assert body["error"]["type"] == "invalid_request_error"
    openai.types.ErrorObject.model_validate(body["error"])
