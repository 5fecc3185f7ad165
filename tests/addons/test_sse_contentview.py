"""The "Event Stream" contentview inside mitmproxy's own contentview machinery."""

from __future__ import annotations

import gzip
import json
import logging

from mitmproxy import contentviews, http
from mitmproxy.addons import script
from mitmproxy.test import taddons, tflow, tutils

from anyrouter_addons.mitmproxy_compat import remove_contentview
from anyrouter_addons.sse_contentview import EventStreamContentview, SSEContentview
from anyrouter_core.stream_view import render, view_stream
from harness import ADDON

STREAM = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-6",'
    b'"usage":{"input_tokens":9,"output_tokens":1}}}\n\n'
    b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
    b'"content_block":{"type":"text","text":""}}\n\n'
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":"Hi "}}\n\n'
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":"there."}}\n\n'
    b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},'
    b'"usage":{"output_tokens":3}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
SUMMARY = """\
# summary: Anthropic Messages stream
model: claude-sonnet-4-6
text: |
  Hi there.
stop reason: end_turn
usage: {"input_tokens": 9, "output_tokens": 3}
"""


def flow_with_response(content: bytes, content_type: str, **headers: str) -> http.HTTPFlow:
    response = tutils.tresp(
        headers=http.Headers(content_type=content_type, **headers), content=b""
    )
    response.raw_content = content
    return tflow.tflow(resp=response)


def test_the_entry_chain_registers_the_view_and_auto_picks_it_for_event_streams(chain):
    assert isinstance(contentviews.registry["event stream"], EventStreamContentview)
    flow = flow_with_response(STREAM, "text/event-stream; charset=utf-8")
    result = contentviews.prettify_message(flow.response, flow)
    assert result.view_name == "Event Stream"
    assert result.syntax_highlight == "yaml"
    assert result.description == ""
    assert result.text == render(view_stream(STREAM))
    assert result.text.startswith('# event 1: message_start\n{\n  "type": "message_start",\n')
    assert result.text.endswith("\n\n" + SUMMARY)
    assert result.text.count("# event ") == 6


def test_a_compressed_stream_is_shown_decoded(chain):
    flow = flow_with_response(gzip.compress(STREAM), "text/event-stream", content_encoding="gzip")
    result = contentviews.prettify_message(flow.response, flow)
    assert (result.view_name, result.description) == ("Event Stream", "[decoded gzip]")
    assert result.text.endswith(SUMMARY)


def test_other_bodies_keep_their_own_views(chain):
    flow = flow_with_response(json.dumps({"type": "message"}).encode(), "application/json")
    assert contentviews.prettify_message(flow.response, flow).view_name == "JSON"
    flow = flow_with_response(STREAM, "text/plain")
    assert contentviews.prettify_message(flow.response, flow).view_name == "Raw"


def test_the_view_can_be_chosen_by_name_and_says_when_a_stream_was_not_kept(chain):
    flow = flow_with_response(b"", "text/event-stream")
    result = contentviews.prettify_message(flow.response, flow, view_name="Event Stream")
    assert result.view_name == "Event Stream"
    assert result.text == (
        "# no events: the body is empty (streamed bodies are kept with store_streamed_bodies=true)\n"
    )


def test_reloading_the_script_replaces_the_view_and_unloading_removes_it(caplog):
    with taddons.context() as tctx:
        loaded = script.Script(str(ADDON), False)
        first = loaded.ns.pipeline.step(SSEContentview)
        assert contentviews.registry["event stream"] is first.view

        caplog.clear()
        with caplog.at_level(logging.INFO):
            loaded.loadscript()  # what mitmproxy does when the script file changes
        second = loaded.ns.pipeline.step(SSEContentview)
        assert second is not first
        assert contentviews.registry["event stream"] is second.view
        assert list(contentviews.registry).count("event stream") == 1
        assert "Replacing existing event stream contentview" not in caplog.text

        tctx.master.addons.remove(loaded.ns)
        assert "event stream" not in contentviews.registry
        assert "event stream" not in contentviews.registry.available_views()


def test_done_leaves_a_view_registered_by_someone_else_alone():
    with taddons.context() as tctx:
        mine = SSEContentview()
        tctx.master.addons.add(mine)
        theirs = EventStreamContentview()
        contentviews.add(theirs)  # e.g. a newer copy loaded meanwhile
        tctx.master.addons.remove(mine)
        assert contentviews.registry["event stream"] is theirs
        remove_contentview(theirs)
