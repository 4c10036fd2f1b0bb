"""What `podium run` prints while it works: plain lines in a log, a live view on a terminal."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from podium.api import Reader
from podium.ui import progress

from conftest import agent

LINE = re.compile(
    r"^\d\d:\d\d:\d\d  (?P<task>\S+)\s+(?P<what>running|merged|failed|blocked|retry|warning"
    r"|cancelled)\b"
)


def task(id: str, ops: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": id, "goal": f"do {id}", "agent": "command", "command": agent(*ops), **extra}


def write_plan(repo: Path) -> None:
    plan = {
        "name": "progress",
        "agent": "command",
        "max_parallel": 2,
        "gates": [],
        "tasks": [
            task("one", ["sleep", "0.5", "write", "one.txt", "1\\n"]),
            task("two", ["sleep", "0.5", "write", "two.txt", "2\\n"]),
            task("broken", ["exit", "3"]),
            task("after-broken", ["write", "x.txt", "x\\n"], after=["broken"]),
            task("three", ["write", "three.txt", "3\\n"], after=["one"]),
        ],
    }
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))


def reader_of(repo: Path) -> Reader:
    return Reader(repo / ".podium" / "podium.db")


def test_output_to_a_pipe_is_one_plain_line_per_event(calc_repo: Path) -> None:
    write_plan(calc_repo)
    proc = subprocess.run(
        [sys.executable, "-m", "podium", "run", "plan.yaml"],
        cwd=calc_repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr
    assert "\r" not in proc.stdout
    events = proc.stdout.split("\nrun r1 (progress)")[0].splitlines()
    assert all(LINE.match(line) for line in events), events
    said = [(m["task"], m["what"]) for m in map(LINE.match, events) if m]
    with reader_of(calc_repo) as reader:
        view = reader.view()
    attempts = sum(len(t.attempts) for t in view.tasks)
    assert sum(what == "running" for _, what in said) == attempts == 5  # broken twice
    assert sorted(t for t, what in said if what == "merged") == ["one", "three", "two"]
    assert ("broken", "failed") in said and ("after-broken", "blocked") in said
    assert view.counts() == {"merged": 3, "failed": 1, "blocked": 1}


def run_on_a_terminal(repo: Path) -> str:
    """`podium run` with a pseudo-terminal as its stdout; everything it drew."""
    main, sub = pty.openpty()
    env = {**os.environ, "COLUMNS": "110", "LINES": "40", "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "podium", "run", "plan.yaml"],
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=sub,
        stderr=sub,
        env=env,
    )
    os.close(sub)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=120) == 1
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_a_terminal_gets_a_live_view_that_ends_on_a_final_frame(calc_repo: Path) -> None:
    write_plan(calc_repo)
    drawn = run_on_a_terminal(calc_repo)
    assert "\x1b[" in drawn  # a live view, redrawn in place
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)
    frames = [line for line in plain.splitlines() if line.startswith("podium r1 · progress")]
    assert len(frames) > 1
    assert "running" in frames[0] and "finished" in frames[-1]
    assert "3 merged" in plain.split(frames[-1])[-1]  # the final frame's counts
    logged = [line for line in plain.splitlines() if LINE.match(line.strip())]
    assert any("broken" in line and "failed" in line for line in logged)
    assert "run r1 (progress) on main: finished" in plain  # then the summary, as in a log


def test_the_view_reads_a_finished_run(calc_repo: Path) -> None:
    write_plan(calc_repo)
    subprocess.run(
        [sys.executable, "-m", "podium", "run", "plan.yaml", "--json"],
        cwd=calc_repo,
        capture_output=True,
        timeout=120,
    )
    with reader_of(calc_repo) as reader:
        view = reader.view("r1")
    broken = view.task("broken")
    assert [a.n for a in broken.attempts] == [1, 2] and broken.state == "failed"
    assert view.task("after-broken").duration(0.0) is None  # it never ran
    one = view.task("one")
    assert one.settled_at is not None
    assert one.duration(1e12) == one.settled_at - one.attempts[0].started_at
    assert view.run.finished_at is not None  # a finished run's clock stops at its end
    assert view.elapsed(0.0) == view.elapsed(1e12) == view.run.finished_at - view.run.created_at
    console = Console(width=100, record=True, color_system=None)
    console.print(progress.frame(view, view.run.finished_at or 0.0))
    text = console.export_text()
    assert "podium r1 · progress → main · finished" in text
    assert "3 merged  1 failed  1 blocked" in text
    assert "at work" in text and "$0.00" in text


def test_clock() -> None:
    assert progress.clock(None) == "-"
    assert progress.clock(12.7) == "0:12"
    assert progress.clock(3725) == "1:02:05"
