"""A task that keeps failing becomes 2-4 smaller ones, through one planner call.

The same structured path as goal-to-plan (`planning.planner`): the planner runs in a scratch
worktree with the repository map, answers with JSON matching the plan schema (its `tasks` are
the sub-tasks), and the answer goes through `parse_plan` and then `plans.split.problems`
(how many, and files within the task's). An invalid answer gets one repair round quoting the
errors; a second invalid one comes back as errors and nothing changes. Prompts and answers in
`.podium/logs/splits/<run>-<task>[-N]/`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from podium.agents import registry
from podium.config import Config
from podium.errors import PlanError
from podium.planning import prompt as planprompt
from podium.planning import repomap
from podium.planning.planner import STRUCTURED, Call, Usage, ask
from podium.plans import split
from podium.plans.loading import parse_plan
from podium.plans.model import Plan, Task, dump_plan
from podium.runs import worktrees

INSTRUCTIONS = f"""\
You are the planner of podium, which runs coding agents on this git repository, each task in
its own worktree. One task of the plan below keeps failing, attempt after attempt. Split it:
answer with a plan of {split.MIN_PARTS} to {split.MAX_PARTS} smaller tasks that together do
what it asks, each small enough to succeed on its own. Do not change any file.

- Each sub-task owns a part of the task's `files` (paths or globs within them, never others).
- `after` may name other sub-tasks (by your ids), never tasks outside this answer.
- Give each sub-task its own `checks`, so podium can tell it is done.
- Use what the failures below say went wrong."""


@dataclass(frozen=True)
class Split:
    """The planner's sub-tasks (its ids), or, when even the repair round was invalid, none
    and the validator's errors: a bad answer is an outcome, recorded, not a crash."""

    parts: tuple[Task, ...]
    usage: Usage
    logs: Path
    errors: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class Ask:
    """One split to ask for: the run's plan, the task, what its attempts left behind."""

    repo: Path
    config: Config
    plan: Plan
    task: Task
    failures: tuple[str, ...]  # the task's failure summaries, oldest first
    name: str  # the run's id, for the log folder


def split_task(req: Ask, agent: str) -> Split:
    """Ask `agent` for the sub-tasks of `req.task` (PodiumError when the call itself fails)."""
    logs = _logs(req)
    repo_map = repomap.repo_map(req.repo, req.config.gates)
    errors: list[str] = []
    previous, usage = "", None
    for n in (1, 2):
        text = build_prompt(req, repo_map, agent in STRUCTURED, errors, previous)
        answer, used = ask(Call(req.repo, agent, req.config, logs, n), req.task.goal, text)
        usage = used if usage is None else usage.add(used)
        previous = planprompt.answer_yaml(answer, agent, f"{req.plan.name}-{req.task.id}")
        source = logs / f"answer-{n}.yaml"
        source.write_text(previous, encoding="utf-8")
        errors = validate(previous, str(source.relative_to(req.repo)), req.task)
        if not errors:
            parts = parse_plan(previous, str(source), agents=registry.known()).tasks
            return Split(parts, usage, logs)
    assert usage is not None
    why = (
        f"the planner ({agent}) gave no valid split, even after a repair round "
        f"(prompts and answers in {logs.relative_to(req.repo)}):\n" + "\n".join(errors)
    )
    return Split((), usage, logs, tuple(errors), why)


def validate(text: str, source: str, parent: Task) -> list[str]:
    """The validator's errors on an answer: as a plan, then as a split of `parent`."""
    try:
        plan = parse_plan(text, source, agents=registry.known())
    except PlanError as exc:
        return exc.errors
    return [f"{source}: {line}" for line in split.problems(parent, plan.tasks)]


def build_prompt(
    req: Ask, repo_map: str, structured: bool, repair: Sequence[str], previous: str
) -> str:
    """The split prompt: the task as the plan has it, its failures, the repository."""
    from dataclasses import replace

    alone = replace(req.plan, tasks=(req.task,), gates=None, budget_usd=None)
    failures = "\n\n".join(req.failures) or "(no summary was recorded)"
    parts = [
        INSTRUCTIONS,
        f"## The task\n\n```yaml\n{dump_plan(alone).rstrip()}\n```",
        f"## How its attempts failed\n\n{failures}",
    ]
    body = planprompt.build_prompt(req.task.goal, repo_map, structured, repair, previous)
    return "\n\n".join(parts) + "\n\n" + body.split("\n\n", 1)[1]


def _logs(req: Ask) -> Path:
    stem = worktrees.state_dir(req.repo) / "logs" / "splits" / f"{req.name}-{req.task.id}"
    path, n = stem, 2
    while path.exists():
        path, n = stem.with_name(f"{stem.name}-{n}"), n + 1
    path.mkdir(parents=True)
    return path
