"""The pure core of anyrouter: translation, streams, keys, rules and redaction.

Nothing in this package imports mitmproxy or does I/O; plain dicts and bytes go in and
come out, so every piece can be tested on its own and reused outside a proxy.
"""

__version__ = "0.1.0"
