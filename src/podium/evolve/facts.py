"""The plain rows `podium evolve` reasons over: attempts, rate limits, gate results, the
settings in force and the changes an earlier `evolve --apply` made. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How an attempt ended, when it says something about the agent's work.
SUCCESS = ("merged",)
FAILURES = ("agent_failed", "checks_failed", "gates_failed")


@dataclass(frozen=True)
class AttemptFact:
    run_id: str
    task_id: str
    n: int
    role: str  # the task's role in the plan, lower case ("" when none)
    complexity: str
    agent: str
    model: str | None
    outcome: str  # merged | agent_failed | checks_failed | gates_failed | conflict | lost | ...
    reason: str
    started_at: float
    finished_at: float | None
    cost_usd: float = 0.0
    silence: float | None = None  # the silence timeout it ran under, when recorded
    wall: float | None = None

    @property
    def arm(self) -> str:
        """`agent` or `agent:model`, as podium.toml's `[roles]` and ladder write it."""
        return f"{self.agent}:{self.model}" if self.model else self.agent

    @property
    def where(self) -> str:
        return f"{self.run_id}/{self.task_id}/a{self.n}"

    @property
    def seconds(self) -> float | None:
        return None if self.finished_at is None else self.finished_at - self.started_at

    @property
    def decided(self) -> bool:
        """It says whether the work was good: merged, or failed for the agent's own doing."""
        return self.outcome in SUCCESS or self.outcome in FAILURES


@dataclass(frozen=True)
class LimitFact:
    run_id: str
    agent: str
    at: float
    running: int  # attempts of this agent running in the run when the limit came


@dataclass(frozen=True)
class GateFact:
    run_id: str
    task_id: str
    n: int  # the attempt whose commit was gated
    gate: str
    ok: bool
    at: float


@dataclass(frozen=True)
class Applied:
    at: float
    keys: tuple[str, ...]  # the proposals' keys, e.g. "roles.docs", "timeouts.silence"
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """What podium.toml says now, as far as the proposals go."""

    max_attempts: int = 2
    silence: float = 300.0
    wall: float = 1800.0
    max_parallel: int = 4
    ladder: tuple[str, ...] = ()
    caps: dict[str, int] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    prompt: str = ""  # the template's text ("" = the built-in one)


@dataclass(frozen=True)
class History:
    runs: tuple[str, ...]  # run ids, oldest first
    attempts: tuple[AttemptFact, ...]
    limits: tuple[LimitFact, ...] = ()
    gates: tuple[GateFact, ...] = ()
    applied: tuple[Applied, ...] = ()
