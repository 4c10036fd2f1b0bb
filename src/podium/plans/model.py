"""A plan: named tasks with goals, owned files, dependencies and checks. Pure data.

`podium.plans.loading` reads a plan file into these frozen dataclasses; `dump_plan` writes
one back in podium's format.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

CheckKind = Literal["path_exists", "glob_exists", "file_contains", "command"]

DEFAULT_AGENTS = ("command", "claude", "codex", "gemini", "aider", "opencode", "qwen", "copilot")
MINUTES = {"low": 10.0, "medium": 20.0, "high": 40.0}
# Ways to make the checks pass by weakening them; a task may `allow` some (docs/verification.md).
EVASIONS = (
    "remove-tests",
    "disable-tests",
    "weaken-assertions",
    "empty-files",
    "change-config",
    "add-suppressions",
    "untested-changes",
)


@dataclass(frozen=True)
class Check:
    """One machine-checkable sign that a task is done."""

    kind: CheckKind
    path: str = ""  # path_exists, file_contains; the glob for glob_exists
    text: str = ""  # file_contains
    run: str = ""  # command: a command line, split with shlex, run without a shell


@dataclass(frozen=True)
class Task:
    id: str
    goal: str
    description: str = ""
    files: tuple[str, ...] = ()  # owned paths, globs
    after: tuple[str, ...] = ()  # dependency ids
    priority: int = 2  # 1 most urgent .. 5 least
    role: str = ""
    complexity: str = "medium"  # low | medium | high
    estimated_minutes: float | None = None
    agent: str = ""  # resolved: the task's own agent, else the plan's
    model: str | None = None
    command: tuple[str, ...] = ()  # argv template, only for agent "command"
    checks: tuple[Check, ...] = ()
    budget_usd: float | None = None
    agents: tuple[str, ...] = ()  # other agents the task may move to (rate limits, quotas)
    allow: tuple[str, ...] = ()  # evasion classes this task may commit (EVASIONS)


@dataclass(frozen=True)
class Plan:
    name: str
    tasks: tuple[Task, ...]
    agent: str = ""  # "" or "auto" until routing.assign settles each task's agent
    max_parallel: int | None = None  # None: podium.toml decides (default 4)
    gates: tuple[str, ...] | None = None  # None = use podium.toml's gates
    description: str = ""
    constraints: tuple[str, ...] = ()  # sentences added to every task's prompt
    budget_usd: float | None = None
    source: str = ""  # file path or "<string>"
    notes: tuple[str, ...] = ()  # e.g. "plan.yaml:7: key 'scope' is ignored by podium"

    def task(self, task_id: str) -> Task:
        found = self._by_id.get(task_id)
        if found is None:
            raise KeyError(f"no task '{task_id}' in plan '{self.name}'")
        return found

    @cached_property
    def _by_id(self) -> dict[str, Task]:
        """Task id -> task (the first of that id), built on the first lookup: a run looks
        tasks up by id once per event, and a scan would cost as much as the plan is long."""
        return {t.id: t for t in reversed(self.tasks)}

    def deps(self) -> dict[str, tuple[str, ...]]:
        """Task id -> the ids it runs after, in plan order."""
        return {task.id: task.after for task in self.tasks}


def estimate_minutes(task: Task) -> float:
    """The task's own estimate, else one from its complexity (low 10, medium 20, high 40)."""
    if task.estimated_minutes is not None:
        return task.estimated_minutes
    return MINUTES.get(task.complexity, MINUTES["medium"])


def dump_plan(plan: Plan) -> str:
    """The plan in podium's format; `parse_plan` reads it back to an equal plan."""
    import yaml

    top: dict[str, Any] = {"name": plan.name, "agent": plan.agent}
    _put(top, "max_parallel", plan.max_parallel, None)
    if plan.gates is not None:
        top["gates"] = list(plan.gates)
    _put(top, "description", plan.description, "")
    _put(top, "constraints", list(plan.constraints), [])
    _put(top, "budget_usd", _number(plan.budget_usd), None)
    top["tasks"] = [_dump_task(task, plan.agent) for task in plan.tasks]
    return yaml.safe_dump(top, sort_keys=False, allow_unicode=True, width=100)


def _dump_task(task: Task, plan_agent: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": task.id, "goal": task.goal}
    _put(out, "description", task.description, "")
    _put(out, "files", list(task.files), [])
    _put(out, "after", list(task.after), [])
    _put(out, "priority", task.priority, 2)
    _put(out, "role", task.role, "")
    _put(out, "complexity", task.complexity, "medium")
    _put(out, "estimated_minutes", _number(task.estimated_minutes), None)
    _put(out, "agent", task.agent, plan_agent)
    _put(out, "model", task.model, None)
    _put(out, "command", list(task.command), [])
    _put(out, "checks", [_dump_check(check) for check in task.checks], [])
    _put(out, "budget_usd", _number(task.budget_usd), None)
    _put(out, "agents", list(task.agents), [])
    _put(out, "allow", list(task.allow), [])
    return out


def _dump_check(check: Check) -> dict[str, Any]:
    if check.kind == "file_contains":
        return {"file_contains": {"path": check.path, "text": check.text}}
    return {check.kind: check.run if check.kind == "command" else check.path}


def _put(out: dict[str, Any], key: str, value: object, default: object) -> None:
    if value != default:
        out[key] = value


def _number(value: float | None) -> float | int | None:
    if value is not None and float(value).is_integer():
        return int(value)
    return value
