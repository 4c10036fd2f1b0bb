"""`podium cost` and `podium explain` over a real store: where the money went, why that model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from podium import api
from podium.plans.model import Task
from podium.routing import router
from podium.runs.views import RunRecord
from podium.scheduling import lifecycle
from podium.store import RunRow, Store
from podium.ui.money import cost_command, cost_data, cost_text, explain_command

Record = Callable[..., object]
COORDINATION = {"cost_usd": 0.5, "input_tokens": 7000, "output_tokens": 300}


def spend(store: Store, record: Record) -> None:
    """api: a cheap attempt, then a dear one; docs: one on codex; the planner's call apart."""
    record(store, "api", 1, model="claude-haiku-4-5", cost_usd=0.25, input_tokens=1000)
    store.transition("r1", "api", lifecycle.PENDING, 1002.0, reason="retry")
    record(store, "api", 2, model="claude-opus-4-1", cost_usd=1.5, output_tokens=1100)
    record(store, "docs", 1, agent="codex", cost_usd=0.25, input_tokens=500)
    store.add_event("r1", None, 1000.0, "run.coordination", COORDINATION)


def test_costs_by_task_agent_and_model_with_the_planner_apart(
    run_store: Store, record_attempt: Record
) -> None:
    spend(run_store, record_attempt)
    run_store.set_budget("r1", 3.0, 1000.0)
    data = cost_data(record_of(run_store, None))
    api_row = {"attempts": 2, "input_tokens": 1000, "output_tokens": 1100, "cost_usd": 1.75}
    assert data["by_task"]["api"] == api_row
    assert {k: v["cost_usd"] for k, v in data["by_agent"].items()} == {
        "claude": 1.75,
        "codex": 0.25,
    }
    assert set(data["by_model"]) == {"claude-haiku-4-5", "claude-opus-4-1", "-"}
    assert data["coordination"] == {"calls": 1, **COORDINATION}
    assert (data["work_usd"], data["total_usd"], data["budget_left_usd"]) == (2.0, 2.5, 0.5)


def test_the_cost_text_a_person_reads(run_store: Store, record_attempt: Record) -> None:
    spend(run_store, record_attempt)
    lines = cost_text(cost_data(record_of(run_store, "r1"))).splitlines()
    assert lines[:3] == [
        "run r1: $2.5000 in all (agents $2.0000, coordination $0.5000)",
        "by task:",
        f"  {'api':<28} 2 att.       1,000 in     1,100 out  $1.7500",
    ]
    assert not any(line.startswith("budget") for line in lines)
    run_store.set_budget("r1", 2.0, 1000.0)
    assert (
        cost_text(cost_data(record_of(run_store, "r1"))).splitlines()[1]
        == "budget $2.0000, left $-0.5000"
    )


@pytest.fixture
def repo_store(in_repo: Path) -> Store:
    """The store `podium cost` and `podium explain` read, with a finished run 'r9'."""
    store = api.open_store(in_repo)
    store.create_run(RunRow("r9", "p", "", "main", "b", "done", 1, "[]", 5.0, 6.0), ["api"], 5.0)
    return store


def test_podium_cost_prints_the_latest_run(repo_store: Store, record_attempt: Record) -> None:
    record_attempt(repo_store, "api", cost_usd=0.125)
    repo_store.close()
    done = CliRunner().invoke(cost_command, ["--json"])
    assert done.exit_code == 0 and '"total_usd": 0.125' in done.output


def test_podium_explain_shows_each_attempts_routing_decision(repo_store: Store) -> None:
    task = Task("api", "x", agent="claude", complexity="low")
    choice = router.route(task, router.new_policy(), router.arms_for(["claude"]))
    data = {"attempt": 1, **router.choice_json(choice)}
    repo_store.add_event("r9", "api", 6.0, "task.routed", data)
    repo_store.close()
    done = CliRunner().invoke(explain_command, ["api"])
    assert done.exit_code == 0
    assert done.output.splitlines()[:2] == [
        "attempt 1:",
        "claude/claude-haiku-4-5, small tier, chosen by the cascade policy",
    ]


def test_podium_explain_of_an_unrouted_task_says_why_there_is_nothing(repo_store: Store) -> None:
    repo_store.close()
    done = CliRunner().invoke(explain_command, ["api"])
    assert str(done.exception).startswith("no routing decision recorded for task 'api' in run r9")


def record_of(store: Store, run_id: str | None) -> RunRecord:
    """The rows as stored (no coordinator check: these runs were never really started)."""
    run = store.run(run_id)
    rows = (store.tasks(run.id), store.attempts(run.id), store.events(run.id))
    return RunRecord(run, tuple(rows[0]), tuple(rows[1]), tuple(rows[2]))
