"""Recorded real traffic through the proxy (see record.py), and the helpers that replay it."""
