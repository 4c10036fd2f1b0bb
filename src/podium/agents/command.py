"""The `command` agent: any program, as an argv template, never through a shell."""

from __future__ import annotations

import re
from collections.abc import Sequence

from podium.agents.base import AgentEvent, Availability, Job, Launch, Verdict
from podium.config import AgentConfig

PLACEHOLDERS = ("{prompt}", "{prompt_file}", "{worktree}", "{task_id}")
TAIL = 3  # output lines a failure reason quotes


_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))


def expand(template: Sequence[str], job: Job) -> tuple[str, ...]:
    """Fill the placeholders in each argv element in one pass; values are never re-read."""
    values = {
        "{prompt}": job.prompt,
        "{prompt_file}": str(job.prompt_file),
        "{worktree}": str(job.worktree),
        "{task_id}": job.task.id,
    }
    return tuple(_PLACEHOLDER.sub(lambda m: values[m.group()], arg) for arg in template)


class CommandAdapter:
    name = "command"

    def available(self, config: AgentConfig | None = None) -> Availability:
        return Availability(True, version="builtin")

    def launch(self, job: Job) -> Launch:
        return Launch(argv=expand(job.task.command, job), inherit_env=True, model=job.model)

    def parse(self, line: str) -> Sequence[AgentEvent]:
        return (AgentEvent("text", line),)

    def verdict(self, exit_code: int, events: Sequence[AgentEvent]) -> Verdict:
        if any(e.kind == "result" and e.is_error for e in events):
            return Verdict(False, "the command reported an error")
        if exit_code == 0:
            return Verdict(True)
        said = [e.text.strip() for e in events if e.kind == "text" and e.text.strip()]
        last = " / ".join(said[-TAIL:])
        return Verdict(
            False, f"command exited with status {exit_code}" + (f": {last}" if last else "")
        )
