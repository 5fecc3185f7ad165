"""The "Event Stream" contentview: `text/event-stream` bodies in mitmweb and mitmproxy.

One row per event, then a summary of an LLM stream (text, thinking, tool calls, stop reason,
usage, errors); the core (`anyrouter_core.stream_view`) does the work. The addon registers
the view when it is loaded and takes it out again in `done`, so that reloading the script
replaces the view instead of leaving the old one behind. (mitmproxy replaces a view of the
same name on `contentviews.add`, but has no public way to remove one:
`mitmproxy_compat.remove_contentview`.)

A streamed body is in the flow only with `store_streamed_bodies=true` (`scripts/inspect`
sets it); without it the view says the body is empty.
"""

from __future__ import annotations

from mitmproxy import contentviews
from mitmproxy.contentviews import Contentview, Metadata, SyntaxHighlight

from anyrouter_core.stream_view import render, view_stream

from .mitmproxy_compat import remove_contentview
from .phases import Phase

EVENT_STREAM = "text/event-stream"


class EventStreamContentview(Contentview):
    name = "Event Stream"
    # Rows are pretty JSON under `#` headers and the summary is `key: value` lines: YAML
    # highlighting (a superset of JSON) colours both.
    syntax_highlight: SyntaxHighlight = "yaml"

    def prettify(self, data: bytes, metadata: Metadata) -> str:
        if not data:
            return "# no events: the body is empty (streamed bodies are kept with store_streamed_bodies=true)\n"
        return render(view_stream(data))

    def render_priority(self, data: bytes, metadata: Metadata) -> float:
        # Above every built-in view (they answer at most 1 for their own content types).
        return 2.0 if metadata.content_type == EVENT_STREAM else -1.0


class SSEContentview:
    """Registers `EventStreamContentview` with mitmproxy for as long as the addon is loaded."""
    phase = Phase.REPORT

    def __init__(self) -> None:
        self.view = EventStreamContentview()

    def load(self, loader) -> None:
        contentviews.add(self.view)

    def done(self) -> None:
        remove_contentview(self.view)
