"""Load tests: many concurrent streams and a long soak through one real mitmdump with the addon.

Not part of the default run (`-m "not load"` in pyproject.toml): `scripts/load` runs them.
"""
