"""An upstream that emits SSE events at a fixed pace, each stamped with the moment it left.

    python -m bench.paced_upstream PORT EVENTS PACE_MS

Why not aimock: aimock paces chunks (`--latency`) but says nowhere when a chunk left, so the
delay a proxy adds to one event can only be guessed from the request's start, and timer
jitter of a millisecond or so would drown the figure being measured (≤ 2 ms p99). Here every
text delta's text is the sender's `time.monotonic_ns()` (CLOCK_MONOTONIC, shared by every
process on the machine), taken just before the write: a client subtracts it from its own
clock at arrival and gets the exact delay of that event, through whatever sits in between.
The text survives translation (it is plain text content), so the same upstream measures
pass-through and both translations.

`POST /v1/messages` answers Anthropic events, `POST /v1/chat/completions` OpenAI chunks
(with a usage chunk and `[DONE]`); `GET /health` answers 200. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOOPBACK = "127.0.0.1"


def sse(event: str | None, data: dict | str) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def anthropic_frames(events: int):
    """(bytes before the stamped deltas, a function stamp→delta bytes, bytes after)."""
    start = sse("message_start", {
        "type": "message_start",
        "message": {"id": "msg_paced", "type": "message", "role": "assistant", "model": "paced",
                    "content": [], "stop_reason": None, "stop_sequence": None,
                    "usage": {"input_tokens": 5, "output_tokens": 0}},
    }) + sse("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "text", "text": ""}})

    def delta(stamp: int) -> bytes:
        return sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                           "delta": {"type": "text_delta", "text": f"{stamp} "}})

    end = (
        sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        + sse("message_delta", {"type": "message_delta",
                                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                "usage": {"output_tokens": events}})
        + sse("message_stop", {"type": "message_stop"})
    )
    return start, delta, end


def openai_frames(events: int):
    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {"id": "chatcmpl-paced", "object": "chat.completion.chunk", "created": 1,
                "model": "paced", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    start = sse(None, chunk({"role": "assistant", "content": ""}))

    def delta(stamp: int) -> bytes:
        return sse(None, chunk({"content": f"{stamp} "}))

    end = (
        sse(None, chunk({}, "stop"))
        + sse(None, {"id": "chatcmpl-paced", "object": "chat.completion.chunk", "created": 1,
                     "model": "paced", "choices": [],
                     "usage": {"prompt_tokens": 5, "completion_tokens": events, "total_tokens": 5 + events}})
        + sse(None, "[DONE]")
    )
    return start, delta, end


def serve(port: int, events: int, pace_s: float) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # as real servers (node, uvicorn) run: no 40 ms stalls

        def do_GET(self) -> None:
            body = b'{"status":"ok"}'
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.path.startswith("/v1/messages"):
                start, delta, end = anthropic_frames(events)
            elif self.path.startswith("/v1/chat/completions"):
                start, delta, end = openai_frames(events)
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            self._chunk(start)
            began = time.monotonic()
            for i in range(events):
                pause = began + (i + 1) * pace_s - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                self._chunk(delta(time.monotonic_ns()))
            self._chunk(end)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer((LOOPBACK, port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000)
