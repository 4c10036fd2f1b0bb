"""Who may start now: the scheduler's view of quotas, caps and the run's budget.

The engine asks for a `SchedState` before each decision, and, when nothing runs but work is
left, whether to wait for a rate limit's reset or to stop for the budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from podium.config import provider_of
from podium.routing import prices
from podium.scheduling import lifecycle, scheduler
from podium.scheduling.quotas import Quotas
from podium.store import Store

if TYPE_CHECKING:
    from podium.runs.engine import RunSetup


class Admission:
    def __init__(self, setup: RunSetup, store: Store, views: tuple[scheduler.TaskView, ...]):
        self.s = setup
        self.store = store
        self.views = views
        self.quotas = Quotas(setup.config.caps, setup.config.fallback, setup.config.cooldown)

    def state(
        self, states: dict[str, str], assigned: Mapping[str, str], now: float
    ) -> scheduler.SchedState:
        pending = {t for t, s in states.items() if s == lifecycle.PENDING}
        agent_for = {**assigned, **self.quotas.moves(self.s.plan.tasks, pending)}
        agents = {agent_for.get(t.id, t.agent) for t in self.s.plan.tasks}
        budget_left, estimates = None, {}
        if self.s.budget is not None:
            estimates = self.estimates(agent_for, pending)
            busy = {t for t, s in states.items() if s in lifecycle.BUSY}
            spent = sum(a.cost_usd for a in self.store.attempts(self.s.run_id))
            budget_left = self.s.budget - spent - sum(self.estimates(agent_for, busy).values())
        return scheduler.SchedState(
            self.views,
            states,
            self.s.max_parallel,
            agent_caps=self.quotas.agent_caps(now, self.s.max_parallel),
            agent_for=agent_for,
            group_of={a: provider_of(a, self.s.config) for a in agents},
            group_caps=self.s.config.provider_caps,
            budget_left=budget_left,
            estimates=estimates,
        )

    def estimates(self, agent_for: Mapping[str, str], ids: set[str]) -> dict[str, float]:
        """Expected dollars per task: past attempts of its agent here, else a price guess."""
        history: dict[str, list[float]] = {}
        out = {}
        for task in self.s.plan.tasks:
            if task.id not in ids:
                continue
            agent = agent_for.get(task.id, task.agent)
            if agent not in history:
                history[agent] = self.store.costs_of(agent)
            own = self.s.config.agents.get(agent)
            model = task.model or (own.model if own else None)
            out[task.id] = prices.estimate(
                task.complexity, model, self.s.config.prices, history[agent]
            )
        return out

    def stuck(self, states: dict[str, str]) -> tuple[str, float | None]:
        """Nothing runs and work is left: ("wait", reset time) for a rate limit, ("budget",
        None) when the budget cannot cover the next task, ("done", None) otherwise."""
        if not any(s == lifecycle.PENDING for s in states.values()):
            return "done", None
        reset = self.quotas.next_reset()
        if reset is not None:
            return "wait", reset
        return ("budget", None) if self.s.budget is not None else ("done", None)
