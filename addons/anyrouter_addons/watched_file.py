"""A configuration file named by an option, read at start and again whenever it changes.

Header rules and routes files behave alike: the option's file is read when the option is set
(a bad file is an option error naming the file and line, so mitmproxy refuses it); then, on a
request, at most once a second, its modification time, size and inode are compared with the
last read's. A bad edit is logged once, with the file and line, and the previous contents stay
in force until the file is fixed.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from mitmproxy import exceptions

log = logging.getLogger("anyrouter")

CHECK_INTERVAL_S = 1.0
_MISSING = ("missing",)

T = TypeVar("T")


class FileProblem(ValueError):
    """What is wrong with a file's contents, and on which line (1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def _signature(stat: os.stat_result) -> tuple:
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def read_utf8(path: Path) -> str:
    """The file's text; FileProblem when it is not UTF-8."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblem(raw.count(b"\n", 0, exc.start) + 1, "the file is not UTF-8 text") from None


class WatchedFile(Generic[T]):
    """The parsed contents of one file, kept current.

    `parse(path)` reads and parses the file, raising OSError or FileProblem; `describe(value)`
    says in a few words what was read, for the log ("3 rules"); `contents` names what a bad
    edit leaves in force ("rules"); `accept(value)` may give a reason to refuse an edit that
    parses (at start, the options are checked together by the step that reads them).
    """

    def __init__(
        self,
        option: str,
        contents: str,
        parse: Callable[[Path], T],
        describe: Callable[[T], str],
        clock: Callable[[], float],
        accept: Callable[[T], str | None] = lambda value: None,
    ) -> None:
        self.option = option
        self.contents = contents
        self.parse = parse
        self.describe = describe
        self.clock = clock
        self.accept = accept
        self.path: Path | None = None
        self.value: T | None = None
        self._signature: tuple | None = None
        self._checked_at = -math.inf

    def load(self, value: str) -> T | None:
        """Reads the file the option names (empty: none); an OptionsError when it is bad."""
        if not value:
            self.path, self.value, self._signature = None, None, None
            return None
        path = Path(value).expanduser()
        try:
            signature = _signature(path.stat())
            parsed = self.parse(path)
        except OSError as exc:
            raise exceptions.OptionsError(f"{self.option}: cannot read {path}: {exc.strerror}") from None
        except FileProblem as exc:
            raise exceptions.OptionsError(f"{self.option}: {path} line {exc.line}: {exc.message}") from None
        self.path, self.value, self._signature = path, parsed, signature
        self._checked_at = self.clock()
        log.info("%s: %s from %s", self.option, self.describe(parsed), path)
        return parsed

    def current(self) -> T | None:
        """The contents, read again first if the file changed since (looked at once a second)."""
        path = self.path
        now = self.clock()
        if path is None or now - self._checked_at < CHECK_INTERVAL_S:
            return self.value
        self._checked_at = now
        try:
            signature = _signature(path.stat())
        except OSError as exc:
            self._refuse_once(_MISSING, f"cannot read {path}: {exc.strerror}")
            return self.value
        if signature == self._signature:
            return self.value
        try:
            parsed = self.parse(path)
        except OSError as exc:
            self._refuse_once(_MISSING, f"cannot read {path}: {exc.strerror}")
            return self.value
        except FileProblem as exc:
            self._refuse_once(signature, f"{path} line {exc.line}: {exc.message}")
            return self.value
        refusal = self.accept(parsed)
        if refusal:
            self._refuse_once(signature, f"{path}: {refusal}")
            return self.value
        self.value, self._signature = parsed, signature
        log.info("%s: reloaded %s from %s", self.option, self.describe(parsed), path)
        return parsed

    def _refuse_once(self, signature: tuple, problem: str) -> None:
        # Logged once per bad version of the file (or once while it is missing).
        if self._signature != signature:
            self._signature = signature
            log.error("%s: %s; keeping the previous %s", self.option, problem, self.contents)
