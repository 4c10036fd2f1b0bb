"""Scheduler benchmark: a whole simulated run of a 10,000-task plan with instant outcomes.

Run: python bench/scheduler.py   (exit 1 when the decisions take longer than the target)

Each round uses fresh task ids and paths, so no cache survives from one round to the next;
the verdict takes the best round, and each round also times a plain readiness scan (the work
any scheduler must at least do) so that a noisy machine shows in the ratio.
"""

from __future__ import annotations

import random
import sys
import time

from podium.scheduling.scheduler import SchedState, Start, TaskView, decide

QUICK = "--quick" in sys.argv  # a small version, for tests/test_bench.py
TASKS = 300 if QUICK else 10_000
PATHS = 200 if QUICK else 2_000
DIRS = 100
MAX_PARALLEL = 16
TARGET_S = 1.0
ROUNDS = 1 if QUICK else 3


def owned_paths(rng: random.Random, tag: str) -> list[str]:
    """2,000 distinct owned paths: mostly files, one `dir/**` glob in twenty."""
    globs = [f"{tag}/pkg{d}/**" for d in range(DIRS)]
    files = [f"{tag}/pkg{k % DIRS}/mod{k}.py" for k in range(PATHS - DIRS)]
    paths = globs + files
    rng.shuffle(paths)
    return paths


def plan(tag: str = "src", seed: int = 7) -> tuple[TaskView, ...]:
    """A random DAG: each task owns 1-3 paths and depends on up to 3 earlier tasks."""
    rng = random.Random(seed)
    paths = owned_paths(rng, tag)
    tasks = []
    for i in range(TASKS):
        after = {f"{tag}-{rng.randrange(i)}" for _ in range(rng.randint(0, 3))} if i else set()
        files = tuple(rng.sample(paths, rng.randint(1, 3)))
        minutes = float(rng.randint(5, 60))
        view = TaskView(f"{tag}-{i}", tuple(sorted(after)), files, rng.randint(1, 5), minutes)
        tasks.append(view)
    return tuple(tasks)


def simulate(tasks: tuple[TaskView, ...]) -> tuple[float, int, float]:
    """Decide, merge every started task at once, repeat: (decide seconds, calls, scan seconds)."""
    states = {t.id: "pending" for t in tasks}
    spent = scan = 0.0
    calls, left = 0, len(tasks)
    while left:
        t0 = time.perf_counter()
        ready = [
            t
            for t in tasks
            if states[t.id] == "pending" and all(states[d] == "merged" for d in t.after)
        ]
        t1 = time.perf_counter()
        actions = decide(SchedState(tasks, states, MAX_PARALLEL))
        t2 = time.perf_counter()
        scan, spent, calls = scan + t1 - t0, spent + t2 - t1, calls + 1
        started = [a.task for a in actions if isinstance(a, Start)]
        if not started:
            raise SystemExit(f"stuck with {left} tasks left and {len(ready)} ready")
        for task in started:
            states[task] = "merged"
        left -= len(started)
    return spent, calls, scan


def main() -> int:
    rounds = [simulate(plan(f"r{k}")) for k in range(ROUNDS)]
    for k, (spent, _, scan) in enumerate(rounds):
        print(
            f"round {k}: decide {spent:.2f}s, readiness scan {scan:.2f}s, ratio {spent / scan:.2f}"
        )
    spent, calls, scan = min(rounds)
    verdict = "quick, no verdict" if QUICK else "OK" if spent <= TARGET_S else "FAIL"
    print(
        f"baseline: readiness scan {scan:.2f}s in the same round; decide/scan = {spent / scan:.2f}"
    )
    print(f"scheduler: total {spent:.2f}s for {calls} decisions (target <= {TARGET_S} s) {verdict}")
    return 0 if verdict != "FAIL" else 1


if __name__ == "__main__":
    sys.exit(main())
