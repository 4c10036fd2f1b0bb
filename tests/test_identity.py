"""A task's identity across runs: what it asks, not who does it."""

from __future__ import annotations

from podium.plans.identity import digest, identity
from podium.plans.model import Check, Task


def test_a_digest_covers_what_a_task_asks_and_nothing_else() -> None:
    task = Task("add", "add add", files=("calc/add.py",))
    same = Task("add", "add add", files=("calc/add.py",), agent="codex", model="m", priority=1)
    assert digest(task) == digest(same)  # agent, model, priority: the same work
    for changed in (
        Task("add", "add add, documented", files=("calc/add.py",)),
        Task("add", "add add", description="with a docstring", files=("calc/add.py",)),
        Task("add", "add add", files=("calc/add.py", "calc/x.py")),
        Task("add", "add add", files=("calc/add.py",), checks=(Check("path_exists", "x"),)),
    ):
        assert digest(changed) != digest(task)
    assert identity("calc", task) == f"calc/add@{digest(task)}"
    assert len(digest(task)) == 16
