"""Which agent each task uses, and why: the task's, the plan's, its role's, or the default.

Precedence (docs/failures.md, "Agents by role"): the agent a task names, then the plan's
`agent`, then `[roles]` in podium.toml (a role is matched by name, else by the router's role
bucket: `docs` covers "documentation writer"), then the default, which is the first usable
agent CLI found installed (`claude` when nothing could be asked). `agent: auto` in the plan
skips the plan's own choice: each task goes by its role, else the default, and may move to
any other usable agent when its own is rate limited. Pure: what is usable is handed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from podium.plans.model import Plan, Task
from podium.routing.router import role_bucket

AUTO = "auto"
PREFERENCE = ("claude", "codex", "gemini", "qwen", "opencode", "copilot", "aider")
Rung = tuple[str, str | None]  # (agent, model)


@dataclass(frozen=True)
class Choice:
    task: str
    agent: str
    model: str | None
    why: str


def default_agent(usable: Sequence[str]) -> str:
    """The first usable agent CLI in podium's order of preference, else `claude`."""
    found = [name for name in PREFERENCE if name in usable]
    found += sorted(n for n in usable if n not in PREFERENCE and n != "command")
    return found[0] if found else "claude"


def role_rung(role: str, roles: Mapping[str, Rung]) -> tuple[str, Rung] | None:
    """The `[roles]` entry for a task's role: by its name, else by its bucket."""
    if not role or not roles:
        return None
    name = role.strip().lower()
    if name in roles:
        return name, roles[name]
    bucket = role_bucket(role)
    return (bucket, roles[bucket]) if bucket in roles else None


def needs_default(plan: Plan, roles: Mapping[str, Rung]) -> bool:
    """Does some task fall through to the default agent (so the installed CLIs are asked)?"""
    if plan.agent not in ("", AUTO):
        return False
    return plan.agent == AUTO or any(
        task.agent in ("", AUTO) and role_rung(task.role, roles) is None for task in plan.tasks
    )


def assign(
    plan: Plan, roles: Mapping[str, Rung], usable: Sequence[str]
) -> tuple[Plan, tuple[Choice, ...]]:
    """The plan with every task's agent settled, and the reason for each choice."""
    tasks, choices = [], []
    for task in plan.tasks:
        settled, why = _choose(plan, task, roles, usable)
        tasks.append(settled)
        choices.append(Choice(task.id, settled.agent, settled.model, why))
    agent = plan.agent if plan.agent not in ("", AUTO) else default_agent(usable)
    return replace(plan, tasks=tuple(tasks), agent=agent), tuple(choices)


def _choose(
    plan: Plan, task: Task, roles: Mapping[str, Rung], usable: Sequence[str]
) -> tuple[Task, str]:
    own = task.agent not in ("", AUTO) and task.agent != plan.agent
    if own:
        return task, "the task names it"
    if plan.agent not in ("", AUTO):
        return replace(task, agent=plan.agent), "the plan's agent"
    found = role_rung(task.role, roles)
    if found is not None:
        key, (agent, model) = found
        return replace(task, agent=agent, model=task.model or model), f"[roles] {key}"
    agent = default_agent(usable)
    if plan.agent == AUTO:
        others = tuple(a for a in usable if a not in (agent, "command", *task.agents))
        why = f"agent: auto, first usable of {', '.join(usable) or 'none'}"
        return replace(task, agent=agent, agents=(*task.agents, *others)), why
    if agent in usable:
        return replace(task, agent=agent), "the default: the first usable agent CLI found"
    return replace(task, agent=agent), "the default (no usable agent CLI found)"
