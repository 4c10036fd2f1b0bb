"""The coordinator's side of the reaper: start it, tell it about agents, close it."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from typing import IO

from podium.runs.reaper import start_time


class Reaper:
    """Keeps the reaper informed; with no pipe (tests, dry runs) it only reads start times."""

    def __init__(self, pipe: IO[str] | None) -> None:
        self.pipe = pipe

    @classmethod
    def start(cls) -> tuple[Reaper, subprocess.Popen[str]]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "podium.runs.reaper"],
            stdin=subprocess.PIPE,
            text=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return cls(proc.stdin), proc

    def add(self, pid: int) -> str | None:
        started = start_time(pid)
        self._send(f"+{pid} {started or ''}")
        return started

    def remove(self, pid: int) -> None:
        self._send(f"-{pid}")

    def _send(self, line: str) -> None:
        if self.pipe is not None:
            with contextlib.suppress(BrokenPipeError, ValueError):
                self.pipe.write(line + "\n")
                self.pipe.flush()
