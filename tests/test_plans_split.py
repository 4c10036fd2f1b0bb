"""plans.split: sub-tasks replace a task in the plan, own only its files, wire its dependents."""

from __future__ import annotations

from podium.plans.model import Plan, Task
from podium.plans.split import apply_split, is_part, problems, within


def plan() -> Plan:
    return Plan(
        "calc",
        (
            Task("base", "b", files=("src/base.py",)),
            Task("api", "a", files=("src/api/**", "README.md"), after=("base",), agent="claude"),
            Task("docs", "d", files=("docs/**",), after=("api", "base")),
        ),
    )


def test_parts_replace_the_task_and_dependents_wait_for_all() -> None:
    parts = [Task("x", "one", files=("src/api/a.py",)), Task("y", "two", after=("x",))]
    new = apply_split(plan(), "api", parts)
    assert [t.id for t in new.tasks] == ["base", "api.1", "api.2", "docs"]
    assert new.task("api.1").after == ("base",) and new.task("api.2").after == ("base", "api.1")
    assert new.task("docs").after == ("api.1", "api.2", "base")
    assert new.task("api.2").agent == "claude"
    assert is_part("api.2") and not is_part("api")


def test_ownership_outside_the_task_is_refused_located() -> None:
    parent = plan().task("api")
    bad = [Task("x", "one", files=("src/api/a.py",)), Task("y", "two", files=("src/**",))]
    assert problems(parent, bad) == [
        "tasks.1 ('y'): files src/** lie outside what 'api' owns (src/api/**, README.md); "
        "a sub-task may own only the task's files"
    ]
    assert problems(parent, bad[:1])[0].startswith("tasks: give 2 to 4 sub-tasks of 'api', not 1")


def test_within() -> None:
    owned = ("src/api/**", "README.md")
    assert within("src/api/deep/x.py", owned) and within("src/api/*.py", owned)
    assert within("src/api/v2/**", owned) and within("README.md", owned)
    assert not within("src/*", ("src/api/*",)) and not within("src/**", ("src/*",))
    assert within("anything", ())
