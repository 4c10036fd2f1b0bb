"""A task replaced by its sub-tasks, in a plan. Pure.

The planner's sub-tasks are renamed `<task>.1`, `<task>.2`, ... in the order given (their
`after` among themselves follows), each keeps the task's own dependencies and its agent, and
the task's dependents now wait for every sub-task. A sub-task may own only what the task
owned (`within`), and a sub-task is never split again (one level).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from podium.plans import globs
from podium.plans.model import Plan, Task

MIN_PARTS, MAX_PARTS = 2, 4


def is_part(task_id: str) -> bool:
    """A sub-task of a split (`api.1`): it does not split again."""
    return "." in task_id


def problems(parent: Task, parts: Sequence[Task]) -> list[str]:
    """What is wrong with `parts` as the split of `parent`, one located line each."""
    errors = []
    if not MIN_PARTS <= len(parts) <= MAX_PARTS:
        errors.append(
            f"tasks: give {MIN_PARTS} to {MAX_PARTS} sub-tasks of '{parent.id}', not {len(parts)}"
        )
    for n, part in enumerate(parts):
        outside = [f for f in part.files if not within(f, parent.files)]
        if outside:
            owned = ", ".join(parent.files)
            errors.append(
                f"tasks.{n} ('{part.id}'): files {', '.join(outside)} lie outside what "
                f"'{parent.id}' owns ({owned}); a sub-task may own only the task's files"
            )
        if parent.files and not part.files:
            errors.append(f"tasks.{n} ('{part.id}'): files: name the files this sub-task owns")
    return errors


def within(pattern: str, owned: Sequence[str]) -> bool:
    """Whether every path `pattern` covers is covered by `owned` (a task with no files owns
    everything). Conservative: a pattern with `**` must sit under an owned `dir/**`."""
    if not owned:
        return True
    for mine in owned:
        if mine == pattern:
            return True
        if mine.endswith("/**") and pattern.startswith(mine[:-2]):
            return True
        if "**" not in pattern and globs.matches(mine, pattern):
            return True
    return False


def apply_split(plan: Plan, parent_id: str, parts: Sequence[Task]) -> Plan:
    """`plan` with `parent_id` replaced by `parts`, renamed and wired as described above."""
    parent = plan.task(parent_id)
    names = {part.id: f"{parent_id}.{n}" for n, part in enumerate(parts, 1)}
    new = tuple(_adopt(parent, part, names) for part in parts)
    tasks: list[Task] = []
    for task in plan.tasks:
        if task.id == parent_id:
            tasks += new
        elif parent_id in task.after:
            after = [a for d in task.after for a in (names.values() if d == parent_id else [d])]
            tasks.append(replace(task, after=tuple(dict.fromkeys(after))))
        else:
            tasks.append(task)
    return replace(plan, tasks=tuple(tasks))


def _adopt(parent: Task, part: Task, names: dict[str, str]) -> Task:
    """A sub-task as the run carries it: its new id, the task's dependencies and agent."""
    own_after = tuple(names[a] for a in part.after if a in names)
    return replace(
        part,
        id=names[part.id],
        after=tuple(dict.fromkeys((*parent.after, *own_after))),
        agent=parent.agent,
        model=parent.model,
        command=parent.command,
        agents=parent.agents,
        allow=parent.allow,
        budget_usd=None,
        role=part.role or parent.role,
    )
