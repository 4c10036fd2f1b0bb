"""`podium plan` / `podium -g`: the planning-cost line, the command that runs the saved plan,
the schedule shown before asking, and the planning cost recorded on the run it started."""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

import pytest

from podium.planning.planner import Planned, Usage
from podium.plans.loading import parse_plan
from podium.runs.worktrees import state_dir
from podium.store import RunRow, Store
from podium.ui.plancommand import record_coordination, run_command_line, schedule_text, usage_line

from conftest import make_repo

USAGE = Usage("claude", "sonnet", 1, 1200, 340, 0.01234, "agent")
PLAN_TEXT = """\
name: shop
agent: claude
gates: ["python -m pytest -q"]
tasks:
  - id: api
    goal: Add the orders API
  - id: docs
    goal: Document the orders API
    after: [api]
"""


def planned(path: Path) -> Planned:
    return Planned(parse_plan(PLAN_TEXT), PLAN_TEXT, path, USAGE, path.parent)


def test_the_usage_line_says_who_planned_and_what_it_cost() -> None:
    assert usage_line(USAGE) == (
        "planning: claude/sonnet, 1 call, 1200 tokens in, 340 out, $0.0123 (its own figure)"
    )


def test_a_repair_round_and_podiums_prices_are_said_so() -> None:
    usage = replace(USAGE, model=None, calls=2, cost_source="price table")
    line = usage_line(usage)
    assert line.startswith("planning: claude, 2 calls (one repair round), ")
    assert line.endswith("(podium's price table)")


def test_the_run_command_names_the_saved_plan_relative_and_quoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / ".podium" / "plans" / "my plan.yaml"
    line = run_command_line(path)
    assert line == "podium run '.podium/plans/my plan.yaml'"
    assert shlex.split(line)[2] == ".podium/plans/my plan.yaml"


def test_the_schedule_shows_every_task_and_an_estimate(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    text = schedule_text(repo, planned(repo / "plan.yaml"))
    assert "api" in text and "docs" in text
    assert "python -m pytest -q" in text  # the plan's gate
    assert "estimated cost: $" in text


def store_with_run(repo: Path, plan_name: str, created_at: float) -> None:
    state_dir(repo).mkdir(parents=True, exist_ok=True)
    store = Store(state_dir(repo) / "podium.db")
    run = RunRow("r1", plan_name, PLAN_TEXT, "main", "base", "done", 2, "[]", created_at, None)
    store.create_run(run, ["api", "docs"], at=created_at)
    store.close()


def coordination(repo: Path) -> list[dict[str, object]]:
    store = Store(state_dir(repo) / "podium.db")
    try:
        return [e.data for e in store.events("r1") if e.kind == "run.coordination"]
    finally:
        store.close()


def test_the_planning_cost_goes_on_the_run_it_started(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    store_with_run(repo, "shop", created_at=2000.0)
    record_coordination(repo, planned(repo / "plan.yaml"), started=1500.0)
    [data] = coordination(repo)
    assert data["what"] == "planning"
    assert data["cost_usd"] == USAGE.cost_usd and data["calls"] == 1
    assert data["plan"] == str(repo / "plan.yaml")


def test_an_older_run_or_another_plans_run_gets_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    store_with_run(repo, "shop", created_at=1000.0)
    record_coordination(repo, planned(repo / "plan.yaml"), started=1500.0)
    assert coordination(repo) == []
    other = make_repo(tmp_path / "other", {"a.txt": "a\n"})
    store_with_run(other, "something-else", created_at=2000.0)
    record_coordination(other, planned(other / "plan.yaml"), started=1500.0)
    assert coordination(other) == []


def test_no_run_at_all_is_not_an_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    record_coordination(repo, planned(repo / "plan.yaml"), started=1500.0)
