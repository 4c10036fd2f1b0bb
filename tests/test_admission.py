"""Who may start now: caps, rate limits, fallbacks and the budget (pure: what the run spent
and what past attempts cost are handed in)."""

from __future__ import annotations

import pytest

from podium.config import Config
from podium.plans.model import Plan, Task
from podium.routing import prices
from podium.scheduling import lifecycle, scheduler
from podium.scheduling.admission import Admission, Limits

NOW = 5000.0
PLAN = Plan(
    "shop",
    (
        Task("api", "x", agent="claude", agents=("codex",), complexity="high"),
        Task("docs", "y", agent="claude", complexity="low"),
    ),
)
PENDING = {"api": lifecycle.PENDING, "docs": lifecycle.PENDING}


def admission(budget: float | None = None, **config: object) -> Admission:
    limits = Limits(PLAN, Config(**config), 2, budget)  # type: ignore[arg-type]
    views = tuple(scheduler.TaskView(t.id, t.after, t.files, agent=t.agent) for t in PLAN.tasks)
    return Admission(limits, views)


def test_without_a_budget_nothing_is_estimated() -> None:
    state = admission(caps={"claude": 1}).state(PENDING, {}, NOW)
    assert (state.budget_left, state.estimates) == (None, {})
    assert state.agent_caps == {"claude": 1}
    assert state.group_of == {"claude": "anthropic"}


def test_a_rate_limited_agents_tasks_move_to_another_agent_they_may_use() -> None:
    gate = admission(fallback=("gemini",))
    gate.quotas.rate_limited("claude", NOW + 60, NOW)
    state = gate.state(PENDING, {}, NOW)
    assert state.agent_for == {"api": "codex", "docs": "gemini"}
    assert state.agent_caps["claude"] == 0
    assert state.group_of == {"codex": "openai", "gemini": "google"}


def test_the_budget_left_counts_what_was_spent_and_what_is_under_way() -> None:
    gate = admission(budget=10.0)  # api is running now; its attempt has cost 0.5 so far
    running = {"api": lifecycle.RUNNING, "docs": lifecycle.PENDING}
    state = gate.state(running, {}, NOW, spent=0.5, history={"claude": [0.5]})
    claude_mean = 0.5  # the mean of claude's paid attempts: the guess for each of its tasks
    assert state.estimates == {"docs": claude_mean}
    assert state.budget_left == pytest.approx(10.0 - 0.5 - claude_mean)


def test_with_no_history_a_task_is_priced_by_its_complexity() -> None:
    estimates = admission(budget=10.0).estimates({}, {"api", "docs"}, {})
    assert estimates["api"] == prices.estimate("high", None, {}, [])
    assert estimates["api"] > 0


def test_when_stuck_podium_waits_for_a_reset_stops_for_the_budget_or_is_done() -> None:
    done = {"api": lifecycle.MERGED, "docs": lifecycle.FAILED}
    assert admission().stuck(done) == ("done", None)
    assert admission().stuck(PENDING) == ("done", None)
    assert admission(budget=1.0).stuck(PENDING) == ("budget", None)
    limited = admission(budget=1.0)
    limited.quotas.rate_limited("claude", NOW + 90, NOW)
    assert limited.stuck(PENDING) == ("wait", NOW + 90)
