"""Before a new run of a plan: bad --rerun names refused, dead runs settled, git asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.errors import PodiumError
from podium.plans.model import Plan, Task
from podium.runs.converge import prepare
from podium.store import RunRow, Store

from conftest import git

PLAN = Plan("calc", (Task("add", "add add"), Task("mul", "add mul")))


def test_an_unknown_rerun_is_named_before_anything_changes(calc_repo: Path) -> None:
    store = Store(calc_repo / ".podium" / "podium.db")
    with pytest.raises(PodiumError, match=r"--rerun: no task 'sub' in plan 'calc' \(tasks: add"):
        prepare(calc_repo, store, PLAN, "main", ("sub",))
    store.close()


def test_a_new_run_settles_a_dead_one_and_knows_the_plans_last_run(calc_repo: Path) -> None:
    base = git(calc_repo, "rev-parse", "main")
    store = Store(calc_repo / ".podium" / "podium.db")
    store.create_run(
        RunRow("r1", "calc", "", "main", base, "running", 2, "[]", 1000.0, None),
        ["add", "mul"],
        1000.0,
    )
    result, previous = prepare(calc_repo, store, PLAN, "main", ())
    assert previous == "r1"
    assert store.run("r1").status == "interrupted"  # never run over blind
    assert result.before == {"add": "cancelled", "mul": "cancelled"}
    assert result.to_run == ("add", "mul") and result.merged == {}
    assert (
        result.summary("r2", "calc", previous) == "r2 continues plan calc: 2 cancelled → 2 to run"
    )
    store.close()
