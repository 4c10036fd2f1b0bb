"""What `podium split TASK` refuses, each with its reason, before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.api.splits import check
from podium.errors import PodiumError, StateError
from podium.scheduling import lifecycle
from podium.store import RunRow, Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "podium.db")
    run = RunRow("r1", "calc", "", "main", "b", "finished", 2, "[]", 1000.0, 1100.0)
    store.create_run(run, ["add", "api", "api.1", "docs"], 1000.0, {"add": ("c0ffee1234", "x")})
    for task in ("api", "api.1"):
        store.transition("r1", task, lifecycle.CANCELLED, 1001.0)
    return store


def test_a_stopped_task_may_be_split_and_the_rest_is_named(store: Store) -> None:
    run = store.run("r1")
    check(store, run, "api", None)  # cancelled: splittable
    cases = [
        ("api", "nope", PodiumError, "--agent: unknown agent 'nope'"),
        ("api", "command", PodiumError, "--agent command runs a program, not a model"),
        ("zzz", None, StateError, r"no task 'zzz' in run r1 \(tasks: add, api, api.1, docs\)"),
        ("add", None, StateError, r"already merged \(c0ffee1234\): there is nothing to split"),
        ("api.1", None, StateError, "is a sub-task of a split: sub-tasks do not split again"),
        ("docs", None, StateError, "is pending: only a failed, blocked or cancelled task"),
    ]
    for task, agent, error, said in cases:
        with pytest.raises(error, match=said):
            check(store, run, task, agent)
    assert [e.kind for e in store.events("r1") if e.kind.startswith("task.split")] == []
    store.close()
