"""Every part of mitmproxy anyrouter uses that is not mitmproxy's public addon API, in one place.

mitmproxy promises its addon API (hooks, `http`, `ctx`, `contentviews.add`, …), not its
internals, and internals change between releases. So each internal anyrouter relies on is
used only here, behind a small function named after what anyrouter needs, and this module
refuses to load on a mitmproxy it was not checked against (`SUPPORTED_VERSIONS`). On a new
mitmproxy: compare the internals below with the new release, adapt, add the version.

What is relied on, and why:
- `proxy.layers.http._http1.Http1Server.send`, on `ResponseProtocolError` (writes mitmproxy's
  HTML 502, or cuts a body short, without asking any addon): wrapped by
  `install_failure_endings` so that the client hears an error in its own protocol instead.
  The wrapper uses the server's `request`, `response`, `conn` and `proxy.commands.SendData` /
  `CloseConnection`, and `net.http.http1.assemble_response` for the bytes of the answer.
- `proxy.layers.http.HttpStream.check_body_size` (where mitmproxy enforces `body_size_limit`,
  before any addon sees the body): wrapped by `install_request_body_check` so that a body too
  big for `max_body_size` is answered with a 413 before it is read. Answering then uses
  HttpStream's `flow`, `request_body_buf`, `client_state`/`state_errored`, `send_response`,
  `stream_id`, `context.client` and the layer's `HttpRequestHeadersHook`,
  `HttpResponseHeadersHook`, `SendHttp`, `ResponseEndOfMessage`, as mitmproxy does itself
  when it refuses a body.
- mitmproxy's HTTP/1 client writes a request's headers as `bytes(request.headers)`
  (`net.http.http1.assemble_request_head`); its HTTP/2 client does not: `WireOnlyHeaders`
  and `keep_upstream_on_http1` keep credentials out of the flow's headers.
- `proxy.layers.http._http1.Http1Client.send`, on `RequestHeaders`: it builds the request
  line from `request.data.path` and sends the head as one `SendData`, with no hook in
  between. Wrapped by `install_request_targets` so that a credential in the query string
  goes upstream while the flow shows its fingerprint.
- The `server_connect` hook runs inside the task that opens the connection
  (`proxy.server.ConnectionHandler.open_connection`), and the `proxyserver` addon's
  `connections` (by client id), a handler's `transports` and `close_connection`: what
  `connection_attempt` and `close_upstream_connection` use to end a silent upstream.
- `proxy.layers.http.HttpStream.send_response` (called when an upstream's answer is complete,
  before the `response` hook) and `HttpStream.handle_protocol_error` (when the upstream
  cannot be reached or fails, before the `error` hook): wrapped by `install_another_attempts`
  so that, while nothing has reached the client, the request can be sent again (another key,
  another upstream) by the same flow, whose answer then streams as any other. Sending it uses
  HttpStream's `flow`, `stream_id`, `context.server`, `client_state`/`server_state` with
  `state_done`, `state_wait_for_response_headers` and `state_consume_response_body`,
  `response_body_buf`, `make_server_connection`, and the layer's `SendHttp`,
  `RequestHeaders`, `RequestData`, `RequestTrailers`, `RequestEndOfMessage`,
  `ResponseProtocolError` and `HttpResponseHeadersHook`, as mitmproxy sends a request itself;
  `proxy.commands.StartHook` for the hook that prepares the next attempt.
- `contentviews.registry._by_name` and `on_change`: mitmproxy can add a contentview but not
  remove one (`remove_contentview`).
- `proxy.mode_specs.ProxyMode.parse(...).listen_host`: where the listeners of the `mode`
  option will listen (`listen_hosts`).
- `utils.human.parse_size` and `net.http.url.hostport`: sizes and addresses read and written
  as mitmproxy's own options and URLs do (`parse_mitmproxy_size`, `host_with_port`).

These are the same from mitmproxy 12.2.0 to 12.3.1 (compared file by file); the suite runs on
the pinned 12.3.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

import mitmproxy.flow
import mitmproxy.version
from mitmproxy import connection, contentviews, ctx, http

SUPPORTED_VERSIONS = ("12.2", "12.3")  # release series: 12.2.x and 12.3.x
TESTED_VERSION = "12.3.1"  # the version requirements.txt pins


class UnsupportedMitmproxy(RuntimeError):
    """This mitmproxy is not one whose internals anyrouter was checked against."""


def check_mitmproxy_version() -> None:
    """Raise `UnsupportedMitmproxy`, naming the supported versions, unless the running
    mitmproxy belongs to one of `SUPPORTED_VERSIONS`."""
    version = mitmproxy.version.VERSION
    if ".".join(version.split(".")[:2]) not in SUPPORTED_VERSIONS:
        supported = " or ".join(f"{series}.x" for series in SUPPORTED_VERSIONS)
        raise UnsupportedMitmproxy(
            f"anyrouter needs mitmproxy {supported}; this is {version}. "
            f"Install a supported one, e.g. pip install mitmproxy=={TESTED_VERSION}"
        )


# Before any internal is touched: on another mitmproxy, the imports below may fail or,
# worse, succeed and misbehave.
check_mitmproxy_version()

from mitmproxy.net.http import http1  # noqa: E402
from mitmproxy.net.http.url import hostport  # noqa: E402
from mitmproxy.proxy import commands  # noqa: E402
from mitmproxy.proxy.mode_specs import ProxyMode  # noqa: E402
from mitmproxy.proxy.layers import http as http_layer  # noqa: E402
from mitmproxy.proxy.layers.http import _http1  # noqa: E402
from mitmproxy.utils import human  # noqa: E402

_ORIGINAL_HTTP1_SERVER_SEND = _http1.Http1Server.send
_ORIGINAL_HTTP1_CLIENT_SEND = _http1.Http1Client.send
_ORIGINAL_CHECK_BODY_SIZE = http_layer.HttpStream.check_body_size
_ORIGINAL_SEND_RESPONSE = http_layer.HttpStream.send_response
_ORIGINAL_HANDLE_PROTOCOL_ERROR = http_layer.HttpStream.handle_protocol_error


# ---------------------------------------------------------------------- failure endings


@dataclass(slots=True)
class ClientEnding:
    """What an HTTP/1 client gets instead of mitmproxy's own page or cut when the upstream fails."""

    answer: http.Response  # when nothing has been sent to the client yet
    last_events: bytes  # when a chunked stream is under way: its last piece


