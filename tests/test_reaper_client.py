"""The coordinator's side of the reaper: what it tells the real watchdog; surviving its death."""

from __future__ import annotations

import contextlib
import signal
import subprocess

from podium.runs.reaper import start_time
from podium.runs.reaper_client import Reaper

Agent = subprocess.Popen[bytes]


def test_an_agent_added_and_not_removed_dies_with_the_coordinator(agent_group: Agent) -> None:
    client, reaper = Reaper.start()
    assert client.add(agent_group.pid) == start_time(agent_group.pid)
    assert reaper.stdin is not None
    reaper.stdin.close()
    assert reaper.wait(timeout=60) == 0
    assert agent_group.wait(timeout=60) == -9


def test_an_agent_removed_outlives_the_coordinator(agent_group: Agent) -> None:
    client, reaper = Reaper.start()
    client.add(agent_group.pid)
    client.remove(agent_group.pid)
    assert reaper.stdin is not None
    reaper.stdin.close()
    assert reaper.wait(timeout=60) == 0
    agent_group.terminate()  # ended by us, not by a SIGKILL from the reaper
    assert agent_group.wait(timeout=60) == -signal.SIGTERM


def test_without_a_pipe_the_client_only_reads_start_times(agent_group: Agent) -> None:
    client = Reaper(None)
    assert client.add(agent_group.pid) == start_time(agent_group.pid)
    client.remove(agent_group.pid)


def test_a_dead_reaper_does_not_break_the_coordinator(agent_group: Agent) -> None:
    client, reaper = Reaper.start()
    reaper.kill()
    reaper.wait(timeout=60)
    client.add(agent_group.pid)  # a broken pipe: nothing to tell, nothing raised
    client.remove(agent_group.pid)
    assert agent_group.poll() is None
    with contextlib.suppress(BrokenPipeError):
        client.pipe.close()  # type: ignore[union-attr]
