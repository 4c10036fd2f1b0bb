"""The store on a real SQLite file: transitions with their events, versions, refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from podium.errors import StateError
from podium.scheduling import lifecycle
from podium.store import AttemptRow, RunRow, Store


def new_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "podium.db")
    store.create_run(
        RunRow("r1", "p", "", "main", "abc", "running", 2, "[]", 1.0, None), ["a", "b"], 1.0
    )
    return store


def attempt(task: str, n: int = 1) -> AttemptRow:
    return AttemptRow(
        "r1",
        task,
        n,
        "command",
        None,
        f"podium/r1/{task}/a{n}",
        "/wt",
        "abc",
        None,
        None,
        None,
        2.0,
        None,
        None,
        None,
        "",
        0,
        0,
        0.0,
    )


def test_wal_mode_and_tasks_in_plan_order(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [t.task_id for t in store.tasks("r1")] == ["a", "b"]
    assert {t.state for t in store.tasks("r1")} == {lifecycle.PENDING}


def test_each_transition_bumps_version_and_writes_one_event(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.start_attempt(attempt("a"))
    store.transition("r1", "a", lifecycle.VERIFYING, 3.0)
    row = store.transition("r1", "a", lifecycle.FAILED, 4.0, reason="gate failed")
    assert (row.state, row.version, row.attempts, row.reason) == ("failed", 3, 1, "gate failed")
    states = [e.data["to"] for e in store.events("r1") if e.kind == "task.state"]
    assert states == ["running", "verifying", "failed"]
    assert len([e for e in store.events("r1") if e.task_id == "a"]) == row.version


def test_forbidden_transition_changes_nothing(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    events_before = len(store.events("r1"))
    with pytest.raises(StateError, match="pending -> verifying is not allowed"):
        store.transition("r1", "a", lifecycle.VERIFYING, 2.0)
    assert store.tasks("r1")[0].version == 0
    assert len(store.events("r1")) == events_before


def test_a_second_connection_sees_committed_state(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.start_attempt(attempt("b"))
    other = sqlite3.connect(tmp_path / "podium.db")
    assert other.execute("SELECT state FROM tasks WHERE task_id='b'").fetchone() == ("running",)
    assert other.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_unknown_run_lists_the_known_ones(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    with pytest.raises(StateError, match=r"no run 'r9' \(known: r1\)"):
        store.run("r9")
    assert store.run().id == "r1"


def test_reopening_keeps_everything(tmp_path: Path) -> None:
    new_store(tmp_path).close()
    again = Store(tmp_path / "podium.db")
    assert again.run("r1").target == "main"
