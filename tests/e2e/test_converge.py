"""Running a plan again converges the target on it: fail, fix, run again; kill -9, run again;
resume, then run again; change a merged task's goal; retry a finished run. Each agent logs
every invocation to a file outside the repository, so "ran again" is counted, not guessed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import PYTHON, git
from test_crash import GATE, GOOD, KILL_POINTS, none_left
from test_crash import battery_repo as battery_repo  # a fixture, used by name
from test_crash import podium as battery_podium

# The agent: log the invocation, fail while the cause file exists, then append one line.
AGENT = """
import os, pathlib, sys, time
log, task, worktree, path, line, cause, pause = sys.argv[1:8]
with open(log, "a") as out:
    out.write(f"{task} {os.environ['PODIUM_RUN']} a{os.environ['PODIUM_ATTEMPT']}\\n")
if cause != "-" and os.path.exists(cause):
    print("the cause of the failure is still there:", cause)
    sys.exit(3)
time.sleep(float(pause))
target = pathlib.Path(worktree) / path
target.parent.mkdir(parents=True, exist_ok=True)
with target.open("a") as out:
    out.write(line + "\\n")
"""


class Scene:
    """A repository, its plan, the agents' invocation log and the failure's cause."""

    def __init__(self, root: Path) -> None:
        self.repo = root / "calc"
        self.log = root / "invocations.log"
        self.cause = root / "cause"
        self.agent = root / "agent.py"
        self.agent.write_text(AGENT)
        self.repo.mkdir()
        git(self.repo, "init", "-q", "-b", "main")
        (self.repo / "calc").mkdir()
        (self.repo / "calc" / "ops.py").write_text("# operations\n")
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-qm", "initial")
        self.pause = 0.0

    def task(
        self, id: str, line: str, after: tuple[str, ...] = (), fails: bool = False
    ) -> dict[str, Any]:
        path = f"calc/{id}.py"
        cause = str(self.cause) if fails else "-"
        argv = [PYTHON, str(self.agent), str(self.log), id, "{worktree}", path, line, cause]
        return {
            "id": id,
            "goal": f"add {line}",
            "files": [path],
            "after": list(after),
            "command": [*argv, str(self.pause)],
        }

    def write_plan(self, *tasks: dict[str, Any], parallel: int = 2) -> None:
        plan = {
            "name": "calc",
            "agent": "command",
            "gates": [],
            "max_parallel": parallel,
            "tasks": list(tasks),
        }
        (self.repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))

    def standard_plan(self) -> None:
        self.write_plan(
            self.task("add", "def add(a, b): return a + b"),
            self.task("mul", "def mul(a, b): return a * b"),
            self.task("div", "def div(a, b): return a / b", fails=True),
            self.task("mean", "def mean(xs): return sum(xs) / len(xs)", after=("div",)),
        )

    def podium(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "podium", *args],
            cwd=self.repo,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def invocations(self) -> list[tuple[str, str]]:
        """(task, run) for each time an agent was started."""
        if not self.log.exists():
            return []
        return [tuple(line.split()[:2]) for line in self.log.read_text().splitlines()]  # type: ignore[misc]

    def ran_in(self, run: str) -> list[str]:
        return sorted(task for task, r in self.invocations() if r == run)

    def on_main(self, path: str) -> list[str]:
        shown = subprocess.run(
            ["git", "show", f"main:{path}"], cwd=self.repo, capture_output=True, text=True
        )
        return shown.stdout.splitlines() if shown.returncode == 0 else []

    def identities(self) -> list[str]:
        text = git(self.repo, "log", "--format=%(trailers:key=Podium-Identity,valueonly)", "main")
        return sorted(line.split("@")[0] for line in text.split())

    def status(self, run: str | None = None) -> dict[str, Any]:
        proc = self.podium("status", "--json", *([run] if run else []))
        assert proc.returncode == 0, proc.stderr
        data: dict[str, Any] = json.loads(proc.stdout)
        return data


def states(data: dict[str, Any]) -> dict[str, str]:
    return {t["id"]: t["state"] for t in data["tasks"]}


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    return Scene(tmp_path)


def assert_each_change_once(scene: Scene) -> None:
    for task, line in (("add", "def add"), ("mul", "def mul"), ("div", "def div")):
        lines = scene.on_main(f"calc/{task}.py")
        assert sum(x.startswith(line) for x in lines) == 1, (task, lines)
    assert scene.identities() == ["calc/add", "calc/div", "calc/mean", "calc/mul"]


def test_fail_fix_run_again_runs_only_the_failed_task_and_its_dependent(scene: Scene) -> None:
    scene.cause.write_text("a missing dependency\n")
    scene.standard_plan()
    first = scene.podium("run", "plan.yaml")
    assert first.returncode == 1, first.stdout + first.stderr
    assert states(scene.status()) == {
        "add": "merged", "mul": "merged", "div": "failed", "mean": "blocked",
    }  # fmt: skip
    assert "`podium retry div`" in first.stdout  # how to go on, said at the end
    assert scene.ran_in("r1") == ["add", "div", "div", "mul"]

    scene.cause.unlink()  # the user fixes the cause
    again = scene.podium("run", "plan.yaml")
    assert again.returncode == 0, again.stdout + again.stderr
    assert (
        "r2 continues plan calc: 2 already merged, 1 failed before, 1 blocked → 2 to run"
        in again.stderr
    )
    assert scene.ran_in("r2") == ["div", "mean"]
    assert_each_change_once(scene)
    r2 = scene.status("r2")
    assert states(r2) == {t: "merged" for t in ("add", "mul", "div", "mean")}
    reasons = {t["id"]: t["reason"] for t in r2["tasks"]}
    assert reasons["add"].startswith("already on main (from r1, ")

    third = scene.podium("run", "plan.yaml")  # converged: nothing left to do
    assert third.returncode == 0
    assert "r3 continues plan calc: 4 already merged → 0 to run" in third.stderr
    assert scene.ran_in("r3") == []


def kill_mid_run(scene: Scene) -> None:
    """Start the plan, SIGKILL the coordinator once one task has merged and one is running."""
    scene.pause = 2.0
    scene.write_plan(
        scene.task("add", "def add(a, b): return a + b"),
        scene.task("mul", "def mul(a, b): return a * b"),
        scene.task("div", "def div(a, b): return a / b", after=("add",)),
        scene.task("mean", "def mean(xs): return sum(xs) / len(xs)", after=("div",)),
        parallel=1,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "podium", "run", "plan.yaml"],
        cwd=scene.repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db_path = scene.repo / ".podium" / "podium.db"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if db_path.exists():
            db = sqlite3.connect(db_path)
            try:
                rows = dict(db.execute("SELECT task_id, state FROM tasks"))
            except sqlite3.OperationalError:
                rows = {}
            finally:
                db.close()
            if list(rows.values()).count("merged") == 1 and "running" in rows.values():
                break
        time.sleep(0.05)
    else:
        proc.kill()
        raise AssertionError("the run never had one task merged and one running")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_kill_then_run_again_lands_each_change_once(scene: Scene) -> None:
    kill_mid_run(scene)
    data = scene.status()
    assert data["status"] == "interrupted"  # not "running": its coordinator is gone
    lost = [a for t in data["tasks"] for a in t["attempt_list"] if a["outcome"] == "lost"]
    assert len(lost) == 1 and lost[0]["finished_at"] is not None
    text = scene.podium("status").stdout
    assert "`podium resume r1` finishes it" in text
    merged_in_r1 = {t for t, s in states(data).items() if s == "merged"}

    again = scene.podium("run", "plan.yaml")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "r2 continues plan calc: 1 already merged" in again.stderr
    assert not merged_in_r1 & set(scene.ran_in("r2"))  # nothing that had merged ran again
    assert_each_change_once(scene)
    r1 = scene.status("r1")
    assert r1["status"] == "interrupted"
    # the lost attempt ended at its last sign of life, before r2 even started
    assert (
        max(a["finished_at"] or 0 for t in r1["tasks"] for a in t["attempt_list"])
        <= (scene.status("r2")["created_at"])
    )
    assert scene.podium("resume", "r1").returncode == 0  # nothing left for it: all on main
    assert scene.ran_in("r1").count("mean") == 0
    assert_each_change_once(scene)


def test_kill_then_resume_then_run_again_runs_nothing(scene: Scene) -> None:
    kill_mid_run(scene)
    resumed = scene.podium("resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert_each_change_once(scene)
    before = len(scene.invocations())
    again = scene.podium("run", "plan.yaml")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "r2 continues plan calc: 4 already merged → 0 to run" in again.stderr
    assert len(scene.invocations()) == before
    assert_each_change_once(scene)


def test_a_merged_task_whose_goal_changed_runs_again_alone(scene: Scene) -> None:
    scene.standard_plan()
    assert scene.podium("run", "plan.yaml").returncode == 0
    plan = yaml.safe_load((scene.repo / "plan.yaml").read_text())
    mul = plan["tasks"][1]
    mul["goal"] = "add mul, documented"
    mul["command"][6] = "# mul multiplies"
    (scene.repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    again = scene.podium("run", "plan.yaml")
    assert again.returncode == 0, again.stdout + again.stderr
    assert scene.ran_in("r2") == ["mul"]
    assert scene.on_main("calc/mul.py") == ["def mul(a, b): return a * b", "# mul multiplies"]
    assert "r2 continues plan calc: 3 already merged, 1 new or changed → 1 to run" in again.stderr
    forced = scene.podium("run", "plan.yaml", "--rerun", "add")
    assert forced.returncode == 0
    assert scene.ran_in("r3") == ["add"]
    bad = scene.podium("run", "plan.yaml", "--rerun", "nope")
    assert bad.returncode == 2
    assert "--rerun: no task 'nope' in plan 'calc' (tasks: add, mul, div, mean" in bad.stderr


def test_retry_on_a_finished_run_and_times_that_reading_never_changes(scene: Scene) -> None:
    scene.cause.write_text("still broken\n")
    scene.standard_plan()
    assert scene.podium("run", "plan.yaml").returncode == 1
    finished = scene.status()
    page = scene.repo / "r1.html"
    assert scene.podium("report", "-o", str(page)).returncode == 0
    noop = scene.podium("resume")
    assert noop.returncode == 1  # the run did not finish its work, and nothing was resumed
    assert scene.status() == finished  # times, states, attempts: untouched
    assert scene.ran_in("r1") == ["add", "div", "div", "mul"]

    refused = scene.podium("retry", "add")
    assert refused.returncode == 2
    assert "task 'add' of run r1 is already merged" in refused.stderr
    blocked = scene.podium("retry", "mean")
    assert blocked.returncode == 2 and "blocked behind div: retry that instead" in blocked.stderr

    scene.cause.unlink()
    retried = scene.podium("retry", "div")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert scene.ran_in("r1") == ["add", "div", "div", "div", "mean", "mul"]
    data = scene.status()
    assert states(data) == {t: "merged" for t in ("add", "mul", "div", "mean")}
    div = next(t for t in data["tasks"] if t["id"] == "div")
    assert [a["outcome"] for a in div["attempt_list"]] == ["agent_failed", "agent_failed", "merged"]
    assert_each_change_once(scene)


def test_attempts_in_one_go_never_pass_max_attempts(scene: Scene) -> None:
    scene.cause.write_text("broken\n")
    scene.standard_plan()
    (scene.repo / "podium.toml").write_text("max_attempts = 3\n")
    assert scene.podium("run", "plan.yaml").returncode == 1
    assert scene.ran_in("r1").count("div") == 3
    assert scene.podium("retry", "div").returncode == 1  # a fresh budget: three more
    assert scene.ran_in("r1").count("div") == 6


# -- the kill battery, with "run the plan again" in place of `podium resume` ---------------


@pytest.mark.slow
@pytest.mark.parametrize("fault", KILL_POINTS)
def test_kill_then_run_the_plan_again(battery_repo: Path, fault: str) -> None:
    repo = battery_repo
    base = git(repo, "rev-parse", "main")
    first = battery_podium(repo, "run", "plan.yaml", fault=fault)
    assert first.returncode == -signal.SIGKILL, f"fault point {fault} was never reached"
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    merged_in_r1 = {r[0] for r in db.execute("SELECT task_id FROM tasks WHERE state='merged'")}
    db.close()
    again = battery_podium(repo, "run", "plan.yaml")
    assert again.returncode == 1, again.stdout + again.stderr  # 'bad' fails, by design
    landed = git(repo, "log", "--format=%(trailers:key=Podium-Identity,valueonly)", f"{base}..main")
    names = sorted(line.split("@")[0].split("/")[1] for line in landed.split())
    assert names == sorted(GOOD), "each good task must land exactly once, across both runs"
    assert subprocess.run(GATE.split(), cwd=repo).returncode == 0
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    runs = dict(db.execute("SELECT id, status FROM runs"))
    assert runs == {"r1": "interrupted", "r2": "finished"}
    r2 = dict(db.execute("SELECT task_id, state FROM tasks WHERE run_id='r2'"))
    failed = {"bad": "failed", "after-bad": "blocked", "broken": "failed"}
    assert r2 == {**{t: "merged" for t in GOOD}, **failed}
    rerun = {r[0] for r in db.execute("SELECT task_id FROM attempts WHERE run_id='r2'")}
    assert not rerun & merged_in_r1, "a task merged in r1 ran again in r2"
    for run in ("r1", "r2"):
        versions = dict(db.execute("SELECT task_id, version FROM tasks WHERE run_id=?", (run,)))
        events = dict(
            db.execute(
                "SELECT task_id, COUNT(*) FROM events WHERE kind='task.state' AND run_id=? "
                "GROUP BY task_id",
                (run,),
            )
        )
        assert versions == events
    db.close()
    trees = [line for line in git(repo, "worktree", "list").splitlines() if ".podium" in line]
    kept = ("/bad-a", "/broken-a")  # only failed attempts are kept
    assert all(any(k in line for k in kept) for line in trees), trees
    assert none_left(repo.parent) == []


def test_ctrl_c_cancels_records_cancelled_attempts_and_says_how_to_go_on(scene: Scene) -> None:
    scene.pause = 30.0  # the agents are still at work when Ctrl-C comes
    scene.write_plan(scene.task("add", "def add(a, b): return a + b"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "podium", "run", "plan.yaml"],
        cwd=scene.repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "add" not in dict(scene.invocations()):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, out + err
    assert "next: run r1 was cancelled: `podium resume r1` carries it on" in out
    data = scene.status()
    assert data["status"] == "cancelled"
    add = data["tasks"][0]
    assert add["state"] == "cancelled"
    assert [a["outcome"] for a in add["attempt_list"]] == ["cancelled"]
    scene.pause = 0.0
    scene.write_plan(scene.task("add", "def add(a, b): return a + b"))
    resumed = scene.podium("run", "plan.yaml")  # or `podium resume r1`: either goes on
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert_each_change_once_for(scene, ["add"])


def assert_each_change_once_for(scene: Scene, tasks: list[str]) -> None:
    for task in tasks:
        lines = scene.on_main(f"calc/{task}.py")
        assert sum(x.startswith(f"def {task}") for x in lines) == 1, (task, lines)
