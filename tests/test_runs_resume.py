"""Closing a run whose coordinator died: what git landed is recorded, what was under way is
lost as of its last sign of life, the rest cancelled, the run interrupted (and resumable)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from podium.landing.merge import trailer_message
from podium.runs.resume import close_interrupted
from podium.store import AttemptRow, RunRow, Store

from conftest import git


def test_a_dead_run_is_closed_with_what_git_says_and_its_last_signs_of_life(
    calc_repo: Path, record_attempt: Callable[..., AttemptRow]
) -> None:
    base = git(calc_repo, "rev-parse", "main")
    store = Store(calc_repo / ".podium" / "podium.db")
    run = RunRow("r1", "calc", "", "main", base, "running", 2, "[]", 1000.0, None)
    store.create_run(run, ["add", "mul", "div"], 1000.0)
    record_attempt(store, "add")  # its work landed, the store never heard
    (calc_repo / "add.py").write_text("def add(a, b): return a + b\n")
    git(calc_repo, "add", "add.py")
    git(calc_repo, "commit", "-qm", trailer_message("add", "", "r1", "add", 1))
    record_attempt(store, "mul")  # under way: lost at its log's last write
    log = calc_repo / ".podium" / "logs" / "r1" / "mul" / "a1.log"
    log.parent.mkdir(parents=True)
    log.write_text("working\n")
    os.utime(log, (1200.0, 1200.0))

    close_interrupted(calc_repo, store, store.run("r1"))

    tasks = {t.task_id: t for t in store.tasks("r1")}
    assert tasks["add"].state == "merged"
    assert tasks["add"].merged_commit == git(calc_repo, "rev-parse", "main")
    assert (tasks["mul"].state, tasks["div"].state) == ("cancelled", "cancelled")
    lost = store.attempts("r1", "mul")[0]
    assert (lost.outcome, lost.finished_at) == ("lost", 1200.0)
    closed = store.run("r1")
    assert (closed.status, closed.finished_at) == ("interrupted", 1200.0)
    store.close()
