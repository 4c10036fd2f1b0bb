"""Splitting tasks (`podium split`, `[retries] split`) and the summaries for people, as
the run API does them once a run's loop has ended (docs/failures.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from podium.agents import registry
from podium.errors import PodiumError, StateError
from podium.plans.split import is_part
from podium.scheduling import lifecycle
from podium.store import RunRow, Store

if TYPE_CHECKING:
    from podium.runs.setup import Reporter

SPLITTABLE = frozenset({lifecycle.FAILED, lifecycle.BLOCKED, lifecycle.CANCELLED})


def check(store: Store, run: RunRow, task_id: str, agent: str | None) -> None:
    """PodiumError (exit 2) naming what is wrong with `podium split TASK`; nothing written."""
    if agent is not None and agent not in registry.names():
        known = ", ".join(n for n in registry.names() if n != "command")
        raise PodiumError(f"--agent: unknown agent {agent!r} (known: {known})")
    if agent == "command":
        raise PodiumError("--agent command runs a program, not a model: split with an agent CLI")
    rows = {t.task_id: t for t in store.tasks(run.id)}
    row = rows.get(task_id)
    if row is None:
        raise StateError(f"no task {task_id!r} in run {run.id} (tasks: {', '.join(rows)})")
    if row.state == lifecycle.MERGED:
        raise StateError(
            f"task {task_id!r} of run {run.id} is already merged "
            f"({(row.merged_commit or '')[:10]}): there is nothing to split"
        )
    if row.state == lifecycle.SPLIT:
        raise StateError(f"task {task_id!r} of run {run.id} is already {row.reason}")
    if is_part(task_id):
        raise StateError(f"task {task_id!r} is a sub-task of a split: sub-tasks do not split again")
    if row.state not in SPLITTABLE:
        raise StateError(
            f"task {task_id!r} of run {run.id} is {row.state}: only a failed, blocked or "
            "cancelled task of a stopped run can be split"
        )


def split_task(
    task_id: str,
    *,
    run_id: str | None = None,
    agent: str | None = None,
    report: Reporter | None = None,
    cwd: Path | None = None,
) -> tuple[str, RunRow | None]:
    """`podium split TASK`: one planner call; on a valid answer the run goes on with the
    sub-tasks (the run as it ends is returned), else nothing changes but the task's reason
    (None is returned with what happened)."""
    from podium.api.runs import (
        choose_target,
        execute,
        open_store,
        repo_lock,
        repo_root,
        setup_of,
    )
    from podium.landing.merge import repair_checkout
    from podium.runs.resume import close_interrupted
    from podium.runs.splitting import split_run_task

    repo = repo_root(cwd)
    store = open_store(repo)
    try:
        with repo_lock(repo, store):
            run = store.run(run_id)
            check(store, run, task_id, agent)
            if run.status == "running":  # we hold the lock: its coordinator is gone
                close_interrupted(repo, store, run)
            outcome = split_run_task(repo, store, run, task_id, agent, time.time)
            if not outcome.ok:
                return outcome.text, None
            repair_checkout(repo, run.target)
            choose_target(repo, run.target)
            setup = setup_of(repo, store, store.run(run.id))
            store.set_run_status(run.id, "running", time.time())
            return outcome.text, execute(setup, store, report, resume=True)
    finally:
        store.close()
