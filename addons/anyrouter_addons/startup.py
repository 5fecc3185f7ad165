"""Once mitmproxy runs, the objects alive since start-up are moved out of the garbage
collector's sight (`gc.freeze`).

They are mitmproxy's and the addon's own (modules, options, the contentview, key pools) and
live as long as the process, yet every full collection walks them all; translating a large
request allocates enough to trigger collections, so on each request the proxy paid for
walking objects that are never garbage.
"""

from __future__ import annotations

import gc

from .phases import Phase


class FreezeStartupObjects:
    phase = Phase.REPORT

    def running(self) -> None:
        gc.freeze()
