"""A run as the front ends read it: plain data from the store, never the store itself.

`Reader` is the narrow window the CLI, TUI, report and MCP server get through `podium.api`:
a run's rows as one frozen `RunRecord`, the live `RunView`, which run is active, and the
one write a front end may make, a request to cancel or retry a task (the engine acts on it).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from podium.runs.reaper import start_time
from podium.scheduling import lifecycle
from podium.store import AttemptRow, Event, RunRow, Store, TaskRow

INTERRUPTED = "interrupted"  # a run marked running whose coordinator is gone
LOST = "lost"  # an attempt that was under way when its coordinator died


def lease_text(pid: int) -> str:
    """What the coordinator writes into `.podium/lock`: its pid and its start time."""
    return f"{pid} {start_time(pid) or ''}".strip()


def lease_holder(lock: Path) -> int | None:
    """The pid of the live coordinator named in the lock file, or None when it is gone.

    A pid alone could have been reused by another process since: its start time must match.
    """
    try:
        words = lock.read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return None
    if not words or not words[0].isdigit():
        return None
    pid, started = int(words[0]), start_time(int(words[0]))
    if started is None or (len(words) > 1 and words[1] != started):
        return None
    return pid


def last_sign_of_life(state: Path, attempt: AttemptRow) -> float:
    """When an attempt was last seen alive: its log's last write, else its start."""
    folder = state / "logs" / attempt.run_id / attempt.task_id
    seen = [attempt.started_at]
    for name in (f"a{attempt.n}.log", f"a{attempt.n}.raw.log"):  # readable, raw stream
        with contextlib.suppress(OSError):
            seen.append((folder / name).stat().st_mtime)
    return max(seen)


Busy = sqlite3.OperationalError  # the store was busy past its timeout: try again later


@dataclass(frozen=True)
class RunRecord:
    """Everything stored about one run."""

    run: RunRow
    tasks: tuple[TaskRow, ...]
    attempts: tuple[AttemptRow, ...]
    events: tuple[Event, ...]

    def attempts_of(self, task_id: str) -> tuple[AttemptRow, ...]:
        return tuple(a for a in self.attempts if a.task_id == task_id)

    @property
    def exit_code(self) -> int:
        """0 when every task merged (a split task's sub-tasks stand in for it), 1 otherwise."""
        return 0 if all(t.state in lifecycle.DONE for t in self.tasks) else 1

    def failures(self) -> dict[str, dict[str, Any]]:
        """Task -> the summary of its latest failed attempt (JSON, `text` for people)."""
        return {e.task_id: e.data for e in self.events_of("task.failure") if e.task_id is not None}

    def speculative_starts(self) -> dict[tuple[str, int], tuple[tuple[str, int], ...]]:
        """(task, attempt) -> the attempts its base held, for each attempt that started on
        the tree the merge queue was about to land (`[merge] speculate`)."""
        return {
            (e.task_id, int(e.data["attempt"])): tuple((o["task"], int(o["attempt"])) for o in on)
            for e in self.events_of("task.state")
            if e.task_id is not None and isinstance(on := e.data.get("on"), list)
        }

    def speculation(self) -> dict[str, int]:
        """How many tasks and attempts started speculatively, and attempts thrown away."""
        starts = self.speculative_starts()
        return {
            "tasks": len({task for task, _ in starts}),
            "attempts": len(starts),
            "discarded": sum(1 for a in self.attempts if a.outcome == "discarded"),
        }

    def events_of(self, kind: str, task_id: str | None = None) -> tuple[Event, ...]:
        return tuple(
            e for e in self.events if e.kind == kind and (task_id is None or e.task_id == task_id)
        )


@dataclass(frozen=True)
class TaskLine:
    id: str
    state: str
    reason: str
    attempts: tuple[AttemptRow, ...]
    settled_at: float | None  # when it reached a final state
    failure: str = ""  # its latest failed attempt's summary, for people

    @property
    def last(self) -> AttemptRow | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def cost(self) -> float:
        return sum(a.cost_usd for a in self.attempts)

    def duration(self, now: float) -> float | None:
        """From its first attempt's start to settling (or now, while it is still going)."""
        if not self.attempts:
            return None
        end = self.settled_at if self.state in lifecycle.FINAL and self.settled_at else now
        return max(0.0, end - self.attempts[0].started_at)


