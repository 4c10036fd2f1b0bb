"""What a plan will likely cost before it runs: which model, which price, which history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from podium.config import AgentConfig, Config
from podium.planning.estimate import TaskCost, estimate, model_of, past_costs
from podium.plans.model import Plan, Task, dump_plan
from podium.scheduling import lifecycle
from podium.store import RunRow, Store
from podium.ui.render import estimate_text

Record = Callable[..., object]


def test_the_model_is_the_plans_then_podium_tomls_then_the_cascades() -> None:
    pinned = Config(agents={"claude": AgentConfig(model="claude-opus-4-1")})
    low = Task("a", "x", agent="claude", complexity="low")
    assert model_of(low, Config()) == "claude-haiku-4-5"
    assert model_of(low, pinned) == "claude-opus-4-1"
    assert model_of(Task("a", "x", agent="claude", model="my-model"), pinned) == "my-model"


def test_one_past_attempt_is_named_in_the_singular() -> None:
    plan = Plan("p", (Task("a", "x", agent="codex", complexity="high"),))
    (cost,) = estimate(plan, Config(), {("codex", "high"): [0.4]})
    assert (cost.usd, cost.basis) == (0.4, "average of 1 past attempt")


def test_the_estimate_text_totals_one_attempt_per_task() -> None:
    items = [
        TaskCost("api", "claude", "claude-sonnet-4-5", 0.5, "price table"),
        TaskCost("tool", "command", None, 0.0, "no model"),
    ]
    assert estimate_text(items).splitlines() == [
        "estimated cost: $0.50 (one attempt per task)",
        f"  {'api':<24} $0.50  claude/claude-sonnet-4-5 (price table)",
        f"  {'tool':<24} $0.00  command (no model)",
    ]


def test_past_costs_count_finished_attempts_only_and_at_most_runs_runs(
    tmp_path: Path, record_attempt: Record
) -> None:
    store = Store(tmp_path / "podium.db")
    plan = Plan("p", (Task("api", "x", complexity="high"), Task("docs", "y")))
    for i, run_id in enumerate(("old", "new")):
        row = RunRow(run_id, "p", dump_plan(plan), "main", "b", "done", 1, "[]", 10.0 * i, None)
        store.create_run(row, ["api", "docs"], 10.0 * i)
    record_attempt(store, "api", finished_at=11.0, cost_usd=0.75)  # run "new": the latest
    store.transition("new", "api", lifecycle.PENDING, 12.0)
    record_attempt(store, "api", 2, finished_at=13.0, cost_usd=0.25)
    record_attempt(store, "docs", agent="codex", cost_usd=9.0)  # still running: not counted
    store.close()
    db = tmp_path / "podium.db"
    assert past_costs(db) == {("claude", "high"): [0.75, 0.25]}
    assert past_costs(db, runs=0) == {}
