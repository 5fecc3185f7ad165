"""Signatures of tool calls, kept by the proxy for clients that cannot keep them.

Gemini signs a function call (`thoughtSignature`) and refuses a history that replays the call
without it. Anthropic and Responses clients keep the signature themselves, in a thinking block
or a reasoning item (see `codecs/gemini/thought_signatures.py`); a Chat Completions client has
nowhere to put it. So every call signature an upstream gives is remembered here by the call's
id, and given back to a replayed call that has none. The memory is bounded: the oldest
signatures are forgotten first, and a call whose signature was forgotten goes without one
(the encoder then says so, as for any client).
"""

from __future__ import annotations

from collections import OrderedDict

from .neutral import Answer, BlockStart, Event, Request, ToolCall

MAX_SIGNATURES = 4096  # a few MB at most: signatures are hundreds of bytes to a few KB


class CallSignatures:
    def __init__(self, limit: int = MAX_SIGNATURES) -> None:
        self.limit = limit
        self._by_call: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_call)

    def remember(self, call: ToolCall) -> None:
        if not call.signature or not call.id:
            return
        self._by_call[call.id] = call.signature
        self._by_call.move_to_end(call.id)
        while len(self._by_call) > self.limit:
            self._by_call.popitem(last=False)

    def remember_answer(self, answer: Answer) -> None:
        for block in answer.blocks:
            if isinstance(block, ToolCall):
                self.remember(block)

    def remember_events(self, events: list[Event]) -> list[Event]:
        """`events`, unchanged, with the signatures of the calls they open remembered."""
        for event in events:
            if isinstance(event, BlockStart) and isinstance(event.block, ToolCall):
                self.remember(event.block)
        return events

    def restore(self, request: Request) -> None:
        """Gives the calls of `request`'s history that have no signature the one remembered."""
        if not self._by_call:
            return
        for turn in request.turns:
            for block in turn.blocks:
                if isinstance(block, ToolCall) and block.signature is None:
                    block.signature = self._by_call.get(block.id)


class RememberingDecoder:
    """A stream decoder whose calls' signatures are remembered as they pass."""

    def __init__(self, decoder, signatures: CallSignatures) -> None:
        self._decoder = decoder
        self._signatures = signatures

    def feed(self, piece: bytes) -> list[Event]:
        return self._signatures.remember_events(self._decoder.feed(piece))

    def end(self) -> list[Event]:
        return self._signatures.remember_events(self._decoder.end())
