"""A run's set-up hands the scheduler exactly the limits it was started with."""

from __future__ import annotations

from pathlib import Path

from podium.config import Config
from podium.plans.model import Plan, Task
from podium.runs.setup import RunSetup


def test_limits_are_the_runs_own() -> None:
    plan = Plan("p", (Task("a", "g"),))
    config = Config(max_parallel=9)
    setup = RunSetup(Path("."), "r1", "main", plan, config, (), 3, budget=2.5)
    limits = setup.limits()
    assert (limits.plan, limits.config, limits.max_parallel, limits.budget) == (
        plan, config, 3, 2.5,
    )  # fmt: skip
