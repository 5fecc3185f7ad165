"""A minimal HTTP/1.1 client for the requests the proxy sends itself: retries with another key.

mitmproxy cannot send a flow's request upstream a second time, so a retry is made here, on
its own connection, with h11 (a mitmproxy dependency) doing the HTTP/1.1 framing. The answer
is read whole: it replaces the failed response before anything reached the client.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

import certifi
import h11


@dataclass(slots=True)
class UpstreamAnswer:
    status: int
    reason: str
    headers: list[tuple[bytes, bytes]]
    body: bytes


def _tls_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=certifi.where())
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def send(
    *,
    scheme: str,
    host: str,
    port: int,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    timeout: float,
    verify_tls: bool = True,
) -> UpstreamAnswer:
    """Sends one request and reads the whole answer; raises OSError or TimeoutError on failure."""
    return await asyncio.wait_for(
        _exchange(scheme, host, port, method, path, headers, body, verify_tls), timeout
    )


async def _exchange(scheme, host, port, method, path, headers, body, verify_tls) -> UpstreamAnswer:
    tls = _tls_context(verify_tls) if scheme == "https" else None
    reader, writer = await asyncio.open_connection(host, port, ssl=tls, server_hostname=host if tls else None)
    connection = h11.Connection(h11.CLIENT)
    try:
        framed = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"transfer-encoding", b"connection")]
        framed += [(b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        writer.write(connection.send(h11.Request(method=method, target=path, headers=framed)))
        writer.write(connection.send(h11.Data(data=body)) if body else b"")
        writer.write(connection.send(h11.EndOfMessage()))
        await writer.drain()
        return await _read_answer(connection, reader)
    finally:
        writer.close()


async def _read_answer(connection: h11.Connection, reader: asyncio.StreamReader) -> UpstreamAnswer:
    response: h11.Response | None = None
    body = bytearray()
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(await reader.read(65536))
        elif isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
            break
    if response is None:
        raise ConnectionError("the upstream closed the connection without an answer")
    return UpstreamAnswer(response.status_code, response.reason.decode("latin-1"), list(response.headers), bytes(body))
