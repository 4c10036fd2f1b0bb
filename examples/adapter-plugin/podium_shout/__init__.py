"""An example podium adapter for a made-up agent CLI, `python -m podium_shout.agent`.

The agent reads its task from --prompt-file, writes the file named on a line
`WRITE <path> <text>` in upper case, and prints JSON lines: {"type": "text"|"usage"|"done"}.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from podium.agents.base import AgentEvent, Availability, Job, Launch, Verdict
from podium.config import AgentConfig


class ShoutAdapter:
    name = "shout"

    def available(self, config: AgentConfig | None = None) -> Availability:
        return Availability(True, version="0.1.0")

    def launch(self, job: Job) -> Launch:
        argv = (sys.executable, "-m", "podium_shout.agent", "--prompt-file", str(job.prompt_file))
        return Launch(argv=argv, env={"PYTHONPATH": ":".join(sys.path)}, model="shout-1")

    def parse(self, line: str) -> Sequence[AgentEvent]:
        try:
            event = json.loads(line)
        except ValueError:
            return (AgentEvent("text", line),)
        if not isinstance(event, dict):
            return (AgentEvent("text", line),)
        if event.get("type") == "usage":
            return (
                AgentEvent(
                    "usage",
                    input_tokens=int(event.get("in", 0)),
                    output_tokens=int(event.get("out", 0)),
                ),
            )
        if event.get("type") == "done":
            return (
                AgentEvent("result", str(event.get("text", "")), is_error=bool(event.get("error"))),
            )
        return (AgentEvent("text", str(event.get("text", line))),)

    def verdict(self, exit_code: int, events: Sequence[AgentEvent]) -> Verdict:
        if exit_code != 0:
            return Verdict(False, f"shout exited with status {exit_code}")
        if any(e.kind == "result" and e.is_error for e in events):
            return Verdict(False, "shout reported an error")
        return Verdict(True)
