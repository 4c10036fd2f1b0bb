"""Rate limits and caps as pure decisions: cooldown, moves to allowed agents, the ramp back."""

from __future__ import annotations

import pytest

from podium.plans.model import Task
from podium.routing import prices
from podium.scheduling import scheduler
from podium.scheduling.quotas import RAMP_STEP, Quotas

TASKS = (
    Task("a", "a", agent="claude", agents=("codex",)),
    Task("b", "b", agent="claude"),
    Task("c", "c", agent="gemini"),
)


def test_cooldown_moves_only_tasks_that_allow_another_agent() -> None:
    q = Quotas({}, fallback=())
    q.rate_limited("claude", reset_at=1_000.0, now=900.0)
    assert q.agent_caps(now=950.0, max_parallel=4)["claude"] == 0
    assert q.moves(TASKS, {"a", "b", "c"}) == {"a": "codex"}
    q.fallback = ("gemini",)
    assert q.moves(TASKS, {"a", "b", "c"}) == {"a": "codex", "b": "gemini"}


def test_unknown_or_stale_reset_rests_for_the_cooldown() -> None:
    q = Quotas({}, cooldown=30.0)
    assert q.rate_limited("codex", reset_at=None, now=100.0) == 130.0
    assert q.rate_limited("gemini", reset_at=50.0, now=100.0) == 130.0  # already past


def test_the_agent_comes_back_one_slot_at_a_time() -> None:
    q = Quotas({"claude": 3})
    q.rate_limited("claude", reset_at=100.0, now=0.0)
    assert q.agent_caps(now=100.0, max_parallel=8)["claude"] == 1
    assert q.agent_caps(now=100.0 + RAMP_STEP, max_parallel=8)["claude"] == 2
    assert q.agent_caps(now=100.0 + 10 * RAMP_STEP, max_parallel=8)["claude"] == 3  # its cap
    assert q.agent_caps(now=100.0 + 20 * RAMP_STEP, max_parallel=8) == {"claude": 3}
    assert q.next_reset() is None


def test_scheduler_respects_budget_caps_and_moves() -> None:
    views = tuple(scheduler.TaskView(t, (), (), agent="claude") for t in ("x", "y", "z"))
    base = scheduler.SchedState(views, {}, 3)
    assert [s.task for s in scheduler.decide(base)] == ["x", "y", "z"]
    tight = scheduler.SchedState(views, {}, 3, budget_left=1.0, estimates=dict.fromkeys("xyz", 0.4))
    assert [s.task for s in scheduler.decide(tight)] == ["x", "y"]
    capped = scheduler.SchedState(
        views, {}, 3, agent_caps={"claude": 1, "codex": 1}, agent_for={"y": "codex"}
    )
    assert [s.task for s in scheduler.decide(capped)] == ["x", "y"]
    grouped = scheduler.SchedState(
        views,
        {},
        3,
        agent_for={"y": "codex"},
        group_of={"claude": "p", "codex": "p"},
        group_caps={"p": 2},
    )
    assert [s.task for s in scheduler.decide(grouped)] == ["x", "y"]


def test_estimates_use_history_else_the_price_table() -> None:
    assert prices.estimate("low", "claude-sonnet-4-5", {}, [0.2, 0.4]) == pytest.approx(0.3)
    guess = prices.estimate("medium", "claude-sonnet-4-5", {}, [])
    assert guess == pytest.approx((60_000 * 3 + 6_000 * 15) / 1e6)
    assert prices.estimate("high", None, {}, []) > guess


def test_a_limit_rests_every_agent_on_the_same_account() -> None:
    from podium.config import AgentConfig, Config, account_of

    config = Config(
        agents={
            "claude": AgentConfig(api_key_env="TEAM_KEY"),
            "opencode": AgentConfig(provider="anthropic", api_key_env="TEAM_KEY"),
            "gemini": AgentConfig(api_key_env="TEAM_KEY"),
        }
    )
    accounts = {a: account_of(a, config) for a in ("claude", "opencode", "gemini", "codex")}
    assert accounts["claude"] == accounts["opencode"] == "anthropic:TEAM_KEY"
    q = Quotas({}, accounts=accounts)
    q.rate_limited("opencode", 500.0, now=100.0)
    assert q.cooling == {"opencode": 500.0, "claude": 500.0}  # gemini: another provider
    assert q.agent_caps(now=200.0, max_parallel=4) == {"opencode": 0, "claude": 0}
