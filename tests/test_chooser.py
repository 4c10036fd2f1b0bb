"""The engine's side of routing: which agent and model each attempt gets, and what is learned."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from podium.config import AgentConfig, Config
from podium.plans.model import Task
from podium.routing.chooser import Routing
from podium.routing.router import load_policy

LOW = Task("fix", "Fix a typo", agent="claude", complexity="low")


def routing(tmp_path: Path, mode: str = "cascade", **config: object) -> Routing:
    return Routing(Config(**config), mode, tmp_path / "routing" / "policy.json")  # type: ignore[arg-type]


def test_routing_off_runs_the_task_as_written(tmp_path: Path) -> None:
    assert routing(tmp_path, "off").pick(LOW, failures=0) == (LOW, None)


def test_a_model_pinned_in_podium_toml_is_not_routed(tmp_path: Path) -> None:
    pinned = routing(tmp_path, agents={"claude": AgentConfig(model="claude-opus-4-1")})
    assert pinned.pick(LOW, failures=0) == (LOW, None)


def test_the_cascade_gives_a_low_complexity_task_the_small_tier(tmp_path: Path) -> None:
    task, choice = routing(tmp_path).pick(LOW, failures=0)
    assert (task.agent, task.model) == ("claude", "claude-haiku-4-5")
    assert choice is not None and choice.policy == "cascade"


def test_a_failed_attempt_climbs_one_tier_then_stays_at_the_top(tmp_path: Path) -> None:
    r = routing(tmp_path)
    models = [r.pick(LOW, failures=n)[0].model for n in range(4)]
    assert models == ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1", "claude-opus-4-1"]


def test_with_a_retry_ladder_podium_toml_decides_escalation_not_the_router(tmp_path: Path) -> None:
    r = routing(tmp_path, ladder=(("codex", None),))
    models = [r.pick(LOW, failures=n)[0].model for n in range(2)]
    assert models == ["claude-haiku-4-5", "claude-haiku-4-5"]


def test_the_cascade_keeps_to_the_tasks_own_agent(tmp_path: Path) -> None:
    task, _ = routing(tmp_path).pick(
        Task("x", "y", agent="claude", agents=("codex",), complexity="high"), failures=0
    )
    assert (task.agent, task.model) == ("claude", "claude-opus-4-1")


def test_bandit_mode_saves_what_it_learned_from_a_merged_attempt(tmp_path: Path) -> None:
    r = routing(tmp_path, "bandit")
    r.pick(LOW, failures=0)
    r.learn("fix", merged=True, cost_usd=0.01)
    saved = json.loads((tmp_path / "routing" / "policy.json").read_text())
    assert saved["arms"]["claude/claude-haiku-4-5"]["n"] == 1
    assert load_policy(r.path).total == 1


def test_cascade_mode_and_pinned_models_learn_nothing(tmp_path: Path) -> None:
    r = routing(tmp_path)
    r.pick(LOW, failures=0)
    r.learn("fix", merged=True, cost_usd=0.01)
    bandit = routing(tmp_path, "bandit")
    bandit.pick(Task("p", "q", agent="claude", model="claude-opus-4-1"), failures=0)
    bandit.learn("p", merged=True, cost_usd=0.01)
    bandit.learn("never-picked", merged=True, cost_usd=0.01)
    assert not (tmp_path / "routing").exists()


DOCS = Task("guide", "Write the guide", agent="claude", role="Documentation", complexity="low")


def test_a_roles_entry_picks_its_agents_model_in_every_mode(tmp_path: Path) -> None:
    """The run settled the task on the role's agent (routing.assign); each attempt then takes
    the model the role's entry says, whatever the routing mode."""
    for mode in ("off", "cascade", "bandit"):
        r = routing(tmp_path, mode, roles={"docs": ("codex", None)})
        task, choice = r.pick(replace(DOCS, agent="codex"), failures=0)
        assert (task.agent, task.model) == ("codex", "gpt-5-mini")  # the bucket "docs" matches
        assert choice is not None and choice.policy == "role"
        assert "[roles] docs = 'codex' in podium.toml" in choice.reason


def test_a_task_settled_on_another_agent_keeps_it(tmp_path: Path) -> None:
    r = routing(tmp_path, "off", roles={"docs": ("codex", None)})
    task, choice = r.pick(DOCS, failures=0)  # the task (or its plan) named claude: it wins
    assert (task.agent, choice) == ("claude", None)


def test_a_roles_entry_with_a_model_runs_that_model_and_escalates_after_a_failure(
    tmp_path: Path,
) -> None:
    r = routing(tmp_path, roles={"documentation": ("claude", "claude-haiku-4-5")})
    assert r.pick(DOCS, failures=0)[0].model == "claude-haiku-4-5"
    assert r.pick(DOCS, failures=1)[0].model == "claude-sonnet-4-5"


def test_a_model_the_plan_names_wins_over_roles(tmp_path: Path) -> None:
    pinned = Task("guide", "g", agent="claude", role="docs", model="claude-opus-4-1")
    task, choice = routing(tmp_path, roles={"docs": ("codex", None)}).pick(pinned, failures=0)
    assert (task.agent, task.model) == ("claude", "claude-opus-4-1")
    assert choice is not None and choice.policy == "pinned"
