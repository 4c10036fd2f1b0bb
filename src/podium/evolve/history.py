"""Read the store's history across runs into plain rows (`facts`); nothing is written.

An `evolve --apply` is remembered as an `evolve.applied` event under the run id "" (no run
has that id), so that the store's schema stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from podium.errors import PodiumError
from podium.evolve.facts import Applied, AttemptFact, GateFact, History, LimitFact
from podium.plans.loading import parse_plan
from podium.store import AttemptRow, Event, RunRow, Store

APPLIED = "evolve.applied"
NO_RUN = ""  # the run id under which applied changes are recorded


@dataclass(frozen=True)
class TaskInfo:
    role: str
    complexity: str


def read_history(db: Path, runs: int) -> History:
    """The latest `runs` runs of the store at `db` (none when there is no store yet)."""
    if not db.exists():
        return History((), ())
    store = Store(db)
    try:
        return _history(store, store.runs()[-runs:])
    finally:
        store.close()


def _history(store: Store, runs: list[RunRow]) -> History:
    attempts: list[AttemptFact] = []
    limits: list[LimitFact] = []
    gates: list[GateFact] = []
    for run in runs:
        rows = store.attempts(run.id)
        events = store.events(run.id)
        attempts += _attempts(run, rows, events)
        limits += _limits(run.id, rows, events)
        gates += _gates(run.id, events)
    applied = [
        Applied(e.at, tuple(e.data.get("keys", ())), dict(e.data.get("values", {})))
        for e in store.events(NO_RUN)
        if e.kind == APPLIED
    ]
    return History(
        tuple(r.id for r in runs), tuple(attempts), tuple(limits), tuple(gates), tuple(applied)
    )


def _tasks(run: RunRow) -> dict[str, TaskInfo]:
    try:
        plan = parse_plan(run.plan_text, f"run {run.id}")
    except PodiumError:
        return {}  # a plan this podium cannot read any more: its tasks count without a role
    return {t.id: TaskInfo(t.role.strip().lower(), t.complexity) for t in plan.tasks}


def _attempts(run: RunRow, rows: list[AttemptRow], events: list[Event]) -> list[AttemptFact]:
    tasks = _tasks(run)
    limits = {
        (e.task_id, e.data.get("attempt")): e.data for e in events if e.kind == "attempt.limits"
    }
    refused = _refusals(events)
    out = []
    for a in rows:
        info = tasks.get(a.task_id, TaskInfo("", "medium"))
        lim = limits.get((a.task_id, a.n), {})
        reason = a.reason or refused.get((a.task_id, a.n), "")
        out.append(
            AttemptFact(
                run.id,
                a.task_id,
                a.n,
                info.role,
                info.complexity,
                a.agent,
                a.model,
                a.outcome or "",
                reason,
                a.started_at,
                a.finished_at,
                a.cost_usd,
                lim.get("silence"),
                lim.get("wall"),
            )
        )
    return out


def _refusals(events: list[Event]) -> dict[tuple[str | None, object], str]:
    """Why the janitor refused an attempt ("check: detail", as the task's reason says it):
    the attempt's own row keeps only the agent's failures."""
    out = {}
    for e in events:
        failed = [c for c in e.data.get("checks", ()) if not c.get("ok")]
        if e.kind == "task.checks" and failed:
            out[(e.task_id, e.data.get("attempt"))] = f"{failed[0]['name']}: {failed[0]['detail']}"
    return out


def _limits(run_id: str, rows: list[AttemptRow], events: list[Event]) -> list[LimitFact]:
    """Each rate limit, with how many attempts of its agent were running when it came."""
    out = []
    for e in events:
        if e.kind != "agent.rate_limit":
            continue
        agent = str(e.data.get("agent", ""))
        running = sum(
            1
            for a in rows
            if a.agent == agent
            and a.started_at <= e.at
            and (a.finished_at is None or a.finished_at >= e.at)
        )
        out.append(LimitFact(run_id, agent, e.at, max(running, 1)))
    return out


def _gates(run_id: str, events: list[Event]) -> list[GateFact]:
    """Gate results: in an attempt's worktree (`task.checks`) and on the merge (`task.merge`)."""
    out = []
    for e in events:
        if e.kind not in ("task.checks", "task.merge") or e.task_id is None:
            continue
        results = e.data.get("checks" if e.kind == "task.checks" else "gates", [])
        for r in results:
            name = str(r.get("name", ""))
            if name.startswith("gate `") or e.kind == "task.merge":
                gate = name.removeprefix("gate `").removesuffix("`")
                out.append(
                    GateFact(
                        run_id,
                        e.task_id,
                        int(e.data.get("attempt", 0)),
                        gate,
                        bool(r.get("ok")),
                        e.at,
                    )
                )
    return out
