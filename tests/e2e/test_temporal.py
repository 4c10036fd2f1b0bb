"""Attempts on workers through a real Temporal dev server: a bare repository is the only
thing the coordinator and the workers share. Each test starts its own server and workers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import git
from temporalkit import Fleet, Server, attempts, coordinator, finish, landed, podium, ten_tasks


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    (tmp_path / "temporal").mkdir()
    srv = Server(tmp_path / "temporal" / "dev.db")
    srv.start()
    yield srv
    srv.kill()


@pytest.fixture
def fleet(tmp_path: Path, server: Server) -> Iterator[Fleet]:
    group = Fleet(tmp_path / "workers", server, f"q{server.port}")
    yield group
    group.stop()


def test_a_ten_task_plan_lands_entirely_through_workers(tmp_path: Path, fleet: Fleet) -> None:
    for name in ("w1", "w2", "w3"):
        fleet.start(name)
    repo = coordinator(tmp_path, fleet, ten_tasks())
    code, out, err = finish(podium(repo, "run", "plan.yaml"))
    assert code == 0, err
    states = {t["id"]: t["state"] for t in json.loads(out)["tasks"]}
    assert set(states.values()) == {"merged"}
    assert sorted(landed(repo)) == sorted(f"r1/{t}" for t in "abcdefghij")
    assert attempts(repo) == {t: 1 for t in "abcdefghij"}
    assert sorted(fleet.started()) == sorted(f"podium/r1/{t}/a1" for t in "abcdefghij")
    log = (repo / ".podium" / "logs" / "r1" / "a" / "a1.log").read_text()
    assert log.startswith("[podium: ran on worker")
    git(repo, "checkout", "-q", "main")
    assert subprocess.run([sys.executable, "gate.py"], cwd=repo).returncode == 0
