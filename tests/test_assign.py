"""Which agent each task uses: the task's, the plan's, its role's, then the default."""

from __future__ import annotations

from podium.plans.model import Plan, Task
from podium.routing import assign

ROLES = {"docs": ("gemini", None), "architecture": ("claude", "claude-opus-4-1")}


def plan(agent: str = "", *tasks: Task) -> Plan:
    return Plan("p", tasks or (Task("a", "A", role="docs"), Task("b", "B")), agent=agent)


def test_precedence_task_then_plan_then_role_then_default() -> None:
    mine = Task("own", "O", role="docs", agent="codex")
    settled, why = assign.assign(plan("", mine, *plan().tasks), ROLES, ["gemini", "claude"])
    got = {c.task: (c.agent, c.why) for c in why}
    assert got["own"] == ("codex", "the task names it")
    assert got["a"] == ("gemini", "[roles] docs")
    assert got["b"] == ("claude", "the default: the first usable agent CLI found")
    assert settled.agent == "claude"
    planned = assign.assign(plan("aider"), ROLES, [])[1]
    assert [(c.agent, c.why) for c in planned] == [("aider", "the plan's agent")] * 2


def test_roles_match_by_name_or_by_the_routers_bucket_and_carry_a_model() -> None:
    assert assign.role_rung("Technical documentation writer", ROLES) == ("docs", ("gemini", None))
    lead = Task("x", "X", role="architecture")
    choice = assign.assign(plan("", lead), ROLES, [])[1][0]
    assert (choice.agent, choice.model) == ("claude", "claude-opus-4-1")
    assert assign.role_rung("frontend", ROLES) is None


def test_the_default_is_the_first_usable_cli_and_auto_may_move_to_the_others() -> None:
    assert assign.default_agent(["aider", "gemini"]) == "gemini"
    assert assign.default_agent([]) == "claude"
    settled = assign.assign(plan("auto", Task("t", "T")), {}, ["gemini", "codex"])[0]
    assert (settled.tasks[0].agent, settled.tasks[0].agents) == ("codex", ("gemini",))
    assert not assign.needs_default(plan("claude"), ROLES)
    assert assign.needs_default(plan(""), ROLES)  # task b has no role entry
    assert not assign.needs_default(plan("", Task("a", "A", role="docs")), ROLES)


def test_settling_twice_changes_nothing() -> None:
    once = assign.assign(plan(), ROLES, ["claude"])[0]
    assert assign.assign(once, ROLES, [])[0] == once
