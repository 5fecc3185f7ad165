"""An upstream's last failure, as /stats shows it: what happened, said once."""

from anyrouter_core.routing.upstream_health import UpstreamHealth

REFUSED = "[Errno 111] Connect call failed ('127.0.0.1', 8443)"


def test_a_failure_whose_outcome_is_its_message_is_said_once():
    # A refused connection: the attempt's outcome is mitmproxy's error message, which is
    # also the message the addon passes on.
    health = UpstreamHealth(rest_s=30)
    health.record("relay", REFUSED, failed=True, seconds=None, now=100.0, message=REFUSED)
    assert health.snapshot(["relay"], 100.0)["relay"]["last_failure"] == REFUSED


def test_a_status_keeps_the_upstream_message_beside_it():
    health = UpstreamHealth(rest_s=30)
    health.record("relay", "529", failed=True, seconds=0.1, now=100.0, message="Overloaded")
    record = health.snapshot(["relay"], 100.0)["relay"]
    assert (record["last_failure"], record["by_outcome"], record["resting_s"]) == ("529: Overloaded", {"529": 1}, 30.0)
