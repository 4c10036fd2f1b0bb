"""`podium live` driven with Textual's Pilot against the store of a real run, cancel included."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from textual.pilot import Pilot
from textual.widgets import DataTable, Log, Static

from podium.store import Store
from podium.ui.tui import LiveApp, tail

from conftest import agent

ROOT = Path(__file__).resolve().parents[1]


def task(id: str, ops: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": id, "goal": f"do {id}", "agent": "command", "command": agent(*ops), **extra}


def write_plan(repo: Path, tasks: list[dict[str, Any]], **extra: Any) -> None:
    plan = {"name": "live", "agent": "command", "gates": [], "tasks": tasks, **extra}
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))


def podium(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def finished(calc_repo: Path) -> Path:
    """A finished run: two merged tasks, one failed, one blocked behind it."""
    write_plan(
        calc_repo,
        [
            task("models", ["say", "writing the models", "write", "m.py", "M = 1\\n"]),
            task("api", ["say", "api up", "write", "a.py", "A = 1\\n"], after=["models"]),
            task("flaky", ["say", "about to fail", "exit", "3"]),
            task("docs", ["write", "d.md", "d\\n"], after=["flaky", "models"]),
        ],
        budget_usd=2.5,
    )
    assert podium(calc_repo, "run", "plan.yaml").returncode == 1
    return calc_repo


def drive(app: LiveApp, scenario: Callable[[Pilot[None]], Any]) -> None:
    async def go() -> None:
        async with app.run_test(size=(140, 36)) as pilot:
            await pilot.pause(0.2)
            await scenario(pilot)

    asyncio.run(go())


def row_of(app: LiveApp, task_id: str) -> list[str]:
    return [str(cell) for cell in app.query_one("#tasks", DataTable).get_row(task_id)]


def text_of(app: LiveApp, widget: str) -> str:
    return str(app.query_one(widget, Static).render())


def test_the_table_shows_every_task_and_the_selected_one_in_detail(finished: Path) -> None:
    app = LiveApp(finished)

    async def scenario(pilot: Pilot[None]) -> None:
        assert row_of(app, "models")[:5] == ["models", "merged", "command", "-", "1"]
        assert row_of(app, "flaky")[1:5] == ["failed", "command", "-", "2"]
        assert row_of(app, "docs")[1] == "blocked"
        assert "finished" in text_of(app, "#summary") and "2 merged" in text_of(app, "#summary")
        assert text_of(app, "#budget-label") == "cost $0.00 of $2.50"
        await pilot.press("down")  # api
        assert "after: models" in text_of(app, "#details")
        assert app.query_one("#log", Log).lines == ["api up"]
        await pilot.press("down", "down")  # docs: blocked, never ran
        details = text_of(app, "#details")
        assert "after: flaky, models" in details and "why: blocked" in details
        assert app.query_one("#log", Log).lines == ["(no attempt yet)"]
        await pilot.press("up")  # flaky: its last attempt's output
        assert app.query_one("#log", Log).lines == ["about to fail"]
        assert "needed by: docs" in text_of(app, "#details")
        app.save_screenshot("live.svg", str(ROOT / "bench" / "out"))

    drive(app, scenario)


def test_cancel_on_a_finished_run_asks_nothing(finished: Path) -> None:
    app = LiveApp(finished)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("down", "down", "c")
        await pilot.pause(0.1)
        assert "run r1 is finished: there is nothing to cancel" in text_of(app, "#said")
        await pilot.press("q")

    drive(app, scenario)
    store = Store(finished / ".podium" / "podium.db")
    assert store.take_requests("r1") == []
    store.close()


def test_retry_on_a_finished_run_starts_podium_retry(finished: Path) -> None:
    """`r` on a failed task of a finished run re-attempts it (a `podium retry` of its own)."""
    app = LiveApp(finished)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("down", "down", "r")
        await pilot.pause(0.1)
        assert "podium retry flaky started in the background" in text_of(app, "#said")
        await pilot.press("q")

    drive(app, scenario)
    logs = list((finished / ".podium" / "background").glob("retry-*.log"))
    assert len(logs) == 1
    for _ in range(600):  # the retry is a coordinator of its own: wait for it to end
        if "run r1 (plan)" in logs[0].read_text():  # its closing status
            break
        time.sleep(0.1)
    store = Store(finished / ".podium" / "podium.db")
    flaky = [a.n for a in store.attempts("r1", "flaky")]
    retried = [e for e in store.events("r1") if e.kind == "task.retry"]
    store.close()
    assert flaky == [1, 2, 3, 4]  # a fresh budget of two attempts after the first two
    assert [e.task_id for e in retried] == ["flaky"]


@pytest.fixture
def running(calc_repo: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A run in the background: `slow` hangs on its first attempt, `keeper` until cancelled."""
    write_plan(
        calc_repo,
        [
            task("keeper", ["say", "keeping the run alive", "hang"]),
            task("slow", ["say", "attempt starts", "first-attempt-hang", "write", "s.txt", "s\\n"]),
        ],
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "podium", "run", "plan.yaml"],
        cwd=calc_repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    db = calc_repo / ".podium" / "podium.db"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and states(db) != {"keeper": "running", "slow": "running"}:
        time.sleep(0.1)
    try:
        yield calc_repo, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.communicate(timeout=60)


