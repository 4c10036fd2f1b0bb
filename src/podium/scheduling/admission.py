"""Who may start now: the scheduler's view of quotas, caps and the run's budget.

The engine asks for a `SchedState` before each decision, and, when nothing runs but work is
left, whether to wait for a rate limit's reset or to stop for the budget. Pure: what the run
has spent and what past attempts of each agent cost are handed in, never read here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from podium.config import Config, account_of, provider_of
from podium.plans.model import Plan
from podium.routing import prices
from podium.scheduling import lifecycle, scheduler
from podium.scheduling.quotas import Quotas

History = Mapping[str, Sequence[float]]  # agent -> costs of its past attempts here


@dataclass(frozen=True)
class Limits:
    """What bounds a run: its plan, settings, slots and budget (dollars; None = no limit)."""

    plan: Plan
    config: Config
    max_parallel: int
    budget: float | None = None


class Admission:
    def __init__(self, limits: Limits, views: tuple[scheduler.TaskView, ...]):
        self.s = limits
        self.views = views
        config = limits.config
        self.quotas = Quotas(config.caps, config.fallback, config.cooldown)
        self.quotas.accounts = {a: account_of(a, config) for a in self.agents()}
        self.tasks_of: dict[str, list[str]] = {}  # agent -> the tasks the plan gives it
        for t in limits.plan.tasks:
            self.tasks_of.setdefault(t.agent, []).append(t.id)

    def agents(self) -> set[str]:
        """Every agent the plan's tasks may use, fallbacks included."""
        tasks = self.s.plan.tasks
        return (
            {t.agent for t in tasks}
            | {a for t in tasks for a in t.agents}
            | {*self.s.config.fallback}
        )

    def state(
        self,
        states: dict[str, str],
        assigned: Mapping[str, str],
        now: float,
        spent: float = 0.0,
        history: History | None = None,
    ) -> scheduler.SchedState:
        """The scheduler's input; `spent` and `history` matter only when there is a budget."""
        # Per decision, only what a run with cooling agents or a budget needs scans the plan.
        watch = bool(self.quotas.cooling) or self.s.budget is not None
        pending = {t for t, s in states.items() if s == lifecycle.PENDING} if watch else set()
        moves = self.quotas.moves(self.s.plan.tasks, pending) if self.quotas.cooling else {}
        agent_for = {**assigned, **moves}
        agents = set(agent_for.values()) | {
            agent  # an agent some task still uses (its first such task is usually the first)
            for agent, ids in self.tasks_of.items()
            if any(agent_for.get(t, agent) == agent for t in ids)
        }
        budget_left, estimates = None, {}
        if self.s.budget is not None:
            history = history or {}
            estimates = self.estimates(agent_for, pending, history)
            busy = {t for t, s in states.items() if s in lifecycle.BUSY}
            ahead = sum(self.estimates(agent_for, busy, history).values())
            budget_left = self.s.budget - spent - ahead
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

    def estimates(
        self, agent_for: Mapping[str, str], ids: set[str], history: History
    ) -> dict[str, float]:
        """Expected dollars per task: past attempts of its agent here, else a price guess."""
        out = {}
        for task in self.s.plan.tasks:
            if task.id not in ids:
                continue
            agent = agent_for.get(task.id, task.agent)
            own = self.s.config.agents.get(agent)
            model = task.model or (own.model if own else None)
            out[task.id] = prices.estimate(
                task.complexity, model, self.s.config.prices, history.get(agent, ())
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
