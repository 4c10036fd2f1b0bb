"""A tiny watchdog: if the coordinator dies, even by kill -9, its agents die too.

The coordinator starts one reaper per run with a pipe on its stdin and writes
`+PID START` when an agent starts and `-PID` when it is gone. When the pipe closes
(the coordinator exited, however), the reaper kills every process group still listed
whose leader, if alive, is the same process (same start time), then exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[19] if len(fields) > 19 else None


def kill_group(pid: int, started: str | None) -> None:
    now = start_time(pid)
    if now is not None and started is not None and now != started:
        return  # the pid was reused by an unrelated process: leave it alone
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    groups: dict[int, str | None] = {}
    for line in sys.stdin:
        if line.startswith("+"):
            pid, _, started = line[1:].strip().partition(" ")
            groups[int(pid)] = started or None
        elif line.startswith("-"):
            groups.pop(int(line[1:].strip()), None)
    for pid, started in groups.items():
        kill_group(pid, started)


if __name__ == "__main__":
    main()
