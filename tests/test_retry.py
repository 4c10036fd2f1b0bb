"""Retrying tasks of a stopped run: what may be retried, and what a retry reopens."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.errors import StateError
from podium.plans.model import Plan, Task
from podium.runs import retry
from podium.scheduling import lifecycle
from podium.store import RunRow, Store

PLAN = Plan(
    "calc",
    (
        Task("add", "a"),
        Task("div", "d"),
        Task("mean", "m", after=("div",)),
        Task("report", "r", after=("mean",)),
    ),
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "podium.db")
    run = RunRow("r1", "calc", "", "main", "base", "finished", 2, "[]", 1000.0, 1100.0)
    store.create_run(run, [t.id for t in PLAN.tasks], 1000.0, {"add": ("c0ffee", "landed")})
    store.transition("r1", "div", lifecycle.CANCELLED, 1001.0)  # pending -> cancelled
    store.transition("r1", "div", lifecycle.PENDING, 1002.0)
    store.db.execute("UPDATE tasks SET state='failed', attempts=2 WHERE task_id='div'")
    store.db.execute("UPDATE tasks SET state='blocked' WHERE task_id IN ('mean', 'report')")
    return store


def test_only_failed_or_cancelled_tasks_may_be_retried(store: Store) -> None:
    retry.check(store, PLAN, "r1", ["div"])
    with pytest.raises(StateError, match=r"task 'add' of run r1 is already merged \(c0ffee\)"):
        retry.check(store, PLAN, "r1", ["add"])
    with pytest.raises(StateError, match="task 'mean' is blocked behind div: retry that instead"):
        retry.check(store, PLAN, "r1", ["mean"])
    with pytest.raises(StateError, match=r"no task 'nope' in run r1 \(tasks: add, div, mean"):
        retry.check(store, PLAN, "r1", ["nope"])


def test_a_retry_reopens_the_task_and_everything_blocked_behind_it(store: Store) -> None:
    opened = retry.reopen(store, PLAN, "r1", ["div"], 2000.0, agent="codex", model="gpt-5.5")
    assert opened == ["div", "mean", "report"]
    states = {t.task_id: t.state for t in store.tasks("r1")}
    assert states == {"add": "merged", "div": "pending", "mean": "pending", "report": "pending"}
    marks = [e for e in store.events("r1") if e.kind == "task.retry"]
    assert [(e.task_id, e.data) for e in marks] == [
        ("div", {"after": 2, "agent": "codex", "model": "gpt-5.5"})
    ]
    store.close()
