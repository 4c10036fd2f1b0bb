"""The executor seam: what the engine asks of whoever carries out an attempt.

The engine decides (which task, which agent and model, from which base commit) and records;
an executor only carries the attempt out: a worktree at exactly `base`, the agent run to its
end under the limits, whatever it left committed on `branch`, and back come the outcome, the
head commit and the agent's events. The local executor does this with processes here; a
remote one (Temporal workers) does the same on other machines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from podium.agents.runner import Outcome
from podium.config import Config
from podium.plans.model import Task


@dataclass(frozen=True)
class AttemptRequest:
    """One attempt, fully decided: nothing in here is left for the executor to choose."""

    run_id: str
    task: Task  # agent and model already chosen
    n: int
    base: str  # the commit the worktree starts at
    branch: str  # podium/<run>/<task>/a<n>
    worktree: Path
    prompt: str
    logs: Path  # folder for a<n>.log and a<n>.prompt.md
    home: Path  # a throw-away HOME for the agent
    config: Config  # timeouts, prices, worktree set-up, the agent's own settings
    message: str  # the commit message for what the agent leaves uncommitted


@dataclass(frozen=True)
class AttemptResult:
    outcome: Outcome | None  # None when the worktree's set-up failed before the agent ran
    failure: str | None  # why the attempt produced no work to verify; None when it did
    head: str = ""  # the branch's head commit when it did
    log: str | None = None  # "- subject" of its commits since the base, oldest first, if read


@dataclass
class Hooks:
    """How the executor tells the engine what happens while the attempt runs."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)  # set: stop the agent now
    on_model: Callable[[str | None], None] = lambda model: None  # the model the launch uses
    on_spawn: Callable[[int], None] = lambda pid: None  # the agent's process group leader
    on_exit: Callable[[], None] = lambda: None  # the agent is done; its result comes next


class Executor(Protocol):
    async def run(self, request: AttemptRequest, hooks: Hooks) -> AttemptResult:
        """Carry the attempt out; the agent's processes are all gone when this returns."""
        ...
