"""Each event leaves the proxy as soon as it is complete, before the upstream sends more."""

import http.client

from fake_upstreams import GatedEventStream
from harness import LOOPBACK, Mitmdump

FIRST = b'event: message_start\ndata: {"type":"message_start"}\n\n'
REST = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'


def test_pass_through_stream_delivers_the_first_event_while_the_upstream_holds_the_rest(log_dir):
    with GatedEventStream(FIRST, REST) as upstream:
        proxy = Mitmdump(upstream.url, log_dir)
        try:
            conn = http.client.HTTPConnection(LOOPBACK, proxy.port, timeout=15)
            conn.request("POST", "/v1/messages", body=b'{"model":"m","max_tokens":5,"stream":true,"messages":[]}',
                         headers={"content-type": "application/json"})
            response = conn.getresponse()
            assert response.status == 200
            first = response.read1(len(FIRST))
            while len(first) < len(FIRST):
                first += response.read1(len(FIRST) - len(first))
            assert first == FIRST
            upstream.gate.set()
            assert response.read() == REST
            assert upstream.released_early is False
            conn.close()
        finally:
            proxy.stop()
