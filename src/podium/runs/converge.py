"""Before a run of a plan starts: settle runs whose coordinator died, and ask git what of
the plan is already on the target (the identities podium's commits carry)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from podium.errors import PodiumError
from podium.plans.model import Plan
from podium.runs.resume import close_interrupted
from podium.runs.trailers import landed_identities
from podium.scheduling.convergence import Convergence, converge
from podium.store import Store


def settle_dead_runs(repo: Path, store: Store) -> None:
    """Runs still marked running while the caller holds the lock have lost their coordinator:
    finish any checkout update it was in the middle of, and close them as interrupted."""
    from podium.landing.merge import repair_checkout

    for dead in store.runs(status="running"):
        repair_checkout(repo, dead.target)
        close_interrupted(repo, store, dead)


def split_as_before(store: Store, plan: Plan, rerun: Collection[str]) -> Plan:
    """The plan with each task that an earlier run of it split (the same identity: same
    name, id, goal, description, files and checks) replaced by those sub-tasks again, so
    what they landed counts and the rest runs; `--rerun TASK` runs the task whole instead."""
    from podium.agents import registry
    from podium.plans.identity import identity
    from podium.plans.loading import parse_plan
    from podium.plans.split import apply_split

    splits = {}
    for run in store.runs(plan=plan.name):
        for event in store.events(run.id):
            if event.kind == "task.split":
                splits[str(event.data["identity"])] = str(event.data["plan"])
    for task in plan.tasks:
        found = splits.get(identity(plan.name, task))
        if found is not None and task.id not in rerun and "all" not in rerun:
            parts = parse_plan(found, "a stored split", agents=registry.names()).tasks
            plan = apply_split(plan, task.id, parts)
    return plan


def prepare(
    repo: Path, store: Store, plan: Plan, target: str, rerun: Collection[str]
) -> tuple[Convergence, str | None]:
    """What a new run of `plan` starts from, and the plan's previous run (if any).

    The caller holds the repository's lock, so a run still marked running has lost its
    coordinator: it is closed as interrupted first, never run over blind.
    """
    known = [t.id for t in plan.tasks]
    unknown = [t for t in rerun if t != "all" and t not in known]
    if unknown:
        raise PodiumError(
            f"--rerun: no task {unknown[0]!r} in plan {plan.name!r} (tasks: {', '.join(known)}; "
            "or `all`)"
        )
    settle_dead_runs(repo, store)
    earlier = store.runs(plan=plan.name)
    previous = earlier[-1] if earlier else None
    before = {t.task_id: t.state for t in store.tasks(previous.id)} if previous else {}
    result = converge(plan, landed_identities(repo, target), before, rerun)
    return result, previous.id if previous else None
