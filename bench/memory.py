"""Memory bench: the coordinator's peak resident memory with 16 agents running at once.

Run: .venv/bin/python bench/memory.py   (exit 1 when the peak is over the target)

16 independent tasks whose agents each sleep 3 s, max_parallel 16, no gates. The figure is
the podium process's own VmHWM (peak RSS), children not included, read from
/proc/<pid>/status every 20 ms while it runs; the last reading before it exits is the peak.
For context, the same interpreter's peak RSS for `python -c pass` and for
`python -c "import podium.api"` (from wait4) is printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from _common import (
    PYTHON,
    QUICK,
    SLEEP_WRITE,
    finish,
    git,
    landed,
    make_repo,
    podium_argv,
    sandbox,
    write_plan,
)

AGENTS = 4 if QUICK else 16
SLEEP_S = 1 if QUICK else 3
TARGET_MB = 100.0


def status_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a live process, in kB; empty once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return {}
    fields = (line.split() for line in text.splitlines())
    return {f[0].rstrip(":"): int(f[1]) for f in fields if f and f[0] in ("VmRSS:", "VmHWM:")}


def children_alive(pid: int) -> int:
    """How many direct children the process has right now."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return len(text.split())


def peak_of(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Peak RSS in MB of a short process with no children, from wait4."""
    proc = subprocess.Popen(argv, cwd=cwd, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{argv} failed ({proc.returncode})")
    return usage.ru_maxrss / 1024


def watch(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Run argv; (peak RSS MB, RSS MB at the busiest moment, most children seen at once)."""
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    hwm = rss_busy = 0.0
    most = 0
    while proc.poll() is None:
        seen = status_kb(proc.pid)
        kids = children_alive(proc.pid)
        if seen:
            hwm = max(hwm, seen.get("VmHWM", 0) / 1024)
            if kids >= most:
                most, rss_busy = kids, seen.get("VmRSS", 0) / 1024
        time.sleep(0.02)
    _, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"podium run failed ({proc.returncode}):\n{err}")
    return hwm, rss_busy, most


def main() -> None:
    with sandbox("memory") as (root, env):
        repo = make_repo(root / "repo", env, 20)
        base = git(repo, env, "rev-parse", "main")
        tasks = [
            {
                "id": f"a{i:02d}",
                "goal": "sleep",
                "agent": "command",
                "files": [f"a{i:02d}.txt"],
                "command": [
                    "sh",
                    "-c",
                    SLEEP_WRITE,
                    "agent",
                    "{worktree}/" + f"a{i:02d}.txt",
                    "hi",
                    str(SLEEP_S),
                ],
            }
            for i in range(AGENTS)
        ]
        plan = {
            "name": "memory",
            "agent": "command",
            "gates": [],
            "max_parallel": AGENTS,
            "tasks": tasks,
        }
        path = write_plan(root / "plan.yaml", plan)
        bare = peak_of([PYTHON, "-c", "pass"], repo, env)
        api = peak_of([PYTHON, "-c", "import podium.api"], repo, env)
        hwm, busy, most = watch([*podium_argv(), "run", str(path)], repo, env)
        count = landed(repo, env, base)
        assert count == AGENTS, f"{count} tasks landed on main, expected {AGENTS}"
    print(f"python -c pass           : {bare:.1f} MB peak RSS")
    print(f"python -c 'import podium.api': {api:.1f} MB peak RSS")
    print(
        f"podium run, {AGENTS} agents    : {hwm:.1f} MB peak RSS of the coordinator "
        f"(RSS {busy:.1f} MB with {most} children alive; {hwm - api:+.1f} MB over the import)"
    )
    finish("memory", hwm, TARGET_MB, " MB")


if __name__ == "__main__":
    main()
