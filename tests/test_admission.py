"""Who may start now: caps, rate limits, fallbacks and the budget, over a real store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from podium.config import Config
from podium.plans.model import Plan, Task
from podium.routing import prices
from podium.runs.engine import RunSetup
from podium.scheduling import lifecycle, scheduler
from podium.scheduling.admission import Admission
from podium.store import Store

Record = Callable[..., object]
NOW = 5000.0
PLAN = Plan(
    "shop",
    (
        Task("api", "x", agent="claude", agents=("codex",), complexity="high"),
        Task("docs", "y", agent="claude", complexity="low"),
    ),
)
PENDING = {"api": lifecycle.PENDING, "docs": lifecycle.PENDING}


def admission(store: Store, budget: float | None = None, **config: object) -> Admission:
    setup = RunSetup(Path("."), "r1", "main", PLAN, Config(**config), (), 2, budget)  # type: ignore[arg-type]
    views = tuple(scheduler.TaskView(t.id, t.after, t.files, agent=t.agent) for t in PLAN.tasks)
    return Admission(setup, store, views)


def test_without_a_budget_nothing_is_estimated(run_store: Store) -> None:
    state = admission(run_store, caps={"claude": 1}).state(PENDING, {}, NOW)
    assert (state.budget_left, state.estimates) == (None, {})
    assert state.agent_caps == {"claude": 1}
    assert state.group_of == {"claude": "anthropic"}


def test_a_rate_limited_agents_tasks_move_to_another_agent_they_may_use(run_store: Store) -> None:
    gate = admission(run_store, fallback=("gemini",))
    gate.quotas.rate_limited("claude", NOW + 60, NOW)
    state = gate.state(PENDING, {}, NOW)
    assert state.agent_for == {"api": "codex", "docs": "gemini"}
    assert state.agent_caps["claude"] == 0
    assert state.group_of == {"codex": "openai", "gemini": "google"}


def test_the_budget_left_counts_what_was_spent_and_what_is_under_way(
    run_store: Store, record_attempt: Record
) -> None:
    record_attempt(run_store, "api", cost_usd=0.5)  # api is running now
    gate = admission(run_store, budget=10.0)
    state = gate.state({"api": lifecycle.RUNNING, "docs": lifecycle.PENDING}, {}, NOW)
    claude_mean = 0.5  # the mean of claude's paid attempts: the guess for each of its tasks
    assert state.estimates == {"docs": claude_mean}
    assert state.budget_left == pytest.approx(10.0 - 0.5 - claude_mean)


def test_with_no_history_a_task_is_priced_by_its_complexity(run_store: Store) -> None:
    estimates = admission(run_store, budget=10.0).estimates({}, {"api", "docs"})
    assert estimates["api"] == prices.estimate("high", None, {}, [])
    assert estimates["api"] > 0


def test_when_stuck_podium_waits_for_a_reset_stops_for_the_budget_or_is_done(
    run_store: Store,
) -> None:
    done = {"api": lifecycle.MERGED, "docs": lifecycle.FAILED}
    assert admission(run_store).stuck(done) == ("done", None)
    assert admission(run_store).stuck(PENDING) == ("done", None)
    assert admission(run_store, budget=1.0).stuck(PENDING) == ("budget", None)
    limited = admission(run_store, budget=1.0)
    limited.quotas.rate_limited("claude", NOW + 90, NOW)
    assert limited.stuck(PENDING) == ("wait", NOW + 90)
