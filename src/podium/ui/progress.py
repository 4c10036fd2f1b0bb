"""A run as it stands: read from the store, drawn live on a terminal, plain lines elsewhere.

`read_view` is shared by the live view, `podium live` and `podium report`. `reporter` is
what `podium run` and `podium resume` hand the engine: on a terminal a rich Live view
redrawn a few times a second from the store (the engine's events scroll above it), and
`render.progress_line` otherwise, so CI logs never get a control code.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from podium.scheduling import lifecycle
from podium.store import AttemptRow, RunRow, Store

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    from podium.runs.engine import Reporter

REFRESH = 0.25  # seconds between frames of the live view
BAR = 30  # characters in the bar of tasks by state
STYLE = {
    lifecycle.PENDING: "dim",
    lifecycle.RUNNING: "bold cyan",
    lifecycle.VERIFYING: "bold blue",
    lifecycle.MERGING: "bold magenta",
    lifecycle.MERGED: "green",
    lifecycle.FAILED: "bold red",
    lifecycle.BLOCKED: "yellow",
    lifecycle.CANCELLED: "dim red",
}


@dataclass(frozen=True)
class TaskLine:
    id: str
    state: str
    reason: str
    attempts: tuple[AttemptRow, ...]
    settled_at: float | None  # when it reached a final state

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


def read_view(store: Store, run_id: str | None = None) -> RunView:
    """The run's tasks with their attempts, from the store (three small queries)."""
    run = store.run(run_id)
    attempts = store.attempts(run.id)
    settled = dict(
        store.db.execute(
            "SELECT task_id, MAX(at) FROM events WHERE run_id=? AND kind='task.state' "
            "GROUP BY task_id",
            (run.id,),
        ).fetchall()
    )
    tasks = tuple(
        TaskLine(
            row.task_id,
            row.state,
            row.reason,
            tuple(a for a in attempts if a.task_id == row.task_id),
            settled.get(row.task_id),
        )
        for row in store.tasks(run.id)
    )
    return RunView(run, tasks)


def active_run(store: Store) -> str | None:
    """The run a coordinator is working on now (the newest one marked running), if any."""
    row = store.db.execute(
        "SELECT id FROM runs WHERE status='running' ORDER BY created_at DESC LIMIT 1"
    ).fetchone()
    return str(row[0]) if row else None


def clock(seconds: float | None) -> str:
    """12.3 -> '0:12', 3725 -> '1:02:05'; None -> '-'."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    text = f"{rest // 60}:{rest % 60:02d}"
    return f"{hours}:{text.zfill(5)}" if hours else text


# -- the live view ---------------------------------------------------------------------


def frame(view: RunView, now: float) -> RenderableType:
    """One frame: a header line, tasks by state, and a table of the agents at work."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    busy = [t for t in view.tasks if t.state in lifecycle.BUSY]
    run = view.run
    head = Text.assemble(
        ("podium ", "bold"),
        f"{run.id} · {run.plan_name} → {run.target} · {run.status} · ",
        (clock(view.elapsed(now)), "bold"),
        f" elapsed · ${view.cost:.2f} · {len(busy)} at work (max {run.max_parallel})",
    )
    counts = Text("  ")
    for state, n in view.counts().items():
        counts.append("█" * max(1, round(BAR * n / len(view.tasks))), STYLE.get(state, ""))
    counts.append("  ")
    for state, n in view.counts().items():
        counts.append(f"{n} {state}", STYLE.get(state, ""))
        counts.append("  ")
    table = Table(box=None, padding=(0, 2), show_edge=False, header_style="dim")
    for column in ("task", "state", "agent", "model", "attempt", "elapsed"):
        table.add_column(column)
    for task in busy:
        last = task.last
        table.add_row(
            task.id,
            Text(task.state, STYLE.get(task.state, "")),
            last.agent if last else "-",
            (last.model if last else None) or "-",
            str(last.n) if last else "-",
            clock(now - last.started_at) if last else "-",
        )
    return Group(head, counts, table) if busy else Group(head, counts)


class LiveView:
    """Draws the run from the store in its own thread; the engine only appends events."""

    def __init__(self, console: Console, db: Path) -> None:
        self.console = console
        self.db = db
        self.lines: deque[tuple[str, str, str]] = deque()
        self.started = threading.Event()  # the first event: the run exists in the store
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._draw, name="podium-progress", daemon=True)

    def report(self, task: str, what: str, detail: str) -> None:
        self.lines.append((task, what, detail))
        self.started.set()

    def _draw(self) -> None:
        from rich.live import Live

        with Live(console=self.console, auto_refresh=False, transient=False) as live:
            while not self.started.wait(REFRESH):
                if self.done.is_set():
                    return
            store = Store(self.db)
            run_id = active_run(store)
            try:
                while not self.done.wait(REFRESH):
                    self._show(live, store, run_id)
                self._show(live, store, run_id)
            finally:
                store.close()

    def _show(self, live: Live, store: Store, run_id: str | None) -> None:
        self._flush(live.console)
        try:
            view = read_view(store, run_id)
        except sqlite3.OperationalError:  # busy past its timeout: skip this frame
            return
        live.update(frame(view, time.time()), refresh=True)

    def _flush(self, console: Console) -> None:
        """The engine's events, printed above the live frame as a log that stays."""
        from rich.text import Text

        while self.lines:
            task, what, detail = self.lines.popleft()
            first = detail.splitlines()[0] if detail else ""
            style = STYLE.get(what, "yellow" if what in ("warning", "retry") else "")
            stamp = time.strftime("%H:%M:%S")
            console.print(
                Text.assemble(f"{stamp}  {task:<24} ", (f"{what:<9}", style), f" {first}")
            )

    def close(self) -> None:
        self.done.set()
        self.thread.join()


@contextlib.contextmanager
def reporter(stream: TextIO, repo: Path, *, quiet: bool = False) -> Iterator[Reporter | None]:
    """The reporter for a run in `repo`: live on a terminal, plain lines otherwise."""
    from podium.runs import worktrees
    from podium.ui import render

    if quiet:
        yield None
        return
    if not stream.isatty():
        yield render.progress_line
        return
    from rich.console import Console

    view = LiveView(Console(file=stream), worktrees.state_dir(repo) / "podium.db")
    view.thread.start()
    try:
        yield view.report
    finally:
        view.close()
