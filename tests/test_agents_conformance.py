"""The conformance check a third-party adapter author runs: each way an adapter can break the
seam is named, and the command line's exit status says whether all adapters conform."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pytest

from podium.agents.base import AgentEvent, Availability, Job, Launch, Verdict
from podium.agents.command import CommandAdapter
from podium.agents.conformance import check_adapter


@dataclass
class Sloppy(CommandAdapter):
    """An adapter with one fault switched on at a time."""

    fault: str = ""

    def available(self, config: object = None) -> Availability:
        if self.fault == "why":
            return Availability(False, why="not installed\ntry again")
        return Availability(True, version="1")

    def launch(self, job: Job) -> Launch:
        launch = super().launch(replace(job, task=replace(job.task, command=("tool", "{prompt}"))))
        if self.fault == "key in argv":
            key = os.environ[job.config.api_key_env or ""]
            return replace(launch, argv=(*launch.argv, f"--api-key={key}"))
        if self.fault == "relative files":
            return replace(launch, files={"settings.json": "{}"})
        return launch

    def parse(self, line: str) -> Sequence[AgentEvent]:
        if self.fault == "parse raises":
            return [AgentEvent("text", line.encode("ascii").decode())]
        return super().parse(line)

    def verdict(self, exit_code: int, events: Sequence[AgentEvent]) -> Verdict:
        if self.fault == "always ok":
            return Verdict(True)
        return super().verdict(exit_code, events)


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        ("why", "available(): when not usable, `why` must be one line saying why"),
        ("key in argv", "launch() put the API key in argv (visible to every user in `ps`)"),
        ("relative files", "launch().files must be absolute paths (under the job's home)"),
        (
            "parse raises",
            "parse('\\x00ÿ') raised UnicodeEncodeError: parse must never raise",
        ),
        ("always ok", "verdict(1, ()) must be a failure with a reason"),
    ],
)
def test_each_broken_promise_is_named(fault: str, problem: str) -> None:
    assert check_adapter(Sloppy(fault=fault))[0] == problem


def test_a_sound_adapter_passes_and_its_key_does_not_linger() -> None:
    assert check_adapter(Sloppy()) == []
    assert "PODIUM_CONFORMANCE_KEY" not in os.environ


def test_the_command_line_says_ok_per_adapter_and_exits_0() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "podium.agents.conformance", "command"],
        capture_output=True,
        text=True,
    )
    assert (ok.returncode, ok.stdout) == (0, "ok command\n")
