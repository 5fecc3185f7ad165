"""README command 1, `scripts/serve`, really starts a proxy that answers."""

import json

from harness import LOOPBACK, ROOT, Process, clean_env, free_port, http_get, status_is_200


def test_serve_starts_the_proxy_in_front_of_the_given_upstream(aimock, log_dir):
    port = free_port()
    serve = Process(
        "scripts/serve",
        [str(ROOT / "scripts" / "serve"), aimock.url, "--set", "upstream_protocol=openai"],
        log_dir / "serve.log",
        env=clean_env(ANYROUTER_PORT=str(port)),
    )
    try:
        serve.wait_until(status_is_200(port, "/health"))
        status, body, _ = http_get(LOOPBACK, port, "/health")
        health = json.loads(body)
        assert health["upstream"] == aimock.url
        assert health["upstream_protocol"] == "openai"
        assert health["status"] == "ok"
    finally:
        serve.stop()
