"""Retrying tasks: failed or cancelled tasks pending again, with a fresh attempt budget.

A `task.retry` event marks where the new budget starts (`after` = the attempts made so far)
and may pin the agent and model for the attempts that follow; the ledger reads both. The
tasks blocked behind a retried task are pending again too.
"""

from __future__ import annotations

from collections.abc import Iterable

from podium.errors import StateError
from podium.plans import graph
from podium.plans.model import Plan
from podium.scheduling import lifecycle
from podium.store import Store

RETRYABLE = frozenset({lifecycle.FAILED, lifecycle.CANCELLED})


def check(store: Store, plan: Plan, run_id: str, task_ids: Iterable[str]) -> None:
    """StateError naming the first task that cannot be retried, and why."""
    rows = {t.task_id: t for t in store.tasks(run_id)}
    for task_id in task_ids:
        row = rows.get(task_id)
        if row is None:
            raise StateError(f"no task {task_id!r} in run {run_id} (tasks: {', '.join(rows)})")
        if row.state == lifecycle.MERGED:
            raise StateError(
                f"task {task_id!r} of run {run_id} is already merged "
                f"({(row.merged_commit or '')[:10]}): there is nothing to retry"
            )
        if row.state == lifecycle.BLOCKED:
            by = [d for d in plan.task(task_id).after if rows[d].state != lifecycle.MERGED]
            raise StateError(
                f"task {task_id!r} is blocked behind {', '.join(by)}: retry that instead "
                "(its blocked dependents come along)"
            )
        if row.state not in RETRYABLE:
            raise StateError(f"task {task_id!r} of run {run_id} is {row.state}, not failed")


def reopen(
    store: Store,
    plan: Plan,
    run_id: str,
    task_ids: Iterable[str],
    at: float,
    agent: str | None = None,
    model: str | None = None,
) -> list[str]:
    """Pending again with a fresh budget; returns every task reopened, dependents included."""
    rows = {t.task_id: t for t in store.tasks(run_id)}
    opened: list[str] = []
    for task_id in task_ids:
        data = {"after": rows[task_id].attempts, "agent": agent, "model": model}
        store.add_event(run_id, task_id, at, "task.retry", data)
        store.transition(run_id, task_id, lifecycle.PENDING, at, reason="retry requested")
        opened.append(task_id)
    behind = graph.dependents(plan.deps())
    todo = [d for t in opened for d in behind[t]]
    while todo:
        other = todo.pop()
        if store_state(store, run_id, other) == lifecycle.BLOCKED:
            store.transition(run_id, other, lifecycle.PENDING, at, reason="dependency retried")
            opened.append(other)
            todo.extend(behind[other])
    return opened


def store_state(store: Store, run_id: str, task_id: str) -> str:
    return next(t.state for t in store.tasks(run_id) if t.task_id == task_id)
