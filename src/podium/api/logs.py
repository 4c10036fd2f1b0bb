"""An attempt's logs for front ends: where they are, and their text as it grows.

`a<n>.log` is what the adapter read from the agent (a message, a tool call, an error: one
line each), `a<n>.raw.log` the agent's stream as it came (see `podium.agents.runner`); both
are written line by line while the agent works. Runs from before the split kept only the raw
stream, in `a<n>.log`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from podium.agents.runner import raw_log
from podium.errors import StateError
from podium.runs.views import Reader
from podium.runs.worktrees import state_dir


def attempt_log(repo: Path, run_id: str, task: str, n: int, raw: bool = False) -> Path:
    path = state_dir(repo) / "logs" / run_id / task / f"a{n}.log"
    return raw_log(path) if raw else path


def read_log(repo: Path, task: str, run_id: str | None, n: int | None, raw: bool) -> str:
    """The whole log of TASK's attempt `n` (default: its latest) in a run (default: latest)."""
    run, n = _attempt(repo, task, run_id, n)
    path = attempt_log(repo, run, task, n, raw)
    if not path.exists():
        raise StateError(f"no log for {task} attempt {n} (looked for {path})")
    return path.read_text(encoding="utf-8", errors="replace")


def follow_log(
    repo: Path, task: str, run_id: str | None, n: int | None, raw: bool, poll: float = 0.2
) -> Iterator[str]:
    """The log's text as it is written, until the attempt has ended or its run stopped."""
    run, n = _attempt(repo, task, run_id, n)
    path = attempt_log(repo, run, task, n, raw)
    offset, pending = 0, b""
    with Reader(state_dir(repo) / "podium.db") as reader:
        while True:
            record = reader.record(run)
            ended = record.run.status != "running" or any(
                a.n == n and a.finished_at is not None for a in record.attempts_of(task)
            )
            chunk = _read_from(path, offset)
            offset += len(chunk)
            pending += chunk
            whole, _, pending = pending.rpartition(b"\n")  # never half a line or character
            if whole:
                yield (whole + b"\n").decode("utf-8", "replace")
            if ended:
                if pending:
                    yield pending.decode("utf-8", "replace")
                return
            time.sleep(poll)


def _read_from(path: Path, offset: int) -> bytes:
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read()
    except FileNotFoundError:
        return b""  # the attempt has not written yet


def _attempt(repo: Path, task: str, run_id: str | None, n: int | None) -> tuple[str, int]:
    with Reader(state_dir(repo) / "podium.db") as reader:
        record = reader.record(run_id)
    tasks = [t.task_id for t in record.tasks]
    if task not in tasks:
        raise StateError(f"no task {task!r} in run {record.run.id} (tasks: {', '.join(tasks)})")
    attempts = record.attempts_of(task)
    if not attempts:
        raise StateError(f"task {task!r} has no attempts in run {record.run.id}")
    numbers = [a.n for a in attempts]
    if n is not None and n not in numbers:
        known = ", ".join(map(str, numbers))
        raise StateError(f"task {task!r} has no attempt {n} (attempts: {known})")
    return record.run.id, n if n is not None else numbers[-1]
