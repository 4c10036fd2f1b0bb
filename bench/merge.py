"""Merge queue: 16 verified tasks behind a gate that takes 2 s, batched against one by one.

Counts the gate runs on merged trees (the baseline run at the start is the same for both and
is left out) with nothing failing, then with 1 and with 3 bad tasks. Target: batched at most
0.35 times the gate runs of one-by-one when nothing fails.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from _common import PYTHON, QUICK, finish, git, podium_argv, sandbox, write_plan, write_task

TASKS = 4 if QUICK else 16
GATE_S = 0.2 if QUICK else 2
GATE = """
import pathlib, sys, time
with open(sys.argv[1], "a") as f:
    f.write("run\\n")
time.sleep(float(sys.argv[2]))
bad = [p.name for p in pathlib.Path(".").glob("out*.txt") if p.read_text() != "ok"]
sys.exit(f"bad: {bad}" if bad else 0)
"""


def scenario(root: Path, env: dict[str, str], batch: int, bad: int) -> tuple[int, float, int]:
    """(gate runs on merged trees, seconds, tasks merged) for one run."""
    repo = root / f"b{batch}-bad{bad}"
    repo.mkdir()
    git(repo, env, "init", "-q", "-b", "main")
    (repo / "gate.py").write_text(GATE)
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-qm", "gate")
    counter = root / f"runs-b{batch}-bad{bad}.txt"
    (repo / "podium.toml").write_text(
        f'gates = ["{PYTHON} gate.py {counter} {GATE_S}"]\nmax_attempts = 1\n'
        f"[merge]\nbatch = {batch}\nwait = 1.0\n"
    )
    tasks = [
        write_task(f"t{i}", f"out{i}.txt", "broken" if i < bad else "ok") for i in range(TASKS)
    ]
    plan = write_plan(
        root / f"plan-{batch}-{bad}.yaml",
        {"name": "merge-bench", "max_parallel": TASKS, "tasks": tasks},
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [*podium_argv(), "run", str(plan), "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    took = time.perf_counter() - start
    merged = sum(t["state"] == "merged" for t in json.loads(proc.stdout)["tasks"])
    runs = counter.read_text().count("run") - 1  # minus the baseline
    return runs, took, merged


def main() -> None:
    with sandbox("merge") as (root, env):
        figures = {}
        for bad in (0, 1) if QUICK else (0, 1, 3):
            one = scenario(root, env, 1, bad)
            batched = scenario(root, env, 16, bad)
            assert one[2] == batched[2] == TASKS - bad, (one, batched)
            figures[bad] = batched[0] / one[0]
            print(
                f"{bad} bad: one by one {one[0]} gate runs ({one[1]:.1f} s), "
                f"batched {batched[0]} ({batched[1]:.1f} s): ratio {figures[bad]:.2f}"
            )
        finish("merge", figures[0], 0.35, "x gate runs")


if __name__ == "__main__":
    main()
