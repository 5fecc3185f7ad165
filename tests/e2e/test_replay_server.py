"""End to end with no live upstream: recorded upstream answers served by mitmproxy's server replay.

    openai / anthropic SDK ─► mitmdump -s addons/anyrouter.py ─► mitmdump --server-replay upstream_side.mitm

The replaying mitmdump is a plain one (no addon). It answers only from the recording, matching
method, path and the exact request body; anything else gets an empty 404, and its reverse
target is a port where nothing listens. No aimock or llama.cpp is started here. Each scripted
call of tests/recordings/scenarios.py is made again with the real SDK, and the client must get
what it got when the recording was made: the same JSON, or the same events in the same order
(leaving aside only `created` and the ids the proxy makes up), valid for the SDK's own types.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import openai
import pytest

from harness import LOOPBACK, Mitmdump, http_get
from recordings import clients
from recordings.flows import PlainMitmdump, read_flows, recorded_calls, replayer, sse_events, without_varying
from recordings.scenarios import CLIENT_KEYS, OPENAI, SCENARIOS, UPSTREAM_SIDE, Call, Scenario

LIVE_PEER_FIXTURES = {"aimock", "llama", "keyed_aimock", "relay", "keyed_relay", "anthropic_proxy"}


class Replay:
    """One scenario's recorded upstream, replayed, with the proxy in front of it."""

    def __init__(self, scenario: Scenario, log_dir):
        self.scenario = scenario
        self.served = log_dir / f"replayed-{scenario.name}.mitm"
        self.replayer: PlainMitmdump = replayer(scenario.directory / UPSTREAM_SIDE, log_dir, self.served)
        self.proxy = Mitmdump(self.replayer.url, log_dir, scenario.options)
        self.recorded = {r.call.name: r for r in recorded_calls(scenario)}

    def served_flows(self):
        return read_flows(self.served)  # the replayer saves (and flushes) each flow as it answers

    def stop(self) -> None:
        self.proxy.stop()
        self.replayer.stop()


@pytest.fixture(scope="module")
def replays(log_dir) -> Iterator:
    started: dict[str, Replay] = {}

    def get(scenario: Scenario) -> Replay:
        if scenario.name not in started:
            started[scenario.name] = Replay(scenario, log_dir)
        return started[scenario.name]

    yield get
    for replay in started.values():
        replay.stop()


@pytest.fixture(autouse=True)
def no_live_peer(request):
    """Nothing in this module may start (or reuse) a live upstream."""
    assert not LIVE_PEER_FIXTURES & set(request.fixturenames)


def expected_events(body: bytes) -> list:
    """The recorded stream's events as an SDK yields them: no `[DONE]` (the openai SDK stops
    there), no `ping` (the anthropic SDK skips it)."""
    return [without_varying(data) for name, data in sse_events(body) if data != "[DONE]" and name != "ping"]


@pytest.mark.parametrize(
    ("scenario", "call"), [pytest.param(s, c, id=f"{s.name}/{c.name}") for s in SCENARIOS for c in s.calls]
)
def test_client_gets_the_recorded_answer_from_the_replayed_upstream(replays, scenario: Scenario, call: Call):
    replay = replays(scenario)
    rec = replay.recorded[call.name]
    before = len(replay.served_flows())

    answer = clients.call(replay.proxy.url, scenario, call)

    expected = rec.client_side.response
    assert answer.status == expected.status_code == 200
    if call.stream:
        assert answer.body is None
        assert [without_varying(e) for e in answer.events] == expected_events(expected.content)
    else:
        assert without_varying(answer.body) == without_varying(json.loads(expected.content))
    # The answer came from the recording: exactly one upstream request, the recorded one, and
    # the replayer answered it with the recorded response.
    served = replay.served_flows()[before:]
    assert len(served) == 1
    [flow] = served
    assert flow.is_replay == "response"
    assert (flow.request.method, flow.request.path) == (rec.upstream_side.request.method, rec.upstream_side.request.path)
    assert flow.request.raw_content == rec.upstream_side.request.raw_content
    assert flow.response.status_code == 200
    assert flow.response.content == rec.upstream_side.response.content


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.name) for s in SCENARIOS])
def test_only_the_replayer_answers(replays, scenario: Scenario):
    """The proxy's upstream is the replayer, and a request that was never recorded gets the
    replayer's 404 (in the client's error shape), not an answer from anywhere else."""
    replay = replays(scenario)
    status, body, _ = http_get(LOOPBACK, replay.proxy.port, "/health")
    health = json.loads(body)
    assert (status, health["upstream"], health["upstream_protocol"]) == (
        200, replay.replayer.url, scenario.upstream_protocol,
    )

    first = scenario.calls[0]
    unrecorded = json.loads(json.dumps(first.params).replace(first.marker, f"{first.marker}, never recorded"))
    before = len(replay.served_flows())
    if scenario.client == OPENAI:
        client = openai.OpenAI(base_url=replay.proxy.url + "/v1", api_key=CLIENT_KEYS[OPENAI], max_retries=0)
        with pytest.raises(openai.NotFoundError) as caught:
            client.chat.completions.create(**unrecorded)
        assert caught.value.body["message"] == "upstream answered HTTP 404 with an empty body"
    else:
        client = anthropic.Anthropic(base_url=replay.proxy.url, api_key=CLIENT_KEYS["anthropic"], max_retries=0)
        with pytest.raises(anthropic.NotFoundError) as caught:
            client.messages.create(**unrecorded)
        assert caught.value.body["error"]["message"] == "upstream answered HTTP 404 with an empty body"
    [flow] = replay.served_flows()[before:]
    assert (flow.response.status_code, flow.response.content) == (404, b"")
