"""The text an agent receives: its task, what it owns, how it will be checked."""

from __future__ import annotations

from podium.plans.model import Check, Plan, Task


def describe_check(check: Check) -> str:
    if check.kind == "path_exists":
        return f"the path `{check.path}` exists"
    if check.kind == "glob_exists":
        return f"something matches `{check.path}`"
    if check.kind == "file_contains":
        return f"`{check.path}` contains `{check.text}`"
    return f"`{check.run}` succeeds"


def build_prompt(plan: Plan, task: Task, gates: tuple[str, ...], note: str = "") -> str:
    """A self-contained task description; the same inputs always give the same text."""
    lines = [task.goal.strip(), ""]
    if task.description.strip():
        lines += [task.description.strip(), ""]
    if task.files:
        lines += ["Change only these paths (globs): " + ", ".join(task.files) + "."]
    if task.role:
        lines += [f"Your role: {task.role}."]
    for sentence in plan.constraints:
        lines += [sentence.strip()]
    checks = [describe_check(c) for c in task.checks] + [f"`{g}` succeeds" for g in gates]
    if checks:
        lines += ["", "Your work is accepted only if: " + "; ".join(checks) + "."]
    if note:
        lines += ["", f"Note from podium: {note}"]
    lines += [
        "",
        "Work in the current directory (a git worktree of its own). You may commit; "
        "anything left uncommitted is committed for you when you finish.",
    ]
    return "\n".join(lines).strip() + "\n"
