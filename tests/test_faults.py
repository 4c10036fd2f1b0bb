"""Fault injection for the kill battery: PODIUM_FAULT kills a real process at the named pass."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

from podium.runs import faults

from conftest import PYTHON

SRC = Path(faults.__file__).parents[1]
WALK = """
from podium.runs import faults
for name in ("merging", "verifying", "merging", "merging"):
    faults.point(name)
    print(name, flush=True)
"""


def walk(spec: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PODIUM_FAULT"}
    if spec is not None:
        env["PODIUM_FAULT"] = spec
    return subprocess.run([PYTHON, "-c", WALK], env=env, capture_output=True, text=True, timeout=60)


def test_without_a_fault_every_point_is_passed() -> None:
    done = walk(None)
    assert (done.returncode, done.stdout.split()) == (
        0,
        ["merging", "verifying", "merging", "merging"],
    )


def test_the_process_is_killed_the_first_time_it_reaches_the_point() -> None:
    done = walk("verifying")
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split() == ["merging"]


def test_a_count_kills_it_on_that_pass() -> None:
    done = walk("merging:3")
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split() == ["merging", "verifying", "merging"]


def test_a_point_never_reached_lets_the_process_finish() -> None:
    assert walk("ref-updated").returncode == 0


def test_every_listed_point_is_placed_in_podium_exactly_once() -> None:
    placed = [
        name
        for path in SRC.rglob("*.py")
        for name in re.findall(r'faults\.point\("([a-z-]+)"\)', path.read_text(encoding="utf-8"))
    ]
    assert sorted(placed) == sorted(faults.POINTS + faults.REMOTE_POINTS)
