"""The steps' order is decided by each step's phase, not by its place in a list: whatever
order the steps are given in, and whatever other step is added, the body is written and the
credentials are sealed into the wire bytes after every step has changed the request."""

from __future__ import annotations

import json
import random

import pytest
from mitmproxy.test import taddons

from addon_flows import request_flow, send_request
from addons.conftest import Chain, load_entry_addons
from addons.test_credential_vault import wire_head
from anyrouter_addons.flow_state import mark_request_json_changed, request_json
from anyrouter_addons.phases import Finish, Phase, Pipeline, phase_of

KEY = "sk-ant-client-key-0000000042"


class LateEditor:
    """An addon without a phase, as a user's own would be: it edits the request body and a
    header. Its edits must reach the upstream, and it must never see the key."""

    def __init__(self) -> None:
        self.seen_headers: list[str] = []

    def request(self, flow) -> None:
        body = request_json(flow)
        if isinstance(body, dict):
            body["metadata"] = {"user_id": "added-late"}
            mark_request_json_changed(flow)
        flow.request.headers["x-late"] = "yes"
        self.seen_headers += [value for _, value in flow.request.headers.items(multi=True)]


def entry_steps() -> list:
    (pipeline,) = load_entry_addons()
    return pipeline.steps


def shuffled_pipeline(seed: int) -> tuple[Pipeline, LateEditor]:
    editor = LateEditor()
    steps = entry_steps() + [editor]
    random.Random(seed).shuffle(steps)
    return Pipeline(steps), editor


def test_the_entry_is_one_pipeline_whose_steps_each_declare_a_phase():
    assert [type(addon) for addon in load_entry_addons()] == [Pipeline]
    assert all(isinstance(getattr(step, "phase", None), Phase) for step in entry_steps())


def test_the_steps_are_in_phase_order_and_finish_is_last():
    steps = entry_steps()
    phases = [phase_of(step) for step in steps]
    assert phases == sorted(phases)
    assert isinstance(steps[-1], Finish)
    assert [step for step in steps if phase_of(step) is Phase.FINISH] == [steps[-1]]


@pytest.mark.parametrize("seed", range(5))
def test_whatever_the_order_and_an_added_addon_the_body_is_written_and_the_key_sealed_last(seed):
    pipeline, editor = shuffled_pipeline(seed)
    assert isinstance(pipeline.steps[-1], Finish)
    with taddons.context(pipeline) as tctx:
        chain = Chain(tctx, [pipeline])
        chain.configure(upstream_protocol="anthropic")
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
        flow = request_flow("POST", "/v1/chat/completions", {"authorization": f"Bearer {KEY}",
                                                             "content-type": "application/json"},
                            json.dumps(body).encode())
        send_request(chain, flow)
    sent = json.loads(flow.request.content)
    assert flow.request.path == "/v1/messages"  # translated before the editor ran
    assert sent["metadata"] == {"user_id": "added-late"}  # the editor's change was written
    assert flow.request.headers["x-late"] == "yes"
    assert KEY not in str(flow.request.headers) and all(KEY not in value for value in editor.seen_headers)
    head = wire_head(flow)
    assert f"x-api-key: {KEY}".encode() in head
    assert flow.metadata["anyrouter"]["translation"] == "openai→anthropic"
