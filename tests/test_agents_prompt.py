"""The text an agent receives: its goal, the paths it owns, and how its work will be judged."""

from __future__ import annotations

from podium.agents.prompt import build_prompt, describe_check
from podium.plans.model import Check, Plan, Task

TAIL = (
    "Work in the current directory (a git worktree of its own). You may commit; "
    "anything left uncommitted is committed for you when you finish.\n"
)


def test_a_bare_task_gets_its_goal_and_the_worktree_rules() -> None:
    task = Task("a", "  Fix the typo in README  ")
    prompt = build_prompt(Plan("p", (task,)), task, ())
    assert prompt.startswith("Fix the typo in README\n") and prompt.endswith(TAIL)
    assert "Change only" not in prompt and "accepted only if" not in prompt


def test_a_full_task_says_what_it_owns_who_it_is_and_how_it_is_judged() -> None:
    task = Task(
        "api",
        "Add rate limiting",
        description="A token bucket per client.",
        files=("src/api/**", "settings.py"),
        role="backend",
        checks=(Check("path_exists", path="src/api/limit.py"),),
    )
    plan = Plan("p", (task,), constraints=("Python 3.11 only.",))
    prompt = build_prompt(plan, task, ("pytest -q",), note="attempt 1 failed its checks")
    assert prompt == (
        "Add rate limiting\n\n"
        "A token bucket per client.\n\n"
        "Change only these paths (globs): src/api/**, settings.py.\n"
        "Your role: backend.\n"
        "Python 3.11 only.\n\n"
        "Your work is accepted only if: the path `src/api/limit.py` exists; "
        "`pytest -q` succeeds.\n\n"
        "Note from podium: attempt 1 failed its checks\n\n" + TAIL
    )


def test_each_check_kind_reads_as_a_condition() -> None:
    assert [
        describe_check(Check("path_exists", path="a.py")),
        describe_check(Check("glob_exists", path="docs/*.md")),
        describe_check(Check("file_contains", path="README.md", text="usage")),
        describe_check(Check("command", run="make test")),
    ] == [
        "the path `a.py` exists",
        "something matches `docs/*.md`",
        "`README.md` contains `usage`",
        "`make test` succeeds",
    ]