@dataclass(frozen=True)
class RunView:
    run: RunRow
    tasks: tuple[TaskLine, ...]

    @property
    def cost(self) -> float:
        return sum(t.cost for t in self.tasks)

    def counts(self) -> dict[str, int]:
        """Tasks per state, in the state machine's order, zeros left out."""
        found = [t.state for t in self.tasks]
        return {s: found.count(s) for s in lifecycle.STATES if s in found}

    def elapsed(self, now: float) -> float:
        return (self.run.finished_at or now) - self.run.created_at

    def task(self, task_id: str) -> TaskLine:
        return next(t for t in self.tasks if t.id == task_id)


class Reader:
    """Read-only access to a repository's runs (plus cancel/retry requests)."""

    def __init__(self, db: Path) -> None:
        self.store = Store(db)
        self.state = db.parent

    def coordinator(self) -> int | None:
        """The pid of the coordinator at work in this repository, if one is alive."""
        return lease_holder(self.state / "lock")

    def seen(self, run: RunRow, attempts: list[AttemptRow]) -> tuple[RunRow, list[AttemptRow]]:
        """The run as it really is: marked running with no live coordinator, it is interrupted
        and its attempts under way are lost (as of their last sign of life). Nothing is written.
        """
        if run.status != "running" or self.coordinator() is not None:
            return run, attempts
        lost = [
            replace(a, outcome=LOST, finished_at=last_sign_of_life(self.state, a))
            if a.finished_at is None
            else a
            for a in attempts
        ]
        end = max([run.created_at, *(a.finished_at or a.started_at for a in lost)])
        return replace(run, status=INTERRUPTED, finished_at=end), lost

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, run_id: str | None = None) -> RunRow:
        """The run (the latest by default); StateError when there is none such."""
        return self.store.run(run_id)

    def run_ids(self) -> list[str]:
        """Every run's id, oldest first."""
        rows = self.store.db.execute("SELECT id FROM runs ORDER BY created_at").fetchall()
        return [str(r[0]) for r in rows]

    def record(self, run_id: str | None = None) -> RunRecord:
        run, attempts = self.seen(*self._rows(run_id))
        return RunRecord(
            run,
            tuple(self.store.tasks(run.id)),
            tuple(attempts),
            tuple(self.store.events(run.id)),
        )

    def _rows(self, run_id: str | None) -> tuple[RunRow, list[AttemptRow]]:
        run = self.store.run(run_id)
        return run, self.store.attempts(run.id)

    def view(self, run_id: str | None = None) -> RunView:
        """The run's tasks with their attempts and failure summaries (four small queries)."""
        run, attempts = self.seen(*self._rows(run_id))
        settled = dict(
            self.store.db.execute(
                "SELECT task_id, MAX(at) FROM events WHERE run_id=? AND kind='task.state' "
                "GROUP BY task_id",
                (run.id,),
            ).fetchall()
        )
        failed = {
            task_id: str(json.loads(data).get("text", ""))
            for task_id, data in self.store.db.execute(
                "SELECT task_id, data FROM events WHERE run_id=? AND kind='task.failure' "
                "ORDER BY id",
                (run.id,),
            ).fetchall()
        }
        tasks = tuple(
            TaskLine(
                row.task_id,
                row.state,
                row.reason,
                tuple(a for a in attempts if a.task_id == row.task_id),
                settled.get(row.task_id),
                failed.get(row.task_id, ""),
            )
            for row in self.store.tasks(run.id)
        )
        return RunView(run, tasks)

    def active_run(self) -> str | None:
        """The run a coordinator is working on now (the newest one marked running), if any."""
        row = self.store.db.execute(
            "SELECT id FROM runs WHERE status='running' ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        return str(row[0]) if row else None

    def request(self, run_id: str, task_id: str, action: str, at: float) -> None:
        """Ask the run's coordinator to `cancel` or `retry` a task."""
        self.store.request(run_id, task_id, action, at)

    def add_event(self, run_id: str, kind: str, at: float, data: dict[str, object]) -> None:
        """A run-level note (e.g. the planning call's cost) in the run's event log."""
        self.store.add_event(run_id, None, at, kind, data)
