"""The watchdog on its own, with real processes: fed `+PID START` / `-PID` lines on stdin, it
kills every group still listed when the pipe closes, and nothing else."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from podium.runs.reaper import kill_group, start_time

Agent = subprocess.Popen[bytes]


def reap(*lines: str) -> None:
    """Run the reaper, tell it `lines`, then close its pipe as a dying coordinator would."""
    done = subprocess.run(
        [sys.executable, "-m", "podium.runs.reaper"],
        input="".join(f"{line}\n" for line in lines),
        text=True,
        timeout=60,
    )
    assert done.returncode == 0


def spared(agent: Agent) -> bool:
    """Not killed by the reaper: our SIGTERM, sent after the reaper exited, is what ends it
    (a SIGKILL the reaper had sent would have been first)."""
    agent.terminate()
    return agent.wait(timeout=60) == -signal.SIGTERM


def test_a_listed_group_is_killed(agent_group: Agent) -> None:
    reap(f"+{agent_group.pid} {start_time(agent_group.pid)}")
    assert agent_group.wait(timeout=60) == -9


def test_a_listed_group_without_a_start_time_is_killed(agent_group: Agent) -> None:
    reap(f"+{agent_group.pid}")
    assert agent_group.wait(timeout=60) == -9


def test_a_group_taken_off_the_list_is_left_alone(agent_group: Agent) -> None:
    reap(f"+{agent_group.pid} {start_time(agent_group.pid)}", f"-{agent_group.pid}")
    assert spared(agent_group)


def test_a_pid_reused_by_another_process_is_left_alone(agent_group: Agent) -> None:
    reap(f"+{agent_group.pid} 1")  # started at tick 1 after boot: some other process
    assert spared(agent_group)


def test_a_gone_process_has_no_start_time_and_killing_it_is_no_error(agent_group: Agent) -> None:
    started = start_time(agent_group.pid)
    assert started is not None and started.isdigit()
    agent_group.kill()
    agent_group.wait(timeout=60)
    assert start_time(agent_group.pid) is None
    kill_group(agent_group.pid, started)


@pytest.mark.parametrize("pid", [0, 99_999_999])
def test_start_time_of_no_such_process(pid: int) -> None:
    assert start_time(pid) is None
