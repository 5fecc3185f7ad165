"""Every credential carrier through a real mitmweb: the upstream gets each as the client sent it
(but the registered protocols' key headers, of which it gets only its own, with one key),
while the saved file, mitmweb (`/flows`, `/updates`, `/events`), the log and `/stats` show only
fingerprints."""

from __future__ import annotations

import http.client
import json
import urllib.parse

from mitmproxy import io

from anyrouter_core.keys import fingerprint
from harness import LOOPBACK, http_get
from test_inspect import Mitmweb, Updates, is_done, leaked_pieces, llm_flows, new_key, where_in

MARKER = "keys hello, every credential carrier passed through"


def carrier_secrets() -> dict[str, str]:
    """A fresh secret per carrier, none of whose 6-character pieces is likely anywhere else."""
    return {name: new_key() for name in ("x-api-key", "authorization", "x-goog-api-key", "api-key", "cookie", "key")}


def post_with_every_carrier(port: int, secrets: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
    body = {"model": "claude-sonnet-4-6", "max_tokens": 20, "messages": [{"role": "user", "content": MARKER}]}
    try:
        connection.request("POST", f"/v1/messages?beta=true&key={secrets['key']}", body=json.dumps(body), headers={
            "content-type": "application/json",
            "anthropic-version": "2023-06-01",
            "x-api-key": secrets["x-api-key"],
            "authorization": f"Bearer {secrets['authorization']}",
            "x-goog-api-key": secrets["x-goog-api-key"],
            "api-key": secrets["api-key"],
            "cookie": f"theme=dark; session={secrets['cookie']}",
        })
        response = connection.getresponse()
        response_body = response.read()
        return response.status, response_body
    finally:
        connection.close()


def test_every_carrier_reaches_the_upstream_and_shows_only_as_a_fingerprint(relay, log_dir, tmp_path):
    secrets = carrier_secrets()
    saved = tmp_path / "flows.mitm"
    web = Mitmweb([relay.url, "--set", "upstream_protocol=anthropic", "-w", str(saved)], log_dir)
    try:
        updates = Updates(web)
        try:
            status, answer = post_with_every_carrier(web.port, secrets)
            assert (status, json.loads(answer)["content"][0]["text"]) == (200, "Hello from the key tests.")
            # A last flow: once the websocket has told of it, it has told of everything before.
            assert http_get(LOOPBACK, web.port, "/health")[0] == 200
            last = web.flows()[-1]
            updates.wait_for(lambda message: is_done(message, last["id"]))
        finally:
            updates.close()
        flows = web.flows()
        events = web.get("/events")[1].decode()
        status, stats, _ = http_get(LOOPBACK, web.port, "/stats")
        assert status == 200
    finally:
        web.stop()  # mitmweb writes and closes the file

    upstream = relay.only(MARKER)
    assert upstream.path == f"/v1/messages?beta=true&key={secrets['key']}"
    assert upstream.headers["x-api-key"] == secrets["x-api-key"]
    assert upstream.headers["api-key"] == secrets["api-key"]
    assert upstream.headers["cookie"] == f"theme=dark; session={secrets['cookie']}"
    # The key went in the upstream protocol's one header: the client's other key forms (another
    # protocol's key headers, Gemini's among them) are not sent beside it.
    assert "authorization" not in upstream.headers and "x-goog-api-key" not in upstream.headers

    [shown] = llm_flows(flows)
    headers = dict((name.lower(), value) for name, value in shown["request"]["headers"])
    assert headers["x-api-key"] == fingerprint(secrets["x-api-key"])
    assert "x-goog-api-key" not in headers
    assert headers["api-key"] == fingerprint(secrets["api-key"])
    assert headers["cookie"] == f"theme=…; session={fingerprint(secrets['cookie'])}"
    assert shown["request"]["path"] == f"/v1/messages?beta=true&key={urllib.parse.quote(fingerprint(secrets['key']))}"
    with saved.open("rb") as file:
        [saved_flow] = [f for f in io.FlowReader(file).stream() if f.request.path.startswith("/v1/messages")]
    assert saved_flow.request.query["key"] == fingerprint(secrets["key"])
    log = web.process.log_text()
    assert f"anthropic-messages POST {shown['request']['path']} " in log

    served = {
        "saved file": [saved.read_bytes().decode("utf-8", "replace")],
        "/flows": [json.dumps(flows, ensure_ascii=False)],
        "/updates": updates.messages,
        "/events": [events],
        "log": [log],
        "/stats": [stats.decode()],
    }
    leaks = [
        f"{where} shows the {carrier} secret: {where_in(text, secret)}"
        for where, texts in served.items() for text in texts for carrier, secret in secrets.items()
        if leaked_pieces(text, secret)
    ]
    assert not leaks, "\n".join(leaks)
