"""Startup bench: how long `podium --help` and `podium status` take from a cold process.

Run: .venv/bin/python bench/startup.py   (exit 1 when a median is over its target)

Baseline: `python -c pass` with the same interpreter, so the figure podium adds is visible.
When a target fails, run `python -X importtime -m podium --help` to see what is imported.
"""

from __future__ import annotations

import sys

from _common import (
    PYTHON,
    QUICK,
    make_repo,
    median_time,
    podium_argv,
    run_podium,
    sandbox,
    write_plan,
    write_task,
)

RUNS = 3 if QUICK else 15
HELP_TARGET = 0.25
STATUS_TARGET = 0.4


def main() -> None:
    with sandbox("startup") as (root, env):
        repo = make_repo(root / "repo", env, 20)
        plan = {"name": "small", "agent": "command", "tasks": [write_task("hello", "h.txt")]}
        write_plan(root / "plan.yaml", plan)
        run_podium(repo, env, "run", str(root / "plan.yaml"))

        bare = median_time([PYTHON, "-c", "pass"], repo, env, RUNS)
        help_s = median_time([*podium_argv(), "--help"], repo, env, RUNS)
        status_s = median_time([*podium_argv(), "status"], repo, env, RUNS)

    print(f"python -c pass : {bare:.3f} s (median of {RUNS})")
    print(
        f"podium --help  : {help_s:.3f} s  (+{help_s - bare:.3f} s over python, "
        f"{help_s / bare:.1f}x)  target <= {HELP_TARGET} s"
    )
    print(
        f"podium status  : {status_s:.3f} s  (+{status_s - bare:.3f} s over python, "
        f"{status_s / bare:.1f}x)  target <= {STATUS_TARGET} s"
    )
    ok = help_s <= HELP_TARGET and status_s <= STATUS_TARGET
    print(
        f"startup: help {help_s:.3f} s, status {status_s:.3f} s "
        f"(target <= {HELP_TARGET} s, {STATUS_TARGET} s) "
        f"{'quick, no verdict' if QUICK else 'OK' if ok else 'FAIL'}"
    )
    sys.exit(0 if ok or QUICK else 1)


if __name__ == "__main__":
    main()