_take_ending: Callable[[http.Request], ClientEnding | None] | None = None


def install_failure_endings(take_ending: Callable[[http.Request], ClientEnding | None]) -> None:
    """From now on, when mitmproxy's HTTP/1 server is about to tell a client that the upstream
    of `request` failed, `take_ending(request)` may give what the client gets instead."""
    global _take_ending
    _take_ending = take_ending
    _http1.Http1Server.send = _send_with_ending


def uninstall_failure_endings() -> None:
    global _take_ending
    _take_ending = None
    _http1.Http1Server.send = _ORIGINAL_HTTP1_SERVER_SEND


def _send_with_ending(self: _http1.Http1Server, event):
    take = _take_ending
    failed = isinstance(event, http_layer.ResponseProtocolError) and self.request and take is not None
    ending = take(self.request) if failed else None
    if ending is None or not (self.conn.state & connection.ConnectionState.CAN_WRITE):
        yield from _ORIGINAL_HTTP1_SERVER_SEND(self, event)
        return
    if self.response is None:
        yield commands.SendData(self.conn, http1.assemble_response(ending.answer))
    elif "chunked" in self.response.headers.get("transfer-encoding", "").lower():
        body = ending.last_events
        yield commands.SendData(self.conn, (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n")
    yield commands.CloseConnection(self.conn)


# ---------------------------------------------------------------------- request body check

RequestBodyCheck = Callable[[http.HTTPFlow, int], http.Response | None]
AnswerLocally = Callable[[http.HTTPFlow, http.Response], None]

_body_check: tuple[RequestBodyCheck, AnswerLocally] | None = None


def install_request_body_check(too_large: RequestBodyCheck, answer: AnswerLocally) -> None:
    """From now on, wherever mitmproxy checks a request body against `body_size_limit` (before
    any of it is read, then as it grows), `too_large(flow, buffered)` is asked first, with
    how much of the body has arrived. When it gives a response, `answer(flow, response)` makes
    it the flow's, it is sent at once, and the rest of the body is read and dropped."""
    global _body_check
    _body_check = (too_large, answer)
    http_layer.HttpStream.check_body_size = _check_body_size


def uninstall_request_body_check() -> None:
    global _body_check
    _body_check = None
    http_layer.HttpStream.check_body_size = _ORIGINAL_CHECK_BODY_SIZE


def _check_body_size(self: http_layer.HttpStream, request: bool):
    """`HttpStream.check_body_size` with the installed check first for request bodies."""
    check = _body_check
    if request and check is not None:
        too_large, answer = check
        response = too_large(self.flow, len(self.request_body_buf))
        if response is not None:
            yield from _answer_before_the_body(self, response, answer)
            return True
    return (yield from _ORIGINAL_CHECK_BODY_SIZE(self, request))


def _answer_before_the_body(stream: http_layer.HttpStream, response: http.Response, answer: AnswerLocally):
    """Send `response` now, as mitmproxy sends a response an addon set in `request`; read and
    drop whatever of the request body is still to come."""
    flow = stream.flow
    headers_hook_ran = bool(stream.request_body_buf)
    stream.request_body_buf.clear()
    stream.client_state = stream.state_errored  # from now on: every piece of the body is dropped
    if not headers_hook_ran:
        # As mitmproxy does for body_size_limit: addons see the request (routing, redaction).
        yield http_layer.HttpRequestHeadersHook(flow)
    answer(flow, response)
    response.timestamp_start = time.time()
    yield http_layer.HttpResponseHeadersHook(flow)
    if flow.request.http_version.startswith("HTTP/1"):
        # Set after the hook, which drops hop-by-hop headers: the connection ends with the body.
        flow.response.headers["connection"] = "close"
    yield from stream.send_response()
    yield http_layer.SendHttp(http_layer.ResponseEndOfMessage(stream.stream_id), stream.context.client)
    flow.live = False


# ---------------------------------------------------------------------- another attempt

ANOTHER_ATTEMPT_HOOK = "anyrouter_another_attempt"


@dataclass
class AnotherAttemptHook(commands.StartHook):
    """The flow's request goes upstream again: addons make it what the next attempt sends
    (another key, another upstream), or answer it themselves. anyrouter's own hook: only its
    pipeline handles it; mitmproxy's addons never see an abandoned attempt."""

    flow: http.HTTPFlow
    name = ANOTHER_ATTEMPT_HOOK


_wants_another: Callable[[http.HTTPFlow], bool] | None = None


def install_another_attempts(wants_another: Callable[[http.HTTPFlow], bool]) -> None:
    """From now on, when an upstream's answer is complete and none of it has reached the
    client, or the upstream failed (`flow.error` set) before anything reached the client,
    `wants_another(flow)` is asked first. When it says yes, the `anyrouter_another_attempt`
    hook runs, and the flow's request, as the hook left it, is sent again (or the response
    the hook set, if it set one, is sent to the client). The new answer runs through the
    `responseheaders` and `response` hooks like a first one, streamed or not; the abandoned
    one runs through no other hook."""
    global _wants_another
    _wants_another = wants_another
    http_layer.HttpStream.send_response = _send_response_or_attempt_again
    http_layer.HttpStream.handle_protocol_error = _handle_protocol_error_or_attempt_again


def uninstall_another_attempts() -> None:
    global _wants_another
    _wants_another = None
    http_layer.HttpStream.send_response = _ORIGINAL_SEND_RESPONSE
    http_layer.HttpStream.handle_protocol_error = _ORIGINAL_HANDLE_PROTOCOL_ERROR


def _send_response_or_attempt_again(self: http_layer.HttpStream, already_streamed: bool = False):
    wants_another = _wants_another
    if not already_streamed and wants_another is not None and wants_another(self.flow):
        yield from _attempt_again(self)
        return
    yield from _ORIGINAL_SEND_RESPONSE(self, already_streamed)


def _handle_protocol_error_or_attempt_again(self: http_layer.HttpStream, event):
    wants_another = _wants_another
    if (
        wants_another is not None
        and isinstance(event, http_layer.ResponseProtocolError)
        and self.client_state == self.state_done
        and self.server_state in (self.state_wait_for_response_headers, self.state_consume_response_body)
    ):
        self.flow.error = mitmproxy.flow.Error(event.message)  # what `wants_another` reads
        if wants_another(self.flow):
            yield from _attempt_again(self)
            return
    yield from _ORIGINAL_HANDLE_PROTOCOL_ERROR(self, event)


def _attempt_again(stream: http_layer.HttpStream):
    flow = stream.flow
    yield AnotherAttemptHook(flow)
    if flow.response is not None:
        # The hook answered itself (the next upstream cannot take the request, say).
        flow.error = None
        flow.response.timestamp_start = time.time()
        yield http_layer.HttpResponseHeadersHook(flow)
        yield from _ORIGINAL_SEND_RESPONSE(stream)
        return
    flow.error = None
    stream.response_body_buf.clear()
    # Set first: a failure to connect comes back through `handle_protocol_error`, which may
    # attempt once more.
    stream.server_state = stream.state_wait_for_response_headers
    if not (yield from stream.make_server_connection()):
        return
    yield from _send_request(stream, flow.request)


def _send_request(stream: http_layer.HttpStream, request: http.Request):
    server = stream.context.server
    content = request.raw_content
    done_after_headers = not (content or request.trailers)
    yield http_layer.SendHttp(http_layer.RequestHeaders(stream.stream_id, request, done_after_headers), server)
    if content:
        yield http_layer.SendHttp(http_layer.RequestData(stream.stream_id, content), server)
    if request.trailers:
        yield http_layer.SendHttp(http_layer.RequestTrailers(stream.stream_id, request.trailers), server)
    yield http_layer.SendHttp(http_layer.RequestEndOfMessage(stream.stream_id), server)


# ---------------------------------------------------------------------- headers on the wire only


HeaderFields = tuple[tuple[bytes, bytes], ...]


class WireOnlyHeaders(http.Headers):
    """Headers whose wire form, `bytes(headers)`, which is what mitmproxy's HTTP/1 client
    writes (see `keep_upstream_on_http1`), is `wire_fields(fields)`; everything else reads
    the fields."""

    def __init__(self, fields: HeaderFields, wire_fields: Callable[[HeaderFields], HeaderFields]) -> None:
        super().__init__(fields)
        self._wire_fields = wire_fields

    def __bytes__(self) -> bytes:
        return bytes(http.Headers(self._wire_fields(self.fields)))


def keep_upstream_on_http1(server: connection.Server) -> None:
    """Offer only HTTP/1.1 on a connection being opened (call from `server_connect`): only the
    HTTP/1 client writes headers through `bytes(headers)`."""
    server.alpn_offers = (b"http/1.1",)


# ---------------------------------------------------------------------- request targets on the wire only

_real_target: Callable[[http.Request], tuple[bytes, bytes] | None] | None = None


def install_request_targets(real_target: Callable[[http.Request], tuple[bytes, bytes] | None]) -> None:
    """From now on, when `real_target(request)` gives `(shown, real)`, mitmproxy's HTTP/1 client
    writes the request line of `request` with `real` in place of `shown`, the end of its
    target (see `with_request_target`)."""
    global _real_target
    _real_target = real_target
    _http1.Http1Client.send = _send_with_real_target


def uninstall_request_targets() -> None:
    global _real_target
    _real_target = None
    _http1.Http1Client.send = _ORIGINAL_HTTP1_CLIENT_SEND


def _send_with_real_target(self: _http1.Http1Client, event):
    real_target = _real_target
    wanted = isinstance(event, http_layer.RequestHeaders) and real_target is not None
    target = real_target(event.request) if wanted else None
    if target is None:
        return (yield from _ORIGINAL_HTTP1_CLIENT_SEND(self, event))
    # The request-headers branch yields non-blocking commands only: none expects a reply.
    for command in _ORIGINAL_HTTP1_CLIENT_SEND(self, event):
        if isinstance(command, commands.SendData):
            command.data = with_request_target(command.data, *target)
        yield command


def with_request_target(head: bytes, shown: bytes, real: bytes) -> bytes:
    """An HTTP/1 request head whose request target ends in `shown`, with `real` there instead.

    The target is origin-form (`/path?query`) or absolute-form (`http://host/path?query`); a
    head whose target does not end in `shown` (the path changed since) is left as it is.
    """
    line, crlf, rest = head.partition(b"\r\n")
    method, space, target_and_version = line.partition(b" ")
    target, space2, version = target_and_version.rpartition(b" ")
    if not target.endswith(shown):
        return head
    target = target[: len(target) - len(shown)] + real
    return method + space + target + space2 + version + crlf + rest


# ---------------------------------------------------------------------- upstream connections


def connection_attempt() -> asyncio.Task | None:
    """The task opening the upstream connection, when called from a `server_connect` hook:
    mitmproxy runs that hook inside it, and cancelling it ends an attempt that hangs."""
    return asyncio.current_task()


def close_upstream_connection(flow: http.HTTPFlow) -> None:
    """Close the flow's upstream connection if it is open; mitmproxy then reports the flow's
    failure as for any connection the upstream closed."""
    handler = ctx.master.addons.get("proxyserver").connections.get(flow.client_conn.id)
    if handler is not None and flow.server_conn in handler.transports:
        handler.close_connection(flow.server_conn)


# ---------------------------------------------------------------------- contentviews


def remove_contentview(view: contentviews.Contentview) -> None:
    """Take `view` out of mitmproxy's contentviews, if it is still the one under its name."""
    registry = contentviews.registry
    key = view.name.lower()
    if registry.get(key) is view:
        del registry._by_name[key]
        registry.on_change.send(view)


# ---------------------------------------------------------------------- as mitmproxy reads and writes


def parse_mitmproxy_size(text: str) -> int | None:
    """A size as mitmproxy reads its own size options (`body_size_limit`): bytes, or with a
    k, m, g or t suffix. ValueError when it is not one."""
    return human.parse_size(text)


def host_with_port(scheme: str, host: str, port: int) -> str:
    """`host`, with `:port` unless it is the scheme's default, as mitmproxy writes it in URLs."""
    return hostport(scheme, host, port)


# ---------------------------------------------------------------------- listeners


def listen_hosts() -> list[str]:
    """The host of every listener the `mode` option asks for ("" is every address), as
    mitmproxy reads its mode specs with `listen_host` as their default."""
    default = ctx.options.listen_host or None
    return [ProxyMode.parse(spec).listen_host(default) for spec in ctx.options.mode]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other machines may resolve to this one, or "" (every address)
