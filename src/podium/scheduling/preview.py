"""What `podium run --dry-run` shows: the plan's waves, critical path and serialized pairs."""

from __future__ import annotations

from dataclasses import dataclass

from podium.plans import graph
from podium.plans.model import Plan, estimate_minutes
from podium.scheduling import scheduler


@dataclass(frozen=True)
class Preview:
    waves: tuple[tuple[str, ...], ...]
    critical_path: tuple[str, ...]
    critical_minutes: float
    serialized: tuple[tuple[str, str], ...]  # pairs whose owned files overlap


def preview(plan: Plan) -> Preview:
    deps = plan.deps()
    weight = {t.id: estimate_minutes(t) for t in plan.tasks}
    path = graph.critical_path(deps, weight)
    views = tuple(
        scheduler.TaskView(t.id, t.after, t.files, t.priority, weight[t.id], t.agent)
        for t in plan.tasks
    )
    return Preview(
        tuple(tuple(w) for w in graph.waves(deps)),
        tuple(path),
        sum(weight[t] for t in path),
        tuple(scheduler.serialized_pairs(views)),
    )
