"""The phases of anyrouter's addon chain, and the one addon that finishes every hook.

mitmproxy runs each hook through the addons in list order, and anyrouter's correctness
depends on that order: credentials are taken out first, a request is translated before it is
rewritten, the body is written once after every edit, the upstream key is put on the wire
after every change of the headers. Each addon says which phase it belongs to (its `phase`
attribute), and `in_phase_order` sorts the chain by phase, so the order is decided by what
each addon is, not by where it sits in a list. An addon without a phase (one a user adds)
runs with the rewrites.

`Finish` is the final phase, always last: it writes the request body, seals the credentials
into the bytes the upstream gets, scrubs keys from error answers, and publishes the flow's
state for mitmweb and saved flows. Nothing can run after it inside anyrouter's chain.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from mitmproxy import http

from .flow_state import publish, write_request_body

if TYPE_CHECKING:
    from .credential_vault import CredentialVault


class Phase(enum.IntEnum):
    CLASSIFY = 5  # which route, which client protocol: everything below depends on it
    ARRIVE = 10  # take the client's credentials out of the flow, header hygiene
    CHECK = 20  # refuse or answer locally: wrong method, body too big, /health, /v1/models
    KEYS = 30  # access tokens and the upstream key; on the answer, retries with another key
    TRANSLATE = 40  # the client's request in the upstream's protocol, and its answer back
    REWRITE = 50  # system prompt, model names, header rules: on what the upstream receives
    STREAM = 60  # streams passed through unchanged
    WATCH = 65  # timeouts on a silent upstream: after every addon that answers or streams
    OUTCOME = 70  # upstream errors and failures in the client's protocol, token estimates
    REPORT = 80  # stats, the access log line, views
    FINISH = 90  # `Finish`: body written, credentials sealed, state published


def phase_of(addon: object) -> Phase:
    return getattr(addon, "phase", Phase.REWRITE)


def in_phase_order(addons: list) -> list:
    """`addons` sorted by phase; within a phase, in the order given."""
    return sorted(addons, key=phase_of)


class Finish:
    phase = Phase.FINISH

    def __init__(self, vault: CredentialVault) -> None:
        self.vault = vault

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        publish(flow)

    def request(self, flow: http.HTTPFlow) -> None:
        write_request_body(flow)
        self.vault.seal_request(flow)
        publish(flow)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        publish(flow)

    def response(self, flow: http.HTTPFlow) -> None:
        self.vault.scrub_answer(flow)
        publish(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        publish(flow)
