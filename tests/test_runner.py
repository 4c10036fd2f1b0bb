"""The runner against real processes: streams, timeouts, and no process left behind."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from podium.agents.base import Launch
from podium.agents.command import CommandAdapter
from podium.agents.runner import Limits, Outcome, agent_env, run_agent

CHILD_SCRIPT = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open(sys.argv[1], "w").write(str(child.pid))
print("started", flush=True)
{tail}
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


def run(argv: list[str], tmp: Path, limits: Limits) -> Outcome:
    launch = Launch(tuple(argv), inherit_env=True)
    env = agent_env(launch, tmp, True)
    return asyncio.run(run_agent(CommandAdapter(), launch, tmp, tmp / "a.log", limits, env))


def test_output_is_logged_and_parsed(tmp_path: Path) -> None:
    outcome = run([sys.executable, "-c", "print('one'); print('two')"], tmp_path, Limits(30, 30))
    assert outcome.exit_code == 0 and outcome.killed == ""
    assert [e.text for e in outcome.events] == ["one", "two"]
    assert (tmp_path / "a.log").read_text() == "one\ntwo\n"


def test_silent_agent_and_its_children_are_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = CHILD_SCRIPT.format(tail="time.sleep(600)")
    outcome = run([sys.executable, "-c", script, str(pidfile)], tmp_path, Limits(60, 1.0))
    assert outcome.killed == "silence"
    assert "silence" in outcome.reason
    child = int(pidfile.read_text())
    time.sleep(0.2)
    assert not alive(child), "the agent's child outlived its attempt"
    assert not alive(outcome.pid)


def test_wall_clock_timeout_kills_a_chatty_agent(tmp_path: Path) -> None:
    script = "import time\nwhile True:\n    print('busy', flush=True); time.sleep(0.1)"
    outcome = run([sys.executable, "-c", script], tmp_path, Limits(1.0, 30))
    assert outcome.killed == "wall"


def test_children_left_behind_after_a_normal_exit_are_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = CHILD_SCRIPT.format(tail="sys.exit(0)")
    outcome = run([sys.executable, "-c", script, str(pidfile)], tmp_path, Limits(60, 60))
    assert outcome.exit_code == 0
    time.sleep(0.2)
    assert not alive(int(pidfile.read_text()))


def test_sigterm_ignoring_agent_is_killed(tmp_path: Path) -> None:
    script = (
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('x', flush=True)\ntime.sleep(600)"
    )
    outcome = run([sys.executable, "-c", script], tmp_path, Limits(60, 0.5))
    assert outcome.killed == "silence" and outcome.exit_code == -signal.SIGKILL


def test_missing_program_is_an_outcome_not_a_crash(tmp_path: Path) -> None:
    outcome = run(["no-such-agent-xyz"], tmp_path, Limits(5, 5))
    assert outcome.exit_code is None
    assert "could not start 'no-such-agent-xyz'" in outcome.error


def test_stdin_is_dev_null(tmp_path: Path) -> None:
    script = "import sys; print(repr(sys.stdin.read()))"
    outcome = run([sys.executable, "-c", script], tmp_path, Limits(10, 10))
    assert [e.text for e in outcome.events] == ["''"]


def test_minimal_env_for_cli_agents(tmp_path: Path, monkeypatch: object) -> None:
    os.environ["PODIUM_TEST_SECRET"] = "s3cret"
    try:
        env = agent_env(Launch(("x",), env={"A": "1"}), tmp_path, inherit=False)
    finally:
        del os.environ["PODIUM_TEST_SECRET"]
    assert "PODIUM_TEST_SECRET" not in env
    assert env["HOME"] == str(tmp_path) and env["A"] == "1" and "PATH" in env
