"""What a plan will likely cost before it runs: complexity -> model -> price, refined by history.

Each task's model is the one the plan or podium.toml pins, else the one the router's cascade
gives its complexity (low -> the agent's small tier, ...), else its adapter's default. The
price of that model for the complexity's expected tokens is the guess (`prices.estimate`);
when the store holds finished attempts of the same agent at the same complexity, their
average replaces it. `estimate` is pure but for the adapters it asks; `past_costs` reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from podium.config import Config
from podium.plans.model import Plan, Task
from podium.routing import prices

History = Mapping[tuple[str, str], Sequence[float]]  # (agent, complexity) -> attempt costs


@dataclass(frozen=True)
class TaskCost:
    task: str
    agent: str
    model: str | None
    usd: float
    basis: str  # "price table" | "average of N past attempts" | "no model"


def model_of(task: Task, config: Config) -> str | None:
    """The model a task will likely run on (None: the agent runs no model, e.g. `command`)."""
    from podium.agents import registry
    from podium.agents.base import Job
    from podium.routing import router

    own = config.agents.get(task.agent)
    if task.model or (own and own.model):
        return task.model or (own.model if own else None)
    arms = router.arms_for([task.agent], prices=config.prices)
    if arms:
        return router.route(task, router.new_policy(), arms).model
    here = Path(".")
    return registry.get(task.agent).launch(Job(task, "", here, here, here, None, own)).model


def estimate(plan: Plan, config: Config, history: History) -> list[TaskCost]:
    out = []
    for task in plan.tasks:
        model = model_of(task, config)
        past = list(history.get((task.agent, task.complexity), ()))
        usd = prices.estimate(task.complexity, model, config.prices, past)
        if past:
            basis = f"average of {len(past)} past attempt{'s' if len(past) != 1 else ''}"
        elif model is None:
            usd, basis = 0.0, "no model"
        else:
            basis = "price table"
        out.append(TaskCost(task.id, task.agent, model, usd, basis))
    return out


def past_costs(db_path: Path, runs: int = 200) -> dict[tuple[str, str], list[float]]:
    """Finished attempts' costs by (agent, complexity), over the latest `runs` runs."""
    if not db_path.exists():
        return {}
    import sqlite3

    import yaml

    found: dict[tuple[str, str], list[float]] = {}
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        recent = db.execute(
            "SELECT id, plan_text FROM runs ORDER BY created_at DESC LIMIT ?", (runs,)
        ).fetchall()
        for run_id, plan_text in recent:
            complexity = _complexities(yaml.safe_load(plan_text))
            rows = db.execute(
                "SELECT task_id, agent, cost_usd FROM attempts "
                "WHERE run_id=? AND finished_at IS NOT NULL",
                (run_id,),
            )
            for task_id, agent, cost in rows:
                key = (agent, complexity.get(task_id, "medium"))
                found.setdefault(key, []).append(float(cost))
    finally:
        db.close()
    return found


def _complexities(data: object) -> dict[str, str]:
    """Task id -> complexity in a stored plan (podium's format, as `dump_plan` wrote it)."""
    tasks = data.get("tasks") if isinstance(data, dict) else None
    out = {}
    for task in tasks if isinstance(tasks, list) else []:
        if isinstance(task, dict) and "id" in task:
            out[str(task["id"])] = str(task.get("complexity", "medium"))
    return out
