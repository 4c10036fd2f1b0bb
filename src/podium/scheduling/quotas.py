"""Rate limits and caps: which agents may take work now, and where a task may move.

A rate limit puts its agent on cooldown until the reset the agent reported (a minute when it
gave none), and with it every agent that shares its account (same provider and key or
gateway: `config.account_of`), since a provider's limit closes the account, not one process.
Ready tasks that allow another agent (a task's `agents`, then the run's
`fallback`) move to one that is not cooling down; the others wait. After the reset the agent
comes back gradually: one attempt at a time, one more every RAMP_STEP seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from podium.plans.model import Task

# What providers say when an account's credit or quota is used up (not a passing rate limit).
EXHAUSTED = re.compile(
    r"credit balance is too low|insufficient[_ ]quota|exceeded your current quota"
    r"|credits? (?:is |are |has been |have been )?(?:exhausted|depleted|used up)"
    r"|usage credit|out of credits",
    re.IGNORECASE,
)
RAMP_STEP = 20.0  # seconds between each extra slot an agent gets back after its reset
DEFAULT_COOLDOWN = 60.0  # when a rate limit names no reset time


@dataclass
class Quotas:
    caps: Mapping[str, int]  # configured: agent -> most attempts at once
    fallback: Sequence[str] = ()
    cooldown: float = DEFAULT_COOLDOWN
    cooling: dict[str, float] = field(default_factory=dict)  # agent -> until (epoch seconds)
    ramping: dict[str, float] = field(default_factory=dict)  # agent -> when it came back
    accounts: Mapping[str, str] = field(default_factory=dict)  # agent -> its account

    def rate_limited(self, agent: str, reset_at: float | None, now: float) -> float:
        """The agent rests until `reset_at`; when that is unknown or already past (a stale
        reset from an earlier retry), for the configured cooldown."""
        until = reset_at if reset_at is not None and reset_at > now else now + self.cooldown
        for other in self.sharing(agent):
            self.cooling[other] = max(until, self.cooling.get(other, 0.0))
            self.ramping.pop(other, None)
        return self.cooling[agent]

    def sharing(self, agent: str) -> list[str]:
        """The agent and every other agent on the same account."""
        account = self.accounts.get(agent)
        if account is None:
            return [agent]
        same = sorted(a for a, acc in self.accounts.items() if acc == account and a != agent)
        return [agent, *same]

    def tick(self, now: float) -> None:
        for agent, until in list(self.cooling.items()):
            if until <= now:
                del self.cooling[agent]
                self.ramping[agent] = until

    def agent_caps(self, now: float, max_parallel: int) -> dict[str, int]:
        self.tick(now)
        caps = dict(self.caps)
        for agent in self.cooling:
            caps[agent] = 0
        for agent, since in list(self.ramping.items()):
            ramp = 1 + int((now - since) / RAMP_STEP)
            if ramp >= max_parallel:
                del self.ramping[agent]
            else:
                caps[agent] = min(caps.get(agent, ramp), ramp)
        return caps

    def moves(self, tasks: Sequence[Task], pending: set[str]) -> dict[str, str]:
        """For pending tasks whose agent is cooling down: another agent they may use."""
        out: dict[str, str] = {}
        for task in tasks:
            if task.id in pending and task.agent in self.cooling:
                for other in (*task.agents, *self.fallback):
                    if other != task.agent and other not in self.cooling:
                        out[task.id] = other
                        break
        return out

    def next_reset(self) -> float | None:
        return min(self.cooling.values(), default=None)


def exhausted(texts: Iterable[str]) -> bool:
    """Does what an agent said mean its account's credit or quota is used up?"""
    return any(EXHAUSTED.search(text) for text in texts)
