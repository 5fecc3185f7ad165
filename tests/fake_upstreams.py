"""Hand-written upstreams for what no real peer can produce on demand.

Each exists because aimock and llama.cpp cannot do the thing it does; the docstring says
what. They bind 127.0.0.1 only, on a free port, and stop when the test's `with` block ends.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import LOOPBACK

GATE_TIMEOUT = 10.0


class GatedEventStream:
    """Sends the first SSE event, then holds the rest back until the test opens the gate.

    A proxy that buffers would deliver nothing before the gate opens, so a client that gets
    the first event while the upstream is still holding back proves the stream flows through
    event by event. No real peer can pause mid-stream until told to.
    """

    def __init__(self, first: bytes, rest: bytes, content_type: str = "text/event-stream"):
        self.first, self.rest, self.content_type = first, rest, content_type
        self.gate = threading.Event()
        self.released_early = False
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(200)
                self.send_header("content-type", upstream.content_type)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                self._chunk(upstream.first)
                upstream.released_early = not upstream.gate.wait(GATE_TIMEOUT)
                self._chunk(upstream.rest)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> GatedEventStream:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


class BreaksOffMidStream:
    """Sends the start of an event stream, then closes the connection without ending the body.

    A real upstream does this when it crashes or a gateway drops the connection; aimock's
    disconnect injection closes before any byte, so it cannot show what a client gets when
    the stream was already under way.
    """

    def __init__(self, first: bytes, content_type: str = "text/event-stream"):
        self.first, self.content_type = first, content_type
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(200)
                self.send_header("content-type", upstream.content_type)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(upstream.first), upstream.first))
                self.wfile.flush()
                self.close_connection = True  # no terminating chunk: the body is cut

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> BreaksOffMidStream:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class NeverAnswers:
    """Accepts the connection and reads the request, then says nothing until the test ends.

    Models an upstream that hangs; no real peer can be told to hang on demand.
    """

    def __init__(self):
        self.release = threading.Event()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                upstream.release.wait(GATE_TIMEOUT)
                self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> NeverAnswers:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class NeverAccepts:
    """A loopback port whose accept queue is full, so a new connection attempt just waits.

    This is how a connect timeout looks from here (Linux drops the SYN while the queue is
    full); only loopback addresses may be used, so no unroutable address can stand in.
    """

    def __init__(self):
        import socket

        self.listener = socket.socket()
        self.listener.bind((LOOPBACK, 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.fillers = []
        for _ in range(3):  # fill the queue; these connects complete or wait, never block us
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex((LOOPBACK, self.port))
            self.fillers.append(filler)

    def __enter__(self) -> NeverAccepts:
        return self

    def __exit__(self, *exc) -> None:
        for sock in (*self.fillers, self.listener):
            sock.close()


class CannedAnswers:
    """Answers each request with the next canned (status, content type, body), then 200s.

    For what no real peer sends on demand: a gateway's HTML page, an empty error body, a
    malformed event-stream line, an event whose JSON is broken.
    """

    def __init__(self, answers: list[tuple[int, str, bytes]], then: tuple[int, str, bytes]):
        self.answers, self.then = list(answers), then
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                status, content_type, body = upstream.answers.pop(0) if upstream.answers else upstream.then
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> CannedAnswers:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
