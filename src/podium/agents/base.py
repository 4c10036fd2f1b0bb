"""The adapter seam: an adapter describes how to launch one agent CLI and reads its stream.

The runner owns the process; an adapter never spawns, waits or kills.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from podium.config import AgentConfig
    from podium.plans.model import Task

EventKind = Literal["text", "tool", "usage", "error", "rate_limit", "result"]


@dataclass(frozen=True)
class AgentEvent:
    """One thing an agent said, normalised: text, a tool call, usage, an error, a rate limit."""

    kind: EventKind
    text: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    reset_at: float | None = None  # rate_limit: epoch seconds when the quota returns
    is_error: bool = False  # result: the agent's own verdict on its run


@dataclass(frozen=True)
class Availability:
    usable: bool
    version: str = ""
    why: str = ""  # one line when not usable: not installed, too old, not authenticated


@dataclass(frozen=True)
class Job:
    """Everything an adapter needs to describe one attempt."""

    task: Task
    prompt: str
    prompt_file: Path
    worktree: Path
    home: Path  # a throw-away directory the adapter may use as the agent's HOME
    model: str | None = None
    config: AgentConfig | None = None


@dataclass(frozen=True)
class Launch:
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)  # added to a minimal base env
    files: Mapping[str, str] = field(default_factory=dict)  # path -> content, written first
    inherit_env: bool = False  # the whole environment (the user's own command), else minimal
    model: str | None = None  # the model this launch asks for, as the adapter resolved it


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


class Adapter(Protocol):
    name: str

    def available(self, config: AgentConfig | None = None) -> Availability: ...

    def launch(self, job: Job) -> Launch: ...

    def parse(self, line: str) -> Sequence[AgentEvent]: ...

    def verdict(self, exit_code: int, events: Sequence[AgentEvent]) -> Verdict: ...
