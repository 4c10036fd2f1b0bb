"""The watchdog, with real processes: when the coordinator's pipe closes, its agents die."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from podium.runs.reaper import kill_group, start_time
from podium.runs.reaper_client import Reaper

from conftest import PYTHON

SLEEPER = [PYTHON, "-c", "import time; time.sleep(120)"]


@pytest.fixture
def agent() -> Iterator[subprocess.Popen[bytes]]:
    """A stand-in agent: the leader of its own process group, as the runner starts agents."""
    proc = subprocess.Popen(SLEEPER, start_new_session=True)
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=60)


def still_alive(agent: subprocess.Popen[bytes]) -> bool:
    """Alive a second after the reaper exited (a SIGKILL it sent would have landed by then)."""
    try:
        agent.wait(timeout=1)
    except subprocess.TimeoutExpired:
        return True
    return False


def close(reaper: subprocess.Popen[str]) -> None:
    """What happens when the coordinator exits, however it exits."""
    assert reaper.stdin is not None
    reaper.stdin.close()
    assert reaper.wait(timeout=60) == 0


def test_an_agent_still_listed_is_killed_when_the_pipe_closes(
    agent: subprocess.Popen[bytes],
) -> None:
    client, reaper = Reaper.start()
    assert client.add(agent.pid) == start_time(agent.pid)
    close(reaper)
    assert agent.wait(timeout=60) == -9


def test_an_agent_that_was_removed_is_left_alone(agent: subprocess.Popen[bytes]) -> None:
    client, reaper = Reaper.start()
    client.add(agent.pid)
    client.remove(agent.pid)
    close(reaper)
    assert still_alive(agent)


def test_a_pid_reused_by_another_process_is_left_alone(agent: subprocess.Popen[bytes]) -> None:
    _, reaper = Reaper.start()
    assert reaper.stdin is not None
    reaper.stdin.write(f"+{agent.pid} 1\n")  # started at tick 1: not this process
    close(reaper)
    assert still_alive(agent)


def test_a_group_that_is_gone_is_no_error(agent: subprocess.Popen[bytes]) -> None:
    started = start_time(agent.pid)
    assert started is not None
    agent.kill()
    agent.wait(timeout=60)
    assert start_time(agent.pid) is None
    kill_group(agent.pid, started)


def test_without_a_pipe_the_client_only_reads_start_times(agent: subprocess.Popen[bytes]) -> None:
    client = Reaper(None)
    assert client.add(agent.pid) == start_time(agent.pid)
    client.remove(agent.pid)
    assert agent.poll() is None


def test_a_dead_reaper_does_not_break_the_coordinator(agent: subprocess.Popen[bytes]) -> None:
    client, reaper = Reaper.start()
    close(reaper)
    client.add(agent.pid)  # the pipe is closed: nothing to tell, nothing raised
    assert still_alive(agent)
