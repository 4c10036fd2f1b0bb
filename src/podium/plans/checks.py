"""What a plan means, checked: ids, goals, files, agents, commands, dependencies, cycles.

Works on the built `Plan` for both formats. `at` turns a podium-format path such as
`("tasks", 2, "files", 0)` into the place in the user's file, so each message is
`file:line:col: what is wrong`. Every problem is collected; none stops the others.
"""

from __future__ import annotations

import difflib
import re
import shlex
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass

from podium.plans.globs import validate as glob_problem
from podium.plans.graph import find_cycle
from podium.plans.model import EVASIONS, Check, Plan, Task
from podium.plans.yamlpos import Loc, Pos

Locate = Callable[[Loc], Pos]
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*(?:\.[0-9]+)*")  # `api.1`: a split's sub-task
ID_MAX = 64
COMPLEXITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Built:
    """A plan as read from one format, with the way back to the file for messages."""

    plan: Plan
    at: Locate
    notes: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # found while building; `check_plan` adds the rest


def slug(text: str, limit: int = 40) -> str:
    """ "Add JWT auth (v2)" -> "add-jwt-auth-v2": lowercase ASCII, runs of others -> '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return out[:limit].rstrip("-")


def check_plan(plan: Plan, agents: Collection[str], at: Locate) -> list[str]:
    """Every problem in the plan, most fundamental first, one located message each."""
    errors = _check_top(plan, agents, at)
    first_line: dict[str, int] = {}
    for i, task in enumerate(plan.tasks):
        errors += _check_task(plan, i, task, agents, at, first_line)
    errors += _check_after(plan, at)
    return errors


def _check_top(plan: Plan, agents: Collection[str], at: Locate) -> list[str]:
    errors = []
    if plan.agent not in ("", "auto") and plan.agent not in agents:
        errors.append(f"{at(('agent',))}: {_unknown_agent(plan.agent, agents)}")
    if plan.max_parallel is not None and plan.max_parallel < 1:
        errors.append(f"{at(('max_parallel',))}: max_parallel must be at least 1")
    if plan.budget_usd is not None and plan.budget_usd <= 0:
        errors.append(f"{at(('budget_usd',))}: budget_usd must be more than 0")
    for k, gate in enumerate(plan.gates or ()):
        if not gate.strip():
            errors.append(f"{at(('gates', k))}: gate {k + 1} is empty; give a command line")
    if not plan.tasks:
        errors.append(f"{at(('tasks',))}: the plan has no tasks; add at least one under 'tasks'")
    return errors


def _check_task(
    plan: Plan, i: int, task: Task, agents: Collection[str], at: Locate, first: dict[str, int]
) -> list[str]:
    def err(field: str | int, text: str, *more: str | int) -> None:
        errors.append(f"{at(('tasks', i, field, *more))}: task '{task.id}' {text}")

    errors: list[str] = []
    _check_id(task.id, at(("tasks", i, "id")), first, errors)
    if not task.goal.strip():
        err("goal", "has an empty goal; say in one sentence what the task must achieve")
    if not 1 <= task.priority <= 5:
        err("priority", f"has priority {task.priority}; use 1 (most urgent) to 5 (least)")
    if task.complexity not in COMPLEXITIES:
        err("complexity", f"has complexity '{task.complexity}'; use low, medium or high")
    for key, value in (
        ("estimated_minutes", task.estimated_minutes),
        ("budget_usd", task.budget_usd),
    ):
        if value is not None and value <= 0:
            err(key, f"has {key} {value}; it must be more than 0")
    for k, pattern in enumerate(task.files):
        problem = glob_problem(pattern)
        if problem:
            err("files", f"has a bad files entry: {problem}", k)
    errors += [
        f"{at(('tasks', i, 'checks', k))}: task '{task.id}' has a bad check: {p}"
        for k, c in enumerate(task.checks)
        if (p := _check_problem(c))
    ]
    for k, name in enumerate(task.allow):
        if name not in EVASIONS:
            err("allow", f"allows unknown evasion class '{name}'{_near(name, EVASIONS)}", k)
    _check_agent(plan, task, agents, err)
    return errors


def _near(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f" ({hint}known: {', '.join(known)})"


def _check_id(task_id: str, where: Pos, first: dict[str, int], errors: list[str]) -> None:
    if not ID_PATTERN.fullmatch(task_id) or len(task_id) > ID_MAX:
        better = slug(task_id, ID_MAX) or "task-1"
        errors.append(
            f"{where}: task id '{task_id}' must be lowercase letters, digits, '-' and '_', "
            f"starting with a letter or digit, at most {ID_MAX} long (e.g. '{better}')"
        )
    if task_id in first:
        errors.append(f"{where}: duplicate task id '{task_id}' (first on line {first[task_id]})")
    else:
        first[task_id] = where.line


def _check_problem(check: Check) -> str | None:
    if check.kind == "command":
        try:
            return None if shlex.split(check.run) else "the command is empty"
        except ValueError as exc:
            return f"cannot split the command line: {exc}"
    if not check.path.strip():
        return f"{check.kind} needs a path"
    problem = glob_problem(check.path)
    if problem:
        return f"{check.kind}: {problem}"
    if check.kind == "file_contains" and not check.text:
        return "file_contains needs a non-empty 'text'"
    return None


def _check_agent(
    plan: Plan, task: Task, agents: Collection[str], err: Callable[[str, str], None]
) -> None:
    if task.agent not in (plan.agent, "", "auto") and task.agent not in agents:
        err("agent", f"uses {_unknown_agent(task.agent, agents)}")
    if task.agent == "command" and not task.command:
        err(
            "agent",
            "uses agent 'command' but has no 'command'; give an argv list such as "
            '["python", "tools/edit.py", "{worktree}", "{prompt_file}"]',
        )
    for other in task.agents:
        if other not in agents:
            err("agents", f"may move to {_unknown_agent(other, agents)}")
    if task.command and task.agent != "command":
        agent = f"its agent is '{task.agent}'" if task.agent else "no agent"
        err("command", f"has a 'command' but {agent}; set agent: command")


def _unknown_agent(agent: str, agents: Collection[str]) -> str:
    return f"unknown agent '{agent}' (known: {', '.join(sorted(agents))})"


def _check_after(plan: Plan, at: Locate) -> list[str]:
    ids = [task.id for task in plan.tasks]
    errors = []
    for i, task in enumerate(plan.tasks):
        for k, dep in enumerate(task.after):
            if dep not in ids:
                where = at(("tasks", i, "after", k))
                errors.append(f"{where}: task '{task.id}' {_unknown_dep(dep, ids, task.id)}")
    cycle = find_cycle(plan.deps())
    if cycle:
        where = at(("tasks", ids.index(cycle[0]), "after"))
        errors.append(f"{where}: dependency cycle: {' -> '.join(cycle)}")
    return errors


def _unknown_dep(dep: str, ids: list[str], own: str) -> str:
    known = [i for i in dict.fromkeys(ids) if i != own]
    close = difflib.get_close_matches(dep, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    listed = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
    return f"depends on unknown task '{dep}' ({hint}known: {listed or 'none'})"
