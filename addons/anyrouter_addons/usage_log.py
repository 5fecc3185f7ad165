"""Option `usage_db`: one row in the usage log (`usage_store.UsageStore`) per request that went
to an upstream, when its answer (or its failure) is final.

The row is built on the event loop from the flow and its state, then only queued: the store
writes it from its own thread. Answers the proxy gave itself (/health, /stats, a refused
token) are not logged. Keys appear only as fingerprints; the upstream's error message is
cleaned of every key the upstream got before it is kept, then cut to MESSAGE_LIMIT characters.
"""

from __future__ import annotations

import re
import weakref

from mitmproxy import ctx, exceptions, http

from anyrouter_core.errors import parse_upstream_error
from anyrouter_core.routes import bare_path

from .access_log import describe_route, duration_s
from .credential_vault import CredentialVault
from .flow_state import FlowState, state_of
from .key_rotation import KeyRotation
from .phases import Phase
from .usage_store import USAGE_FIELDS, UsageStore, UsageStoreError

MESSAGE_LIMIT = 300
# Scrubbing a huge error page would be slow, and only MESSAGE_LIMIT characters are kept.
_SCAN_LIMIT = 4096
_LAST_WORD = re.compile(r"\S+\Z")


class UsageLog:
    phase = Phase.REPORT

    def __init__(self, vault: CredentialVault, keys: KeyRotation) -> None:
        self.vault = vault
        self.keys = keys
        self._store: UsageStore | None = None
        # A flow whose answer broke off gets `error` after its rows are known: one row a flow.
        self._logged: weakref.WeakSet[http.HTTPFlow] = weakref.WeakSet()

    @property
    def store(self) -> UsageStore:
        """The usage log; in memory until `usage_db` names a file."""
        if self._store is None:
            self._store = UsageStore(None)
        return self._store

    def load(self, loader) -> None:
        loader.add_option(
            "usage_db", str, "",
            "Path of the usage log, an SQLite file with one row per request (time, upstream, "
            "model, key fingerprint, status, tokens); created when missing, upgraded when old. "
            "/stats counts from it, so its counts survive restarts. Empty: kept in memory for a day.",
        )

    def configure(self, updated: set[str]) -> None:
        if "usage_db" not in updated:
            return
        path = ctx.options.usage_db.strip()
        try:
            store = UsageStore(path or None)
        except UsageStoreError as exc:
            raise exceptions.OptionsError(f"usage_db: {exc}") from None
        old, self._store = self._store, store
        if old is not None:
            old.close()

    def done(self) -> None:
        if self._store is not None:
            self._store.close()

    def response(self, flow: http.HTTPFlow) -> None:
        self.log(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.log(flow)

    def log(self, flow: http.HTTPFlow) -> None:
        state = state_of(flow)
        if state.local or flow in self._logged:
            return
        self._logged.add(flow)
        self.store.add(usage_row(flow, state, lambda text: self.scrub(flow, text)))

    def scrub(self, flow: http.HTTPFlow, text: str) -> str:
        """`text` without a key in it, at most MESSAGE_LIMIT characters."""
        if len(text) > _SCAN_LIMIT:
            # Keys hold no whitespace, so a key cut in two by the limit can only be the last word.
            text = _LAST_WORD.sub("", text[:_SCAN_LIMIT])
        text = self.keys.scrub(flow, self.vault.scrub_text(flow, " ".join(text.split())))
        return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def usage_row(flow: http.HTTPFlow, state: FlowState, scrub) -> dict:
    """The usage log's row for a finished flow (issue 14's contract, plus `api_route`)."""
    request, response = flow.request, flow.response
    seconds = duration_s(flow)
    answered = response.timestamp_start if response is not None else None
    error_type, message = error_of(flow, state)
    usage = state.usage or {}
    row = {
        "time": request.timestamp_start,
        "duration_ms": seconds * 1000 if seconds is not None else None,
        "ttfb_ms": (answered - request.timestamp_start) * 1000 if answered else None,
        "client_protocol": state.client_protocol,
        "upstream": state.upstream or request.host,
        "route": state.rule,
        "model": state.model,
        "upstream_model": state.upstream_model or state.model,
        "key": state.key,
        "status": response.status_code if response is not None else None,
        "error_type": error_type,
        "error_message": scrub(message) if message else None,
        "estimated": bool(usage.get("estimated")),
        "path": client_path(flow, state),
        "stream": bool(state.stream),
        "api_route": describe_route(state),
    }
    for name in USAGE_FIELDS:
        value = usage.get(name)
        row[name] = value if isinstance(value, int) else None
    return row


def error_of(flow: http.HTTPFlow, state: FlowState) -> tuple[str | None, str | None]:
    """(error type, the upstream's message) of a failed flow; (None, None) for a success."""
    response = flow.response
    if response is None:
        if state.timed_out:
            return "timeout_error", state.timed_out
        return "connection_error", flow.error.msg if flow.error is not None else "no answer"
    if response.status_code >= 400:
        content = b"" if response.stream else (response.get_content(strict=False) or b"")
        parsed = parse_upstream_error(response.status_code, response.headers.get("content-type", ""), content)
        # `upstream_error` is the upstream's own message, read before the answer was put in
        # the client's shape; a streamed error body is not kept, so it is the only one then.
        return parsed.type, state.upstream_error or parsed.message
    if state.upstream_error or state.timed_out or flow.error is not None:
        # A 200 whose stream broke off, or fell silent.
        kind = "timeout_error" if state.timed_out else "stream_error"
        return kind, state.upstream_error or state.timed_out or flow.error.msg
    return None, None


def client_path(flow: http.HTTPFlow, state: FlowState) -> str:
    """The path the client asked for, without its query (where a `key` parameter may be)."""
    snapshot = state.client_snapshot
    path = snapshot["path"].decode("utf-8", "surrogateescape") if snapshot else flow.request.path
    return bare_path(path)
