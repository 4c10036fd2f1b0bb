"""The engine's side of model routing: pick each attempt's agent and model, record why, and
let the bandit learn from what landed and what it cost.

The choice itself is `router.py` (pure); this module loads and saves the policy, keeps the
previous choice per task for escalation, and writes a `task.routed` event per attempt so
`podium explain TASK` can say why that model.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Literal

from podium.config import Config
from podium.plans.model import Task
from podium.routing import router
from podium.routing.policy import Policy

Mode = Literal["off", "cascade", "bandit"]


class Routing:
    def __init__(self, config: Config, mode: Mode, policy_path: Path) -> None:
        self.config = config
        self.mode = mode
        self.path = policy_path
        self.settings = router.Settings(mode="bandit" if mode == "bandit" else "cascade")
        self.policy: Policy | None = None
        self.last: dict[str, router.Choice] = {}  # task -> the choice of its latest attempt

    def _policy(self) -> Policy:
        if self.policy is None:
            self.policy = router.load_policy(self.path)
        return self.policy

    def _arms(self, task: Task) -> tuple[router.Arm, ...]:
        allowed = [task.agent, *(a for a in task.agents if a != task.agent)]
        if self.mode != "bandit":
            allowed = [task.agent]
        return router.arms_for(allowed, prices=self.config.prices)

    def pick(self, task: Task, failures: int) -> tuple[Task, router.Choice | None]:
        """The task as this attempt runs it (agent, model) and the choice, if routing chose."""
        rule = router.role_rule(self.config.roles, task.role)
        # The agent was settled when the run was made (routing.assign: the task's, the plan's,
        # its role's, or the default); a role's rule picks the model when it names that agent.
        if rule is not None and not task.model and rule[1][0] == task.agent:
            return self._by_role(replace(task, agent=rule[1][0]), rule, failures)
        own = self.config.agents.get(task.agent)
        if self.mode == "off" or (own is not None and own.model and not task.model):
            return task, None  # podium.toml pins the agent's model
        arms = self._arms(task)
        previous = self.last.get(task.id)
        if failures and previous is not None and not self.config.ladder:
            choice = router.escalate(previous, arms) or previous
        else:
            choice = router.route(task, self._policy(), arms, self.settings)
        self.last[task.id] = choice
        return replace(task, agent=choice.agent, model=choice.model or task.model), choice

    def _by_role(
        self, task: Task, rule: tuple[str, tuple[str, str | None]], failures: int
    ) -> tuple[Task, router.Choice]:
        """podium.toml's `[roles]` decides, in every routing mode; a failure escalates a tier."""
        arms = router.arms_for([task.agent], prices=self.config.prices)
        previous = self.last.get(task.id)
        if failures and previous is not None and not self.config.ladder:
            choice = router.escalate(previous, arms) or previous
        else:
            choice = router.by_role(task, rule, arms)
        self.last[task.id] = choice
        return replace(task, model=choice.model or task.model), choice

    def learn(self, task_id: str, merged: bool, cost_usd: float) -> None:
        """Bandit mode: reward the choice behind a finished attempt and save the policy."""
        choice = self.last.get(task_id)
        if self.mode != "bandit" or choice is None or choice.policy == "pinned":
            return
        arms = router.arms_for([choice.agent], prices=self.config.prices)
        value = router.reward(merged, cost_usd, choice.features, arms)
        self.policy = router.update(self._policy(), choice, value)
        router.save_policy(self.policy, self.path)
