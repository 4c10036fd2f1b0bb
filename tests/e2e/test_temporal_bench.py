"""bench/scale_out.py keeps working: its quick mode runs the same plan locally and on
Temporal workers and prints the ratios (figures are printed, not checked, here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "scale_out.py"


def test_the_scale_out_bench_runs_in_quick_mode(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PODIUM_BENCH_TMP": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr + done.stdout
    lines = done.stdout.splitlines()
    assert [line.split(" worker")[0] for line in lines[:2]] == ["1", "2"]
    assert all("throughput temporal/local" in line for line in lines[:2])
    assert lines[-1].startswith("scale_out (quick): wall time temporal/local")