def states(db: Path) -> dict[str, str]:
    if not db.exists():
        return {}
    store = Store(db)
    try:
        return {t.task_id: t.state for t in store.tasks("r1")}
    finally:
        store.close()


async def until(pilot: Pilot[None], app: LiveApp, task_id: str, state: str) -> None:
    """Let the app poll the store until the task shows `state` (the coordinator's doing)."""
    for _ in range(150):
        if app.view.task(task_id).state == state:
            return
        await pilot.pause(0.2)
    raise AssertionError(f"{task_id} never got to {state}: {app.view.task(task_id).state}")


def test_cancel_and_retry_reach_the_running_coordinator(
    running: tuple[Path, subprocess.Popen[str]],
) -> None:
    repo, proc = running
    app = LiveApp(repo)

    async def scenario(pilot: Pilot[None]) -> None:
        assert row_of(app, "slow")[1] == "running"
        log = app.query_one("#log", Log)  # keeper, selected: its output while it still runs
        for _ in range(150):
            if log.lines == ["keeping the run alive"]:
                break
            await pilot.pause(0.2)
        assert log.lines == ["keeping the run alive"]
        await pilot.press("down", "c")  # slow: its first attempt hangs
        assert "cancel requested for slow" in text_of(app, "#said")
        await until(pilot, app, "slow", "cancelled")
        assert row_of(app, "slow")[1] == "cancelled"
        state = app.query_one("#tasks", DataTable).ordered_columns[1]
        assert state.content_width >= len("cancelled")  # the column grew: not "cancell"
        await pilot.press("r")  # its second attempt does the work
        await until(pilot, app, "slow", "merged")
        await pilot.press("up", "c")  # keeper: the last thing keeping the run going
        await until(pilot, app, "keeper", "cancelled")

    drive(app, scenario)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, output
    assert states(repo / ".podium" / "podium.db") == {"keeper": "cancelled", "slow": "merged"}
    store = Store(repo / ".podium" / "podium.db")
    first, second = store.attempts("r1", "slow")
    store.close()
    assert "cancel" in first.reason and second.outcome == "merged"


def test_live_on_an_unknown_run_says_which_runs_exist(finished: Path) -> None:
    proc = podium(finished, "live", "r9")
    assert proc.returncode == 2
    assert "no run 'r9' (known: r1)" in proc.stderr


def test_tail_reads_the_end_of_a_long_log(tmp_path: Path) -> None:
    log = tmp_path / "a1.log"
    log.write_text("".join(f"line {i}\n" for i in range(100_000)))
    assert tail(log, 3) == ["line 99997", "line 99998", "line 99999"]
    assert tail(tmp_path / "missing.log") == []
