"""A pass-through in front of a real upstream that records exactly what the proxy sent it.

aimock's own journal folds an Anthropic request into aimock's chat shape (stop_sequences,
tool_choice, image blocks and the tool_result layout are gone), so it cannot show what the
proxy really sent. This relay keeps the raw request, then forwards it unchanged and relays
the answer back piece by piece (streams stay streams).
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import LOOPBACK

_NOT_RELAYED = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes

    @property
    def body(self):
        return json.loads(self.raw_body) if self.raw_body else None


def message_blocks(messages_body: dict, role: str, block_type: str) -> list[dict]:
    """The blocks of one type in the turns of one role of an Anthropic Messages request."""
    return [block for message in messages_body["messages"]
            if message["role"] == role and isinstance(message["content"], list)
            for block in message["content"] if block["type"] == block_type]


class RecordingRelay:
    def __init__(self, upstream_port: int):
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with relay._lock:
                    relay.requests.append(Recorded(self.command, self.path, headers, body))
                upstream = http.client.HTTPConnection(LOOPBACK, upstream_port, timeout=60)
                forwarded = {k: v for k, v in headers.items() if k not in _NOT_RELAYED}
                upstream.request(self.command, self.path, body=body or None, headers=forwarded)
                answer = upstream.getresponse()
                self.send_response(answer.status, answer.reason)
                for name, value in answer.getheaders():
                    if name.lower() not in _NOT_RELAYED:
                        self.send_header(name, value)
                if self.command == "HEAD" or answer.status in (204, 304):
                    self.end_headers()  # these answers have no body, so no chunked framing either
                    upstream.close()
                    return
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                while piece := answer.read1(65536):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _relay

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def find(self, text: str) -> list[Recorded]:
        """Requests whose body contains `text`, oldest first."""
        with self._lock:
            return [r for r in self.requests if text.encode() in r.raw_body]

    def only(self, text: str) -> Recorded:
        found = self.find(text)
        assert len(found) == 1, f"expected one upstream request containing {text!r}, got {len(found)}"
        return found[0]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
