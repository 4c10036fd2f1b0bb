"""What a run is started with, and one attempt as the engine's phases pass it along."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podium.config import Config
from podium.plans.model import Plan, Task
from podium.routing.chooser import Mode
from podium.scheduling.admission import Limits

Reporter = Callable[[str, str, str], None]  # (task id or "", what happened, detail)


@dataclass(frozen=True)
class RunSetup:
    repo: Path
    run_id: str
    target: str
    plan: Plan
    config: Config
    gates: tuple[str, ...]
    max_parallel: int
    budget: float | None = None  # dollars for the whole run; None = no limit
    routing: Mode = "cascade"  # how each attempt's model is chosen: off | cascade | bandit

    def limits(self) -> Limits:
        return Limits(self.plan, self.config, self.max_parallel, self.budget)


@dataclass(frozen=True)
class Attempt:
    task: Task
    n: int
    path: Path
    base: str
    head: str = ""
    log: str | None = None  # "- subject" of its own commits, oldest first; None: not read yet
