"""The run's memory: SQLite in WAL mode; each state change and its event in one transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podium.errors import StateError
from podium.scheduling import lifecycle

SCHEMA_VERSION = 3
SCHEMA = """
CREATE TABLE runs (
    id TEXT PRIMARY KEY, plan_name TEXT NOT NULL, plan_text TEXT NOT NULL,
    target TEXT NOT NULL, base_commit TEXT NOT NULL, status TEXT NOT NULL,
    max_parallel INTEGER NOT NULL, gates TEXT NOT NULL, created_at REAL NOT NULL,
    finished_at REAL, budget REAL
);
CREATE TABLE tasks (
    run_id TEXT NOT NULL REFERENCES runs(id), task_id TEXT NOT NULL, position INTEGER NOT NULL,
    state TEXT NOT NULL, version INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '', merged_commit TEXT,
    PRIMARY KEY (run_id, task_id)
);
CREATE TABLE attempts (
    run_id TEXT NOT NULL, task_id TEXT NOT NULL, n INTEGER NOT NULL,
    agent TEXT NOT NULL, model TEXT, branch TEXT NOT NULL, worktree TEXT NOT NULL,
    base_commit TEXT NOT NULL, head_commit TEXT, pid INTEGER, pid_start TEXT,
    started_at REAL NOT NULL, finished_at REAL, exit_code INTEGER,
    outcome TEXT, reason TEXT NOT NULL DEFAULT '',
    input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, task_id, n)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, task_id TEXT,
    at REAL NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_run ON events(run_id, id);
