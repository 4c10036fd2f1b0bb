"""Attempts on workers through a real Temporal dev server: a bare repository is the only
thing the coordinator and the workers share. Each test starts its own server and workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from podium.testing import ScriptedServer

from agentcases import WRITE
from agentkit import FAKE_KEY_ENV, TOOLS_BIN, require_cli, scripted_goal
from conftest import PYTHON, git, make_repo
from temporalkit import (
    Fleet,
    Server,
    agent_of,
    attempts,
    coordinator,
    finish,
    landed,
    podium,
    reason_of,
    remote_branches,
    stopped,
    task,
    ten_tasks,
    wait_for,
)


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


def test_a_worker_killed_mid_attempt_hands_the_task_to_another(
    tmp_path: Path, fleet: Fleet
) -> None:
    first = fleet.start("w1")
    hang = task("slow", ops=["first-attempt-hang", "write", "out/slow.txt", "ok\\n"])
    repo = coordinator(tmp_path, fleet, [hang, task("b")])
    run = podium(repo, "run", "plan.yaml")
    wait_for("the first attempt's agent on w1", lambda: "podium/r1/slow/a1" in first.started())
    wait_for("the agent process", lambda: bool(agent_of(first)))
    first.signal(signal.SIGKILL)
    first.proc.wait()
    second = fleet.start("w2")
    code, _, err = finish(run)
    assert code == 0, err
    assert "podium/r1/slow/a2" in second.started()
    assert sorted(landed(repo)) == ["r1/b", "r1/slow"]
    assert attempts(repo)["slow"] == 2
    assert "Heartbeat" in reason_of(repo, "slow", 1)  # lost with its worker, not a red verdict
    wait_for("the dead worker's agents to be gone", lambda: not agent_of(first), limit=30)


def test_the_coordinator_killed_mid_run_reattaches_without_dispatching_again(
    tmp_path: Path, fleet: Fleet
) -> None:
    fleet.start("w1")
    fleet.start("w2")
    tasks = [task(t, ops=["sleep", "1.5", "write", f"out/{t}.txt", "ok\\n"]) for t in "abcdef"]
    repo = coordinator(tmp_path, fleet, tasks)
    code, _, _ = finish(podium(repo, "run", "plan.yaml", PODIUM_FAULT="attempt-dispatched:3"))
    assert code == -signal.SIGKILL
    code, _, err = finish(podium(repo, "resume"))
    assert code == 0, err
    assert sorted(landed(repo)) == [f"r1/{t}" for t in "abcdef"]
    assert attempts(repo) == {t: 1 for t in "abcdef"}
    assert sorted(fleet.started()) == [f"podium/r1/{t}/a1" for t in "abcdef"]  # one agent each


def test_a_zombie_attempts_late_push_is_never_merged(tmp_path: Path, fleet: Fleet) -> None:
    # One slot: a frozen worker with a free slot would hold a poll open and swallow attempt 2.
    zombie = fleet.start("w1", env={"PODIUM_FAULT": "worker-pushing:1:stop"}, slots=1)
    write = "import os; open('out/z.txt', 'w').write('ok from a' + os.environ['PODIUM_ATTEMPT'])"
    ops = {"id": "z", "goal": "make z", "files": ["out/z.txt"], "command": [PYTHON, "-c", write]}
    repo = coordinator(tmp_path, fleet, [ops])
    run = podium(repo, "run", "plan.yaml")
    wait_for("w1 to stop itself just before pushing attempt 1", lambda: stopped(zombie))
    fleet.start("w2")
    code, _, err = finish(run)
    assert code == 0, err
    assert "podium/r1/z/a1" not in remote_branches(tmp_path)
    zombie.signal(signal.SIGCONT)  # it wakes up and pushes what the coordinator gave up on
    wait_for("the zombie's late push", lambda: "podium/r1/z/a1" in remote_branches(tmp_path))
    git(repo, "checkout", "-q", "main")
    assert (repo / "out" / "z.txt").read_text() == "ok from a2"
    assert git(repo, "log", "--format=%(trailers:key=Podium-Attempt,valueonly)", "-1") == "2"
    finish(podium(repo, "resume"))  # nothing to do: the zombie's branch is nobody's result
    assert (repo / "out" / "z.txt").read_text() == "ok from a2"
    assert landed(repo) == ["r1/z"]


def test_the_run_completes_when_the_server_restarts_mid_run(
    tmp_path: Path, server: Server, fleet: Fleet
) -> None:
    fleet.start("w1")
    fleet.start("w2")
    repo = coordinator(tmp_path, fleet, ten_tasks())
    run = podium(repo, "run", "plan.yaml")
    wait_for("attempts under way", lambda: len(fleet.started()) >= 3)
    server.kill()
    server.start()  # the same database file, the same port
    code, _, err = finish(run)
    assert code == 0, err
    assert sorted(landed(repo)) == sorted(f"r1/{t}" for t in "abcdefghij")


def test_claude_code_edits_on_a_worker_with_the_workers_own_key(
    tmp_path: Path, fleet: Fleet
) -> None:
    require_cli("claude")
    with ScriptedServer() as model:
        path = f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}"
        fleet.start("w1", env={FAKE_KEY_ENV: "sk-podium-fake", "PATH": path}, agents="claude")
        toml = f'[agents.claude]\nbase_url = "{model.url}"\napi_key_env = "{FAKE_KEY_ENV}"\n'
        feature = {"id": "feature", "goal": scripted_goal("feature", "f1", WRITE),
                   "files": ["src/feature.py"]}  # fmt: skip
        repo = coordinator(tmp_path, fleet, [feature], extra=toml, agent="claude")
        assert FAKE_KEY_ENV not in os.environ  # the coordinator has no key to send
        code, out, err = finish(podium(repo, "run", "plan.yaml"))
    assert code == 0, err
    attempt = json.loads(out)["tasks"][0]["attempt_list"][-1]
    served = model.usage()["by_tag"]["f1"]
    assert (attempt["input_tokens"], attempt["output_tokens"]) == (
        served["input_tokens"],
        served["output_tokens"],
    )
    git(repo, "checkout", "-q", "main")
    assert (repo / "src" / "feature.py").read_text() == WRITE["write_file"]["content"]


def test_podium_help_does_not_import_temporal() -> None:
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom podium.ui.cli import main\n"
        "out = CliRunner().invoke(main, ['--help']).output\n"
        "print('worker' in out, any(m.startswith('temporalio') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["True", "False"], done.stderr


def test_executor_temporal_without_a_remote_is_a_located_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"out/.keep": ""})
    (repo / "plan.yaml").write_text(
        yaml.safe_dump({"name": "p", "agent": "command", "tasks": [task("a")]})
    )
    done = subprocess.run(
        [sys.executable, "-m", "podium", "run", "plan.yaml", "--executor", "temporal"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(
        "podium: --executor temporal: podium.toml [executor]: kind 'temporal' needs remote ="
    )
    assert "podium/" not in git(repo, "branch", "--all")  # no attempt was made


def test_cancel_stops_the_agent_on_the_worker_and_pushes_nothing(
    tmp_path: Path, fleet: Fleet
) -> None:
    worker = fleet.start("w1")
    repo = coordinator(tmp_path, fleet, [task("stuck", ops=["hang"])])
    run = podium(repo, "run", "plan.yaml")
    wait_for("the agent on the worker", lambda: bool(agent_of(worker)))
    stop = subprocess.run(
        [sys.executable, "-m", "podium", "cancel"], cwd=repo, capture_output=True, text=True
    )
    assert stop.returncode == 0, stop.stderr
    code, out, _ = finish(run)
    assert code == 1
    assert json.loads(out)["tasks"][0]["state"] == "cancelled"
    wait_for("the worker to kill its agent", lambda: not agent_of(worker), limit=30)
    assert "podium/r1/stuck/a1" not in remote_branches(tmp_path)


def test_doctor_checks_the_service_the_remote_and_the_workers(tmp_path: Path, fleet: Fleet) -> None:
    repo = coordinator(tmp_path, fleet, [task("a")])

    def doctor() -> dict[str, tuple[bool, str]]:
        argv = [sys.executable, "-m", "podium", "doctor", "--json"]
        done = subprocess.run(argv, cwd=repo, capture_output=True, text=True)
        return {f["what"]: (f["ok"], f["detail"]) for f in json.loads(done.stdout)}

    before = doctor()
    assert before["temporal"] == (True, f"{fleet.server.address}, namespace 'default'")
    assert before["remote"][0] is True
    assert before["workers"] == (False, f"polling {fleet.queue!r}: none")
    fleet.start("w1")
    ok, detail = doctor()["workers"]
    assert ok and detail.endswith(":w1"), detail


def test_a_branch_moved_after_the_workers_push_is_not_landed(tmp_path: Path, fleet: Fleet) -> None:
    fleet.start("w1")
    write = "import os; open('out/m.txt', 'w').write('ok from a' + os.environ['PODIUM_ATTEMPT'])"
    ops = {"id": "m", "goal": "make m", "files": ["out/m.txt"], "command": [PYTHON, "-c", write]}
    repo = coordinator(tmp_path, fleet, [ops])
    run = podium(repo, "run", "plan.yaml", PODIUM_FAULT="attempt-dispatched:1:stop")
    remote = tmp_path / "remote.git"
    wait_for("the worker's push", lambda: "podium/r1/m/a1" in remote_branches(tmp_path))
    pushed = remote_branches(tmp_path)["podium/r1/m/a1"]
    tree = git(remote, "rev-parse", f"{pushed}^{{tree}}")
    other = git(remote, "commit-tree", tree, "-p", pushed, "-m", "someone else's push")
    git(remote, "update-ref", "refs/heads/podium/r1/m/a1", other)  # moved before it is fetched
    while run.poll() is None:  # the point stops it at every dispatch from the first on
        os.kill(run.pid, signal.SIGCONT)
        time.sleep(0.2)
    code, _, err = finish(run)
    assert code == 0, err
    assert f"is at {other}, but the worker reported {pushed}" in reason_of(repo, "m", 1)
    git(repo, "checkout", "-q", "main")
    assert (repo / "out" / "m.txt").read_text() == "ok from a2"
