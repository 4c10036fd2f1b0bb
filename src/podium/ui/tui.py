"""`podium live`: a Textual app that watches a run through the store, from any terminal.

It never talks to the coordinator except through the store: it reads every half second,
and `c` / `r` leave a cancel or retry request that the coordinator picks up.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

import click
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Log, ProgressBar, Static

from podium import api
from podium.api import Plan, RunView, TaskLine, lifecycle
from podium.ui.progress import STYLE, clock

POLL = 0.5  # seconds between reads of the store
TAIL_BYTES = 64 * 1024
TAIL_LINES = 200
COLUMNS = ("task", "state", "agent", "model", "attempt", "duration", "cost")
CANCELLABLE = frozenset({lifecycle.PENDING, *lifecycle.BUSY})
RETRYABLE = frozenset({lifecycle.FAILED, lifecycle.CANCELLED})


def request_problem(view: RunView, task: TaskLine, action: str) -> str | None:
    """Why `action` (cancel or retry) cannot be asked for this task now; None when it can.

    A retry on a run that has stopped starts `podium retry` in the background instead."""
    if view.run.status != "running" and action == "cancel":
        return f"run {view.run.id} is {view.run.status}: there is nothing to cancel"
    allowed = CANCELLABLE if action == "cancel" else RETRYABLE
    if task.state not in allowed:
        return f"{task.id} is {task.state}: only {', '.join(sorted(allowed))} tasks can {action}"
    return None


def tail(path: Path, lines: int = TAIL_LINES) -> list[str]:
    """The last lines of a (possibly growing, possibly large) log file."""
    if not path.exists():
        return []
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - TAIL_BYTES))
        text = handle.read().decode("utf-8", errors="replace")
    return text.splitlines()[-lines:]


def cells(task: TaskLine, now: float) -> tuple[str | Text, ...]:
    last = task.last
    return (
        task.id,
        Text(task.state, STYLE.get(task.state, "")),
        last.agent if last else "-",
        (last.model if last else None) or "-",
        str(last.n) if last else "-",
        clock(task.duration(now)),
        f"${task.cost:.2f}",
    )


def details(view: RunView, plan: Plan, task: TaskLine) -> Text:
    """The selected task: what it waits for, what waits for it, and why it is where it is."""
    states = {t.id: t.state for t in view.tasks}
    out = Text.assemble((task.id, "bold"), "  ", (task.state, STYLE.get(task.state, "")))
    needs = next((t.after for t in plan.tasks if t.id == task.id), ())  # a split task: none
    behind = [t.id for t in plan.tasks if task.id in t.after]
    for label, ids in (("after", needs), ("needed by", behind)):
        out.append(f"\n{label}: ")
        if not ids:
            out.append("-", "dim")
        for i, other in enumerate(ids):
            out.append(", " if i else "")
            out.append(other, STYLE.get(states.get(other, ""), ""))
    for attempt in task.attempts:
        took = clock((attempt.finished_at or time.time()) - attempt.started_at)
        out.append(f"\na{attempt.n} {attempt.agent} {took} {attempt.outcome or 'running'}")
        out.append(f" ${attempt.cost_usd:.2f}", "dim")
    if task.failure:
        out.append(f"\n{task.failure}", "yellow")
    elif task.reason:
        out.append(f"\nwhy: {task.reason}", "yellow")
    return out


class LiveApp(App[None]):
    """The run's tasks, the selected task's dependencies and agent output, and its budget."""

    TITLE = "podium live"
    CSS = """
    #summary, #said { height: auto; padding: 0 1; }
    #budget { height: 1; padding: 0 1; }
    #budget-label { width: auto; padding-right: 2; }
    #main { height: 1fr; }
    #tasks { width: 3fr; }
    #side { width: 2fr; }
    #details { height: auto; max-height: 12; padding: 0 1; border: round $primary; }
    #log { height: 1fr; border: round $secondary; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "request('cancel')", "Cancel task"),
        Binding("r", "request('retry')", "Retry task"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, repo: Path, run_id: str | None = None, poll: float = POLL) -> None:
        super().__init__()
        self.repo = repo
        self.run_id = run_id
        self.poll = poll
        self.shown_log: tuple[str, list[str]] = ("", [])

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="summary")
        yield Static(Text("c cancels the selected task, r retries it", "dim"), id="said")
        with Horizontal(id="budget"):
            yield Static(id="budget-label")
            yield ProgressBar(show_eta=False, id="budget-bar")
        with Horizontal(id="main"):
            yield DataTable(cursor_type="row", id="tasks")
            with Vertical(id="side"):
                yield Static(id="details")
                yield Log(id="log", auto_scroll=True)
        yield Footer()

    def on_mount(self) -> None:
        self.reader = api.reader(self.repo)
        self.view = self.reader.view(self.run_id)
        self.run_id = self.view.run.id
        self.plan = api.stored_plan(self.view.run)
        self.sub_title = f"run {self.run_id} · {self.view.run.plan_name} → {self.view.run.target}"
        table = self.query_one("#tasks", DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        now = time.time()
        for task in self.view.tasks:
            table.add_row(*cells(task, now), key=task.id)
        self.draw()
        self.set_interval(self.poll, self.reload)

    def on_unmount(self) -> None:
        self.reader.close()

    def reload(self) -> None:
        self.view = self.reader.view(self.run_id)
        self.draw()

    def draw(self) -> None:
        now = time.time()
        table = self.query_one("#tasks", DataTable)
        for task in self.view.tasks:
            for column, value in zip(COLUMNS, cells(task, now), strict=True):
                table.update_cell(task.id, column, value, update_width=True)  # "cancelled" whole
        self.query_one("#summary", Static).update(self.summary(now))
        self.draw_budget()
        self.draw_selected()

    def summary(self, now: float) -> Text:
        run = self.view.run
        out = Text.assemble((run.status, "bold"), f" · {clock(self.view.elapsed(now))} elapsed · ")
        for state, n in self.view.counts().items():
            out.append(f"{n} {state}", STYLE.get(state, ""))
            out.append("  ")
        return out

    def draw_budget(self) -> None:
        cost, budget = self.view.cost, self.plan.budget_usd
        label = self.query_one("#budget-label", Static)
        bar = self.query_one("#budget-bar", ProgressBar)
        bar.display = budget is not None
        if budget is None:
            label.update(f"cost ${cost:.2f} (the plan sets no budget_usd)")
            return
        over = cost > budget
        label.update(Text(f"cost ${cost:.2f} of ${budget:.2f}", "bold red" if over else ""))
        bar.update(total=budget, progress=min(cost, budget))

    def selected(self) -> TaskLine | None:
        row = self.query_one("#tasks", DataTable).cursor_row
        return self.view.tasks[row] if 0 <= row < len(self.view.tasks) else None

    def draw_selected(self) -> None:
        task = self.selected()
        if task is None:
            return
        self.query_one("#details", Static).update(details(self.view, self.plan, task))
        log = self.query_one("#log", Log)
        last = task.last
        if last is None:
            shown = (task.id, ["(no attempt yet)"])
        else:
            path = self.log_path(task.id, last.n)
            shown = (f"{task.id}/a{last.n}", tail(path) or [f"(nothing in {path.name} yet)"])
        if shown != self.shown_log:
            self.shown_log = shown
            log.border_title = f"agent output · {shown[0]}"
            log.clear()
            log.write_lines(shown[1])

    def log_path(self, task_id: str, n: int) -> Path:
        return api.state_dir(self.repo) / "logs" / self.view.run.id / task_id / f"a{n}.log"

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.draw_selected()

    def action_request(self, action: str) -> None:
        task = self.selected()
        if task is None:
            return
        problem = request_problem(self.view, task, action)
        if problem is None and self.view.run.status != "running":
            _, log = api.spawn(self.repo, ["retry", task.id, "--run", self.view.run.id])
            self.say(f"podium retry {task.id} started in the background (output: {log})")
            return
        if problem is None:
            self.reader.request(self.view.run.id, task.id, action, time.time())
        self.say(problem or f"{action} requested for {task.id}", problem is not None)

    def say(self, message: str, warning: bool = False) -> None:
        """A toast, and the same words kept on the status line until the next one."""
        self.notify(message, severity="warning" if warning else "information", markup=False)
        stamp = time.strftime("%H:%M:%S")
        self.query_one("#said", Static).update(
            Text(f"{stamp} {message}", "yellow" if warning else "")
        )


@click.command("live")
@click.argument("run_id", required=False)
def live_command(run_id: str | None) -> None:
    """Watch a run (the latest by default) in a terminal UI: c cancels a task, r retries it."""
    repo = api.repo_root()
    with api.reader(repo) as reader:
        reader.run(run_id)  # a run that does not exist is bad input, said before the screen clears
    LiveApp(repo, run_id).run()