CREATE TABLE controls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, task_id TEXT NOT NULL,
    action TEXT NOT NULL, at REAL NOT NULL, done INTEGER NOT NULL DEFAULT 0
);
"""


@dataclass(frozen=True)
class RunRow:
    id: str
    plan_name: str
    plan_text: str  # the plan as podium-format YAML, as it was run
    target: str
    base_commit: str
    status: str
    max_parallel: int
    gates: str  # JSON list: the gates this run uses
    created_at: float
    finished_at: float | None
    budget: float | None = None  # dollars the run may spend; None = no limit


@dataclass(frozen=True)
class TaskRow:
    run_id: str
    task_id: str
    position: int
    state: str
    version: int
    attempts: int
    reason: str
    merged_commit: str | None


@dataclass(frozen=True)
class AttemptRow:
    run_id: str
    task_id: str
    n: int
    agent: str
    model: str | None
    branch: str
    worktree: str
    base_commit: str
    head_commit: str | None
    pid: int | None
    pid_start: str | None
    started_at: float
    finished_at: float | None
    exit_code: int | None
    outcome: str | None
    reason: str
    input_tokens: int
    output_tokens: int
    cost_usd: float


@dataclass(frozen=True)
class Event:
    id: int
    run_id: str
    task_id: str | None
    at: float
    kind: str
    data: dict[str, Any]


class Store:
    """One SQLite file; every write is a short IMMEDIATE transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self._rows: dict[str, dict[str, TaskRow]] = {}  # run -> task -> row, once watched
        self._states: dict[str, dict[str, str]] = {}  # the same, states only
        version = self._create_schema()
        if version != SCHEMA_VERSION:
            self.db.close()
            raise StateError(
                f"{path} was written by another version of podium (schema {version}, this one "
                f"reads {SCHEMA_VERSION}); move it aside to start afresh (runs in it are not lost: "
                "their branches stay in git)"
            )

    def _create_schema(self) -> int:
        """Create the tables in a new file; two processes opening it at once create them once."""
        with self.tx() as db:
            version: int = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                version = SCHEMA_VERSION
        return version

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- writes ------------------------------------------------------------------------

    def create_run(
        self,
        run: RunRow,
        task_ids: list[str],
        at: float,
        landed: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        """A new run, its tasks pending; `landed` (task -> (commit, why)) start as merged:
        git found them on the target already."""
        landed = landed or {}
        with self.tx() as db:
            db.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?)", _values(run))
            db.executemany(
                "INSERT INTO tasks (run_id, task_id, position, state, version) VALUES (?,?,?,?,0)",
                [(run.id, t, i, lifecycle.PENDING) for i, t in enumerate(task_ids)],
            )
            self._event(db, run.id, None, at, "run.created", {"target": run.target})
            for task_id, (commit, why) in landed.items():
                db.execute(
                    "UPDATE tasks SET state=?, version=1, reason=?, merged_commit=? "
                    "WHERE run_id=? AND task_id=?",
                    (lifecycle.MERGED, why, commit, run.id, task_id),
                )
                data = {"from": lifecycle.PENDING, "to": lifecycle.MERGED, "reason": why}
                self._event(db, run.id, task_id, at, "task.state", {**data, "already": commit})

    def set_budget(self, run_id: str, budget: float | None, at: float) -> None:
        with self.tx() as db:
            db.execute("UPDATE runs SET budget=? WHERE id=?", (budget, run_id))
            self._event(db, run_id, None, at, "run.budget", {"budget": budget})

    def set_run_status(self, run_id: str, status: str, at: float) -> None:
        with self.tx() as db:
            finished = at if status != "running" else None
            db.execute(
                "UPDATE runs SET status=?, finished_at=? WHERE id=?", (status, finished, run_id)
            )
            self._event(db, run_id, None, at, f"run.{status}", {})

    def transition(
        self,
        run_id: str,
        task_id: str,
        to: str,
        at: float,
        *,
        reason: str = "",
        data: dict[str, Any] | None = None,
        merged_commit: str | None = None,
    ) -> TaskRow:
        """Move a task to `to` if the state machine allows it; the event goes in the same tx."""
        with self.tx() as db:
            row = self._task(db, run_id, task_id)
            if not lifecycle.allowed(row.state, to):
                raise StateError(f"task {task_id!r}: {row.state} -> {to} is not allowed")
            cur = db.execute(
                "UPDATE tasks SET state=?, version=version+1, reason=?, "
                "merged_commit=COALESCE(?, merged_commit) "
                "WHERE run_id=? AND task_id=? AND version=?",
                (to, reason, merged_commit, run_id, task_id, row.version),
            )
            if cur.rowcount != 1:
                raise StateError(f"task {task_id!r} changed under us (version {row.version})")
            payload = {"from": row.state, "to": to, "reason": reason, **(data or {})}
            self._event(db, run_id, task_id, at, "task.state", payload)
            new = self._task(db, run_id, task_id)
        self._mirror(new)
        return new

    def split_task(
        self, run_id: str, task_id: str, plan_text: str, at: float, data: dict[str, Any]
    ) -> None:
        """Replace a stopped task by its sub-tasks (`data["parts"]`), in one transaction: the
        task becomes `split`, its sub-tasks pending, those of `data["reopen"]` that are
        blocked pending again, the run's plan the new one, with a `task.split` event."""
        parts, reopen = list(data["parts"]), list(data["reopen"])
        with self.tx() as db:
            row = self._task(db, run_id, task_id)
            if not lifecycle.allowed(row.state, lifecycle.SPLIT):
                raise StateError(f"task {task_id!r}: {row.state} -> split is not allowed")
            reason = f"split into {', '.join(parts)}"
            db.execute(
                "UPDATE tasks SET state=?, version=version+1, reason=? "
                "WHERE run_id=? AND task_id=?",
                (lifecycle.SPLIT, reason, run_id, task_id),
            )
            moved = {"from": row.state, "to": lifecycle.SPLIT, "reason": reason}
            self._event(db, run_id, task_id, at, "task.state", moved)
            last = db.execute("SELECT MAX(position) FROM tasks WHERE run_id=?", (run_id,))
            start = last.fetchone()[0] + 1
            db.executemany(
                "INSERT INTO tasks (run_id, task_id, position, state, version) VALUES (?,?,?,?,0)",
                [(run_id, t, start + i, lifecycle.PENDING) for i, t in enumerate(parts)],
            )
            for other in reopen:
                cur = db.execute(
                    "UPDATE tasks SET state=?, version=version+1, reason='' "
                    "WHERE run_id=? AND task_id=? AND state=?",
                    (lifecycle.PENDING, run_id, other, lifecycle.BLOCKED),
                )
                if cur.rowcount:
                    again = {"from": lifecycle.BLOCKED, "to": lifecycle.PENDING, "reason": reason}
                    self._event(db, run_id, other, at, "task.state", again)
            db.execute("UPDATE runs SET plan_text=? WHERE id=?", (plan_text, run_id))
            self._event(db, run_id, task_id, at, "task.split", data)
        self._refresh(run_id)

    def annotate(
        self, run_id: str, task_id: str, reason: str, at: float, kind: str, data: dict[str, Any]
    ) -> None:
        """A new reason for a task whose state stays as it is (a split that did not happen),
        with its event, in one transaction."""
        with self.tx() as db:
            self._task(db, run_id, task_id)
            db.execute(
                "UPDATE tasks SET reason=? WHERE run_id=? AND task_id=?", (reason, run_id, task_id)
            )
            self._event(db, run_id, task_id, at, kind, data)
        self._refresh(run_id)

    def start_attempt(self, attempt: AttemptRow, extra: dict[str, Any] | None = None) -> TaskRow:
        """Record a new attempt and move its task to running, atomically; `extra` goes into
        the event (a speculative start names the attempts its base was built from)."""
        with self.tx() as db:
            row = self._task(db, attempt.run_id, attempt.task_id)
            if not lifecycle.allowed(row.state, lifecycle.RUNNING):
                raise StateError(f"task {attempt.task_id!r}: cannot start from {row.state}")
            db.execute(f"INSERT INTO attempts VALUES ({','.join('?' * 19)})", _values(attempt))
            db.execute(
                "UPDATE tasks SET state=?, version=version+1, attempts=?, reason='' "
                "WHERE run_id=? AND task_id=? AND version=?",
                (lifecycle.RUNNING, attempt.n, attempt.run_id, attempt.task_id, row.version),
            )
            data = {
                "from": row.state,
                "to": lifecycle.RUNNING,
                "attempt": attempt.n,
                "agent": attempt.agent,
                "model": attempt.model,
                "branch": attempt.branch,
                **(extra or {}),
            }
            self._event(db, attempt.run_id, attempt.task_id, attempt.started_at, "task.state", data)
            new = self._task(db, attempt.run_id, attempt.task_id)
        self._mirror(new)
        return new

    def update_attempt(self, run_id: str, task_id: str, n: int, **fields: Any) -> None:
        cols = ", ".join(f"{k}=?" for k in fields)
        with self.tx() as db:
            db.execute(
                f"UPDATE attempts SET {cols} WHERE run_id=? AND task_id=? AND n=?",
                (*fields.values(), run_id, task_id, n),
            )

    def add_event(
        self, run_id: str, task_id: str | None, at: float, kind: str, data: dict[str, Any]
    ) -> None:
        with self.tx() as db:
            self._event(db, run_id, task_id, at, kind, data)

    def request(self, run_id: str, task_id: str, action: str, at: float) -> None:
        """Ask the coordinator of a run (another process, maybe) to cancel or retry a task."""
        if action not in ("cancel", "retry"):
            raise StateError(f"unknown action {action!r} (known: cancel, retry)")
        with self.tx() as db:
            self._task(db, run_id, task_id)
            db.execute(
                "INSERT INTO controls (run_id, task_id, action, at) VALUES (?,?,?,?)",
                (run_id, task_id, action, at),
            )

    def take_requests(self, run_id: str) -> list[tuple[str, str]]:
        """The (task, action) requests not yet handled, oldest first; marks them handled."""
        with self.tx() as db:
            rows = db.execute(
                "SELECT id, task_id, action FROM controls WHERE run_id=? AND done=0 ORDER BY id",
                (run_id,),
            ).fetchall()
            db.executemany("UPDATE controls SET done=1 WHERE id=?", [(r[0],) for r in rows])
        return [(r[1], r[2]) for r in rows]

    # -- reads -------------------------------------------------------------------------

    def run(self, run_id: str | None = None) -> RunRow:
        if run_id is None:
            row = self.db.execute("SELECT * FROM runs ORDER BY created_at DESC LIMIT 1").fetchone()
            if row is None:
                raise StateError(
                    "no runs yet in this repository (start one with `podium run PLAN`)"
                )
        else:
            row = self.db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
            if row is None:
                known = [r[0] for r in self.db.execute("SELECT id FROM runs ORDER BY created_at")]
                raise StateError(f"no run {run_id!r} (known: {', '.join(known) or 'none'})")
        return RunRow(*row)

    def runs(self, *, plan: str | None = None, status: str | None = None) -> list[RunRow]:
        """Runs, oldest first; only those of one plan name, or in one status, if asked."""
        rows = self.db.execute(
            "SELECT * FROM runs WHERE (? IS NULL OR plan_name=?) AND (? IS NULL OR status=?) "
            "ORDER BY created_at",
            (plan, plan, status, status),
        ).fetchall()
        return [RunRow(*row) for row in rows]

    def tasks(self, run_id: str) -> list[TaskRow]:
        rows = self.db.execute(
            "SELECT * FROM tasks WHERE run_id=? ORDER BY position", (run_id,)
        ).fetchall()
        return [TaskRow(*r) for r in rows]

    def task(self, run_id: str, task_id: str) -> TaskRow:
        return self._task(self.db, run_id, task_id)

    def watch(self, run_id: str) -> tuple[Mapping[str, TaskRow], Mapping[str, str]]:
        """The run's task rows and states, read once, then kept up to date in memory by every
        transition made through this Store (the coordinator's; requests from other processes
        go through `request`). The database stays the truth: each change is written there
        first, in the transaction that also records its event."""
        if run_id not in self._rows:
            rows = self.tasks(run_id)
            self._rows[run_id] = {r.task_id: r for r in rows}
            self._states[run_id] = {r.task_id: r.state for r in rows}
        return self._rows[run_id], self._states[run_id]

    def attempts(self, run_id: str, task_id: str | None = None) -> list[AttemptRow]:
        sql, args = "SELECT * FROM attempts WHERE run_id=?", [run_id]
        if task_id is not None:
            sql, args = sql + " AND task_id=?", [*args, task_id]
        rows = self.db.execute(sql + " ORDER BY started_at, task_id, n", args).fetchall()
        return [AttemptRow(*r) for r in rows]

    def costs_of(self, agent: str) -> list[float]:
        """What this agent's paid attempts cost, across runs (for estimates)."""
        rows = self.db.execute(
            "SELECT cost_usd FROM attempts WHERE agent=? AND cost_usd > 0 "
            "ORDER BY started_at DESC LIMIT 50",
            (agent,),
        )
        return [r[0] for r in rows]

    def events(self, run_id: str, after: int = 0) -> list[Event]:
        rows = self.db.execute(
            "SELECT * FROM events WHERE run_id=? AND id>? ORDER BY id", (run_id, after)
        ).fetchall()
        return [Event(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    # -- internals ---------------------------------------------------------------------

    def _refresh(self, run_id: str) -> None:
        """A change of many rows (a split): the watched rows read again, in place."""
        if run_id in self._rows:
            for row in self.tasks(run_id):
                self._mirror(row)

    def _mirror(self, row: TaskRow) -> None:
        rows = self._rows.get(row.run_id)
        if rows is not None:
            rows[row.task_id] = row
            self._states[row.run_id][row.task_id] = row.state

    def _task(self, db: sqlite3.Connection, run_id: str, task_id: str) -> TaskRow:
        row = db.execute(
            "SELECT * FROM tasks WHERE run_id=? AND task_id=?", (run_id, task_id)
        ).fetchone()
        if row is None:
            raise StateError(f"no task {task_id!r} in run {run_id!r}")
        return TaskRow(*row)

    @staticmethod
    def _event(
        db: sqlite3.Connection,
        run_id: str,
        task_id: str | None,
        at: float,
        kind: str,
        data: dict[str, Any],
    ) -> None:
        db.execute(
            "INSERT INTO events (run_id, task_id, at, kind, data) VALUES (?,?,?,?,?)",
            (run_id, task_id, at, kind, json.dumps(data, sort_keys=True)),
        )


def _values(row: Any) -> tuple[Any, ...]:
    return tuple(row.__dict__.values())
