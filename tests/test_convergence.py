"""What a new run of a plan starts from: pure decisions over identities git found."""

from __future__ import annotations

from podium.plans.identity import identity
from podium.plans.model import Plan, Task
from podium.scheduling.convergence import Landed, converge

PLAN = Plan(
    "calc",
    (
        Task("add", "add add", files=("calc/add.py",)),
        Task("mul", "add mul", files=("calc/mul.py",)),
        Task("div", "add div", files=("calc/div.py",)),
        Task("mean", "add mean", files=("calc/mean.py",), after=("div",)),
    ),
)
ON_MAIN = {
    identity("calc", PLAN.task("add")): Landed("a" * 40, "r1"),
    identity("calc", PLAN.task("mul")): Landed("b" * 40, "r1"),
}


def test_what_is_on_the_target_starts_merged_and_the_rest_runs() -> None:
    before = {"add": "merged", "mul": "merged", "div": "failed", "mean": "blocked"}
    result = converge(PLAN, ON_MAIN, before)
    assert set(result.merged) == {"add", "mul"}
    assert result.to_run == ("div", "mean")
    assert result.reason("add", "main") == "already on main (from r1, aaaaaaaaaa)"
    assert (
        result.summary("r2", "calc", "r1")
        == "r2 continues plan calc: 2 already merged, 1 failed before, 1 blocked → 2 to run"
    )


def test_a_first_run_says_nothing_unless_something_is_already_there() -> None:
    assert converge(PLAN, {}, {}).summary("r1", "calc", None) == ""
    landed = converge(PLAN, ON_MAIN, {})
    assert landed.summary("r1", "calc", None) == "r1 runs plan calc: 2 already merged → 2 to run"


def test_a_changed_task_and_a_forced_one_run_again() -> None:
    changed = Plan("calc", (Task("add", "add add, typed", files=("calc/add.py",)), *PLAN.tasks[1:]))
    before = dict.fromkeys(("add", "mul", "div", "mean"), "merged")
    result = converge(changed, ON_MAIN, before)
    assert result.to_run == ("add", "div", "mean")
    assert "1 already merged, 3 new or changed → 3 to run" in result.summary("r2", "calc", "r1")
    assert converge(PLAN, ON_MAIN, {}, rerun=("mul",)).to_run == ("mul", "div", "mean")
    assert converge(PLAN, ON_MAIN, {}, rerun=("all",)).merged == {}


def test_the_same_task_of_another_plan_is_other_work() -> None:
    other = Plan("other", PLAN.tasks)
    assert converge(other, ON_MAIN, {}).merged == {}
