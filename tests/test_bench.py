"""Each bench runs end to end in its quick mode (small sizes, no verdict): what it counts
still adds up. Times are printed, never asserted (AGENTS.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[1] / "bench"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "startup",
        "overhead",
        "makespan",
        "memory",
        "merge",
        "stages",
        "scheduler",
        "routing",
        "kills",
        "agent_overhead",
        "scale",
    ],
)
def test_bench_runs_in_quick_mode(name: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.splitlines()[-1]
    assert last.startswith(f"{name.replace('_', '-')}: "), proc.stdout
    assert last.endswith("quick, no verdict"), last
