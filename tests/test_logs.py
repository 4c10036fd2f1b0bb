"""`podium logs`: what an agent said and did, while it works (`-f`) and after."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import yaml

from conftest import agent

DEADLINE = 120.0  # seconds a step may take on a loaded machine before the test gives up


def podium(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", *args], cwd=repo, capture_output=True, text=True
    )


def start(repo: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "podium", *args],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, text: str) -> None:
    """Until `path` holds `text` (a file written by another process)."""
    give_up = time.monotonic() + DEADLINE
    while not (path.exists() and text in path.read_text()):
        assert time.monotonic() < give_up, f"{path} never held {text!r}"
        time.sleep(0.05)


def test_follow_prints_lines_while_the_agent_works(calc_repo: Path, tmp_path: Path) -> None:
    release = tmp_path / "release"
    ops = ["say", "first line", "wait-for", str(release), "say", "second line"]
    ops += ["write", "notes.txt", "done"]
    plan = {
        "name": "hold",
        "agent": "command",
        "tasks": [{"id": "t", "goal": "g", "command": agent(*ops)}],
    }
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    run = subprocess.Popen([sys.executable, "-m", "podium", "run", "plan.yaml"], cwd=calc_repo)
    try:
        wait_for(calc_repo / ".podium" / "logs" / "r1" / "t" / "a1.log", "first line")
        follow = start(calc_repo, "logs", "-f", "t")
        assert follow.stdout is not None
        assert follow.stdout.readline() == "first line\n"  # while the agent is still held
        assert run.poll() is None and follow.poll() is None
        release.write_text("")
        out, err = follow.communicate(timeout=DEADLINE)
        assert follow.returncode == 0, err
        assert out == "second line\n"
        assert run.wait(timeout=DEADLINE) == 0
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert podium(calc_repo, "logs", "t").stdout == "first line\nsecond line\n"
    assert podium(calc_repo, "logs", "t", "--raw").stdout == "first line\nsecond line\n"
    again = podium(calc_repo, "logs", "t", "-f")  # an ended attempt: all of it, then done
    assert again.stdout == "first line\nsecond line\n"


def test_logs_bad_input(calc_repo: Path) -> None:
    plan = {
        "name": "one",
        "agent": "command",
        "tasks": [{"id": "t", "goal": "g", "command": agent("say", "hi", "write", "hi.txt", "hi")}],
    }
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    assert podium(calc_repo, "run", "plan.yaml").returncode == 0
    for args, said in [
        (("logs", "nope"), "podium: no task 'nope' in run r1 (tasks: t)"),
        (("logs", "t", "--attempt", "9"), "podium: task 't' has no attempt 9 (attempts: 1)"),
        (("logs", "t", "--run", "r7"), "r7"),
    ]:
        proc = podium(calc_repo, *args)
        assert proc.returncode == 2, args
        assert said in proc.stderr and "Traceback" not in proc.stderr
