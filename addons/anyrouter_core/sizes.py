"""Byte sizes as people read them in messages: `33554432 bytes (32 MiB)`."""

from __future__ import annotations


def describe_size(size: int) -> str:
    for unit, name in ((1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size} bytes ({size // unit} {name})"
    return f"{size} bytes"
