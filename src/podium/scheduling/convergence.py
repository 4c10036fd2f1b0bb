"""Running a plan again converges the target on it: what is already there is not run again.

Pure: given the plan, the identities git found on the target, how the plan's previous run
left each task, and what the user asked to re-run, decide which tasks start as merged and
say so in one line.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from podium.plans.identity import identity
from podium.plans.model import Plan
from podium.scheduling import lifecycle


@dataclass(frozen=True)
class Landed:
    """A task's identity found on the target: by which commit, from which run."""

    commit: str
    run_id: str


@dataclass(frozen=True)
class Convergence:
    merged: dict[str, Landed]  # task id -> where it already landed
    to_run: tuple[str, ...]
    before: dict[str, str]  # task id -> its state in the plan's previous run (if it had one)

    def reason(self, task_id: str, target: str) -> str:
        landed = self.merged[task_id]
        return f"already on {target} (from {landed.run_id}, {landed.commit[:10]})"

    def summary(self, run_id: str, plan: str, previous: str | None) -> str:
        """One line: what this run will do, or "" for a plan's first run with nothing landed."""
        if previous is None and not self.merged:
            return ""
        parts = [f"{len(self.merged)} already merged"] if self.merged else []
        for state, words in (
            (lifecycle.FAILED, "failed before"),
            (lifecycle.BLOCKED, "blocked"),
            (lifecycle.CANCELLED, "cancelled"),
        ):
            n = sum(self.before.get(t) == state for t in self.to_run)
            if n:
                parts.append(f"{n} {words}")
        fresh = sum(self.before.get(t, lifecycle.MERGED) == lifecycle.MERGED for t in self.to_run)
        if fresh and previous is not None:
            parts.append(f"{fresh} new or changed")
        verb = f"continues plan {plan}" if previous is not None else f"runs plan {plan}"
        return f"{run_id} {verb}: {', '.join(parts)} → {len(self.to_run)} to run"


def converge(
    plan: Plan,
    landed: Mapping[str, Landed],
    before: Mapping[str, str],
    rerun: Collection[str] = (),
) -> Convergence:
    """`landed`: identity -> where it is on the target; `before`: task id -> state in the
    previous run of this plan; `rerun`: task ids (or "all") that run whatever git says."""
    merged: dict[str, Landed] = {}
    for task in plan.tasks:
        found = landed.get(identity(plan.name, task))
        if found is not None and task.id not in rerun and "all" not in rerun:
            merged[task.id] = found
    to_run = tuple(t.id for t in plan.tasks if t.id not in merged)
    mine = {t: s for t, s in before.items() if t in {x.id for x in plan.tasks}}
    return Convergence(merged, to_run, mine)
