"""Addon tests run the real addon chain of `addons/anyrouter.py` in mitmproxy's test context."""

from __future__ import annotations

import importlib.util

import pytest
from mitmproxy import hooks
from mitmproxy.test import taddons

from harness import ADDON


def load_entry_addons() -> list:
    spec = importlib.util.spec_from_file_location("anyrouter_entry", ADDON)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.addons


class Chain:
    """Runs hooks through every addon of the chain, in order, as mitmproxy does."""

    def __init__(self, tctx: taddons.context, addons: list):
        self.tctx = tctx
        self.addons = addons

    def configure(self, **options) -> None:
        self.tctx.options.update(**options)

    def run(self, hook: type[hooks.Hook], *args) -> None:
        self.tctx.master.event_loop.run_until_complete(
            self.tctx.master.addons.handle_lifecycle(hook(*args))
        )

    def addon(self, cls):
        """The step (or addon) of class `cls`: the entry's one addon is the pipeline of steps."""
        steps = [step for addon in self.addons for step in getattr(addon, "steps", [addon])]
        return next(step for step in steps if isinstance(step, cls))


@pytest.fixture
def chain():
    addons = load_entry_addons()
    with taddons.context(*addons) as tctx:
        # As every test proxy listens: on loopback (server-side keys are refused elsewhere).
        tctx.options.update(listen_host="127.0.0.1")
        yield Chain(tctx, addons)
