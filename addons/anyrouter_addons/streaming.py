"""Event streams leave the proxy as they arrive instead of after the whole body."""

from __future__ import annotations

from mitmproxy import http


def is_event_stream(response: http.Response) -> bool:
    return response.headers.get("content-type", "").lower().startswith("text/event-stream")


class SSEPassthrough:
    """Streams `text/event-stream` responses that no translator has claimed, unchanged."""

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        assert flow.response
        if is_event_stream(flow.response) and not flow.response.stream:
            flow.response.stream = True
