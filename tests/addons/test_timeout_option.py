import pytest
from mitmproxy import exceptions

from anyrouter_addons.upstream_timeouts import UpstreamTimeouts


def test_upstream_timeout_defaults_to_two_minutes_and_refuses_negatives(chain):
    assert chain.tctx.options.upstream_timeout == 120
    with pytest.raises(exceptions.OptionsError, match=r"upstream_timeout must be 0 \(no limit\) or a number of seconds, not -5"):
        chain.tctx.configure(chain.addon(UpstreamTimeouts), upstream_timeout=-5)
