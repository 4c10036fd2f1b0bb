"""The text an agent receives: its task, what it owns, how it will be checked."""

from __future__ import annotations

from podium.agents.template import BUILT_IN, render
from podium.plans.model import Check, Plan, Task


def describe_check(check: Check) -> str:
    if check.kind == "path_exists":
        return f"the path `{check.path}` exists"
    if check.kind == "glob_exists":
        return f"something matches `{check.path}`"
    if check.kind == "file_contains":
        return f"`{check.path}` contains `{check.text}`"
    return f"`{check.run}` succeeds"


def prompt_values(plan: Plan, task: Task, gates: tuple[str, ...], note: str = "") -> dict[str, str]:
    """What each placeholder of a prompt template stands for (see `template.PLACEHOLDERS`)."""
    checks = [describe_check(c) for c in task.checks] + [f"`{g}` succeeds" for g in gates]
    description = task.description.strip()
    return {
        "goal": task.goal.strip(),
        "description": f"{description}\n\n" if description else "",
        "files": f"Change only these paths (globs): {', '.join(task.files)}.\n"
        if task.files
        else "",
        "role": f"Your role: {task.role}.\n" if task.role else "",
        "constraints": "".join(f"{s.strip()}\n" for s in plan.constraints),
        "checks": f"\nYour work is accepted only if: {'; '.join(checks)}.\n" if checks else "",
        "note": f"\nNote from podium: {note}\n" if note else "",
        "task_id": task.id,
    }


def build_prompt(
    plan: Plan, task: Task, gates: tuple[str, ...], note: str = "", template: str = ""
) -> str:
    """A self-contained task description; the same inputs always give the same text.
    `template` is a checked prompt template (podium.toml `[prompt] template`); "" is the
    built-in one."""
    return render(template or BUILT_IN, prompt_values(plan, task, gates, note))
