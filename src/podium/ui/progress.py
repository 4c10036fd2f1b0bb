"""A run as it stands: read from the store, drawn live on a terminal, plain lines elsewhere.

The view itself is read through `podium.api` (`Reader.view`). `reporter` is
what `podium run` and `podium resume` hand the engine: on a terminal a rich Live view
redrawn a few times a second from the store (the engine's events scroll above it), and
`render.progress_line` otherwise, so CI logs never get a control code.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from podium.api import Busy, Reader, RunView, lifecycle

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    from podium.api import Reporter

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
            with Reader(self.db) as reader:
                run_id = reader.active_run()
                while not self.done.wait(REFRESH):
                    self._show(live, reader, run_id)
                self._show(live, reader, run_id)

    def _show(self, live: Live, reader: Reader, run_id: str | None) -> None:
        self._flush(live.console)
        try:
            view = reader.view(run_id)
        except Busy:  # the store was busy past its timeout: skip this frame
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
    from podium import api
    from podium.ui import render

    if quiet:
        yield None
        return
    if not stream.isatty():
        yield render.progress_line
        return
    from rich.console import Console

    view = LiveView(Console(file=stream), api.state_dir(repo) / "podium.db")
    view.thread.start()
    try:
        yield view.report
    finally:
        view.close()
