"""Hand-written upstreams for what no real peer can produce on demand.

Each exists because aimock and llama.cpp cannot do the thing it does; the docstring says
what. They bind 127.0.0.1 only, on a free port, and stop when the test's `with` block ends.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import LOOPBACK

GATE_TIMEOUT = 10.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream: LoopbackUpstream

    def do_POST(self) -> None:
        self.body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.upstream.answer(self)

    def start_chunked(self, status: int, content_type: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def log_message(self, *args) -> None:
        pass


class LoopbackUpstream:
    """A threaded HTTP server on a free loopback port; subclasses say how to answer a POST."""

    def __init__(self) -> None:
        handler = type("Handler", (_Handler,), {"upstream": self})
        self.server = ThreadingHTTPServer((LOOPBACK, 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"

    def answer(self, request: _Handler) -> None:
        raise NotImplementedError

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class GatedEventStream(LoopbackUpstream):
    """Sends the first SSE event, then holds the rest back until the test opens the gate.

    A proxy that buffers would deliver nothing before the gate opens, so a client that gets
    the first event while the upstream is still holding back proves the stream flows through
    event by event. No real peer can pause mid-stream until told to.
    """

    def __init__(self, first: bytes, rest: bytes, content_type: str = "text/event-stream"):
        super().__init__()
        self.first, self.rest, self.content_type = first, rest, content_type
        self.gate = threading.Event()
        self.released_early = False

    def answer(self, request: _Handler) -> None:
        request.start_chunked(200, self.content_type)
        request.chunk(self.first)
        self.released_early = not self.gate.wait(GATE_TIMEOUT)
        request.chunk(self.rest)
        request.end_chunked()

    def __exit__(self, *exc) -> None:
        self.gate.set()
        super().__exit__(*exc)


class BreaksOffMidStream(LoopbackUpstream):
    """Sends the start of an event stream, then closes the connection without ending the body.

    A real upstream does this when it crashes or a gateway drops the connection; aimock's
    disconnect injection closes before any byte, so it cannot show what a client gets when
    the stream was already under way.
    """

    def __init__(self, first: bytes, content_type: str = "text/event-stream"):
        super().__init__()
        self.first, self.content_type = first, content_type

    def answer(self, request: _Handler) -> None:
        request.start_chunked(200, self.content_type)
        request.chunk(self.first)
        request.close_connection = True  # no terminating chunk: the body is cut


class NeverAnswers(LoopbackUpstream):
    """Accepts the connection and reads the request, then says nothing until the test ends.

    Models an upstream that hangs; no real peer can be told to hang on demand.
    """

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    def answer(self, request: _Handler) -> None:
        self.release.wait(GATE_TIMEOUT)
        request.close_connection = True

    def __exit__(self, *exc) -> None:
        self.release.set()
        super().__exit__(*exc)


class ErrorThenSilence(NeverAnswers):
    """Answers the first request with an error, then hangs on every later one.

    A key retry then meets a silent upstream. aimock answers every request alike, so it cannot
    fail one attempt and hang on the next.
    """

    def __init__(self, status: int, body: bytes):
        super().__init__()
        self.status, self.body = status, body
        self.requests = 0
        self._counting = threading.Lock()

    def answer(self, request: _Handler) -> None:
        with self._counting:
            self.requests += 1
            first = self.requests == 1
        if not first:
            super().answer(request)
            return
        request.send_response(self.status)
        request.send_header("content-type", "application/json")
        request.send_header("content-length", str(len(self.body)))
        request.end_headers()
        request.wfile.write(self.body)


class LineWithoutEnd(LoopbackUpstream):
    """Starts an event stream with `first`, then sends `size` bytes without a newline, in
    big writes, and ends the body. Only a request with the header `LINE_WITHOUT_END` gets
    that; every other request gets `then`, a whole stream.

    A broken or hostile upstream does this; aimock and llama.cpp only send well-formed
    events, and no real peer sends megabytes without a newline on demand.
    """

    WRITE = 1024 * 1024
    HEADER = "x-test-line-without-end"

    def __init__(self, first: bytes, size: int, then: bytes):
        super().__init__()
        self.first, self.size, self.then = first, size, then
        self.whole_line_sent = threading.Event()

    def answer(self, request: _Handler) -> None:
        request.start_chunked(200, "text/event-stream")
        if request.headers.get(self.HEADER) is None:
            request.chunk(self.then)
            request.end_chunked()
            return
        request.chunk(self.first)
        block = b"x" * self.WRITE
        for _ in range(self.size // self.WRITE):
            request.chunk(block)
        request.end_chunked()
        self.whole_line_sent.set()


class CannedAnswers(LoopbackUpstream):
    """Answers each request with the next canned (status, content type, body), then 200s.

    For what no real peer sends on demand: a gateway's HTML page, an empty error body, a
    malformed event-stream line, an event whose JSON is broken.
    """

    def __init__(self, answers: list[tuple[int, str, bytes]], then: tuple[int, str, bytes]):
        super().__init__()
        self.answers, self.then = list(answers), then
        self.received: list[tuple[str, dict[str, str], bytes]] = []  # (path, headers, body) of each request

    def answer(self, request: _Handler) -> None:
        self.received.append((request.path, {k.lower(): v for k, v in request.headers.items()}, request.body))
        status, content_type, body = self.answers.pop(0) if self.answers else self.then
        request.send_response(status)
        request.send_header("content-type", content_type)
        request.send_header("content-length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)


class NeverAccepts:
    """A loopback port whose accept queue is full, so a new connection attempt just waits.

    This is how a connect timeout looks from here (Linux drops the SYN while the queue is
    full); only loopback addresses may be used, so no unroutable address can stand in.
    """

    def __init__(self):
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


class CacheUsageUpstream(LoopbackUpstream):
    """An Anthropic Messages and OpenAI Responses upstream whose answers report cache usage.

    aimock's Messages and Responses answers carry only `input_tokens` and `output_tokens`
    (its fixtures' cache counts reach only its OpenRouter-shaped Chat Completions), so the
    cache reads and writes these two protocols report are scripted here: `POST /v1/messages`
    and `POST /v1/responses`, streamed (in pieces that split events) or not, with the usage
    below. The text names the model asked for.
    """

    MESSAGES_USAGE = {"input_tokens": 21, "cache_creation_input_tokens": 1500, "cache_read_input_tokens": 9000,
                      "output_tokens": 33}
    RESPONSES_USAGE = {"input_tokens": 15000, "input_tokens_details": {"cached_tokens": 14000},
                       "output_tokens": 55, "output_tokens_details": {"reasoning_tokens": 13}, "total_tokens": 15055}
    PIECE = 37  # bytes per chunk of a stream: events never line up with chunks

    def answer(self, request: _Handler) -> None:
        body = json.loads(request.body or b"{}")
        model, text = body.get("model", ""), f"Counted by {body.get('model', '')}."
        path = request.path.split("?")[0]
        if path == "/v1/messages":
            events, whole = self.messages_events(model, text), self.message(model, text, self.MESSAGES_USAGE, "end_turn")
        elif path == "/v1/responses":
            events = self.responses_events(model, text)
            whole = events[-1][1]["response"]  # response.completed's
        else:
            request.send_error(404)
            return
        if body.get("stream"):
            stream = b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events)
            request.start_chunked(200, "text/event-stream")
            for start in range(0, len(stream), self.PIECE):
                request.chunk(stream[start:start + self.PIECE])
            request.end_chunked()
            return
        content = json.dumps(whole).encode()
        request.send_response(200)
        request.send_header("content-type", "application/json")
        request.send_header("content-length", str(len(content)))
        request.end_headers()
        request.wfile.write(content)

    @staticmethod
    def message(model: str, text: str, usage: dict, stop_reason: str | None) -> dict:
        return {"id": "msg_cache_usage", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": text}] if stop_reason else [],
                "stop_reason": stop_reason, "stop_sequence": None, "usage": usage}

    def messages_events(self, model: str, text: str) -> list[tuple[str, dict]]:
        opening = self.message(model, text, {**self.MESSAGES_USAGE, "output_tokens": 1}, None)
        return [
            ("message_start", {"type": "message_start", "message": opening}),
            ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ("ping", {"type": "ping"}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                               "usage": {"output_tokens": self.MESSAGES_USAGE["output_tokens"]}}),
            ("message_stop", {"type": "message_stop"}),
        ]

    def responses_events(self, model: str, text: str) -> list[tuple[str, dict]]:
        def response(status: str, output: list, usage: dict | None) -> dict:
            return {"id": "resp_cache_usage", "object": "response", "created_at": 1764650000, "status": status,
                    "model": model, "output": output, "usage": usage, "error": None, "incomplete_details": None,
                    "parallel_tool_calls": True, "tool_choice": "auto", "tools": []}

        part = {"type": "output_text", "text": text, "annotations": []}
        item = {"type": "message", "id": "msg_cache_usage", "role": "assistant", "status": "completed", "content": [part]}
        started = {**item, "status": "in_progress", "content": []}
        numbered = [
            ("response.created", {"response": response("in_progress", [], None)}),
            ("response.in_progress", {"response": response("in_progress", [], None)}),
            ("response.output_item.added", {"output_index": 0, "item": started}),
            ("response.content_part.added", {"item_id": item["id"], "output_index": 0, "content_index": 0,
                                             "part": {**part, "text": ""}}),
            ("response.output_text.delta", {"item_id": item["id"], "output_index": 0, "content_index": 0, "delta": text}),
            ("response.output_text.done", {"item_id": item["id"], "output_index": 0, "content_index": 0, "text": text}),
            ("response.content_part.done", {"item_id": item["id"], "output_index": 0, "content_index": 0, "part": part}),
            ("response.output_item.done", {"output_index": 0, "item": item}),
            ("response.completed", {"response": response("completed", [item], self.RESPONSES_USAGE)}),
        ]
        return [(name, {"type": name, "sequence_number": number, **data}) for number, (name, data) in enumerate(numbered)]
