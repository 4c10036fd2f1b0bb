"""Splitting a task of a run: ask the planner, then change the run's graph, or nothing.

A valid answer replaces the task in the run's stored plan by its sub-tasks (`plans.split`),
the task becomes `split`, its sub-tasks pending and its blocked dependents pending again, all
in one transaction with a `task.split` event; the planner's cost is a `run.coordination`
event. A garbage answer (or a planner that fails) changes no state: the task keeps its state
and its reason says why the split did not happen (`task.split_failed`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from podium.agents import registry
from podium.config import Config
from podium.errors import PodiumError
from podium.planning import DEFAULT_AGENT, splitter
from podium.plans import graph
from podium.plans.identity import identity
from podium.plans.loading import parse_plan
from podium.plans.model import Plan, Task, dump_plan
from podium.plans.split import apply_split, is_part
from podium.runs.setup import Reporter, RunSetup
from podium.scheduling import lifecycle
from podium.store import RunRow, Store


@dataclass(frozen=True)
class Outcome:
    ok: bool
    text: str  # one line for people: what happened


def planner_for(task: Task) -> str:
    """Who plans a split: the task's own agent CLI, else the planning default."""
    return task.agent if task.agent and task.agent != "command" else DEFAULT_AGENT


def split_run_task(
    repo: Path,
    store: Store,
    run: RunRow,
    task_id: str,
    agent: str | None = None,
    clock: Callable[[], float] = time.time,
) -> Outcome:
    """Split `task_id` of `run` (already checked: it exists and has stopped)."""
    plan = parse_plan(run.plan_text, f"run {run.id}", agents=registry.names())
    task = plan.task(task_id)
    who = agent or planner_for(task)
    failures = tuple(
        str(e.data.get("text", ""))
        for e in store.events(run.id)
        if e.kind == "task.failure" and e.task_id == task_id
    )
    req = splitter.Ask(repo, _config(repo), plan, task, failures, run.id)
    try:
        found = splitter.split_task(req, who)
    except PodiumError as exc:  # the planner itself failed: nothing changes
        return _refused(store, run.id, task_id, str(exc), clock)
    store.add_event(run.id, None, clock(), "run.coordination", _cost(found, task_id))
    if found.errors:
        return _refused(store, run.id, task_id, found.why, clock)
    new = apply_split(plan, task_id, found.parts)
    parts = [t.id for t in new.tasks if t.id.startswith(f"{task_id}.")]
    data = {
        "parts": parts,
        "reopen": _behind(new, parts),
        "identity": identity(plan.name, task),
        "plan": dump_plan(replace(plan, tasks=_alone(new, parts))),
        "agent": who,
        "logs": str(found.logs.relative_to(repo)),
    }
    store.split_task(run.id, task_id, dump_plan(new), clock(), data)
    return Outcome(True, f"{task_id} split into {', '.join(parts)} (planner: {who})")


def split_after_run(setup: RunSetup, store: Store, report: Reporter | None) -> RunSetup | None:
    """With `[retries] split`, split each task that used its attempts and failed (once per
    task and run; sub-tasks never); the run's new set-up when one was split, to go on with."""
    if not setup.config.split:
        return None
    tried = {e.task_id for e in store.events(setup.run_id) if e.kind.startswith("task.split")}
    failed = [
        t.task_id
        for t in store.tasks(setup.run_id)
        if t.state == lifecycle.FAILED and not is_part(t.task_id) and t.task_id not in tried
    ]
    split = False
    for task_id in failed:
        outcome = split_run_task(setup.repo, store, store.run(setup.run_id), task_id)
        if report is not None:
            report(task_id, "split" if outcome.ok else "not split", outcome.text)
        split = split or outcome.ok
    if not split:
        return None
    text = store.run(setup.run_id).plan_text
    plan = parse_plan(text, f"run {setup.run_id}", agents=registry.names())
    return replace(setup, plan=plan)


def _config(repo: Path) -> Config:
    from podium.config import load_config

    return load_config(repo)


def _refused(
    store: Store, run_id: str, task_id: str, why: str, clock: Callable[[], float]
) -> Outcome:
    row = next(t for t in store.tasks(run_id) if t.task_id == task_id)
    first = why.splitlines()[0]
    reason = f"{row.reason}\nnot split: {first}" if row.reason else f"not split: {first}"
    store.annotate(run_id, task_id, reason, clock(), "task.split_failed", {"error": why})
    return Outcome(False, f"{task_id} was not split: {why}")


def _alone(plan: Plan, parts: list[str]) -> tuple[Task, ...]:
    """The sub-tasks with only their `after` among themselves: kept to split the same task
    the same way when its plan runs again (`runs.converge.split_as_before`)."""
    tasks = (plan.task(p) for p in parts)
    return tuple(replace(t, after=tuple(a for a in t.after if a in parts)) for t in tasks)


def _behind(plan: Plan, parts: list[str]) -> list[str]:
    """Every task that waits, directly or not, for one of `parts`."""
    below = graph.dependents(plan.deps())
    found: list[str] = []
    todo = list(parts)
    while todo:
        for t in below.get(todo.pop(), []):
            if t not in found:
                found.append(t)
                todo.append(t)
    return found


def _cost(found: splitter.Split, task_id: str) -> dict[str, object]:
    return {"what": "split", "task": task_id, **asdict(found.usage), "logs": str(found.logs)}
