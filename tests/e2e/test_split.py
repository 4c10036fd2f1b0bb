"""Splitting a task that keeps failing, and the summary for people, for real: Claude Code
plans the split (and writes the summary) against the scripted model server, command agents
do the work. The command agent fails the whole task but does each sub-task, and the
dependent succeeds only when both sub-tasks' files are there."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from podium.testing import ScriptedServer

from agentkit import FAKE_KEY_ENV, TOOLS_BIN, podium_toml, require_cli
from conftest import git, make_repo

SPLITTING = {"any_user": "keeps failing, attempt after attempt"}
SUMMARY = {"any_user": "structured summary of why a coding agent's task failed"}
WORK = """\
import pathlib, sys
task, tree, log = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
open(log, "a").write(task + "\\n")
if task == "api":
    sys.exit("too big to do in one go")
if task in ("api.1", "api.2"):
    name = "a" if task == "api.1" else "b"
    (tree / "src/api").mkdir(parents=True, exist_ok=True)
    (tree / f"src/api/{name}.py").write_text(f"{name.upper()} = 1\\n")
if task == "docs":
    missing = [p for p in ("src/api/a.py", "src/api/b.py") if not (tree / p).exists()]
    if missing:
        sys.exit(f"docs ran before {missing}")
    (tree / "docs").mkdir(exist_ok=True)
    (tree / "docs/api.md").write_text("# api\\n")
"""


def schema_task(id: str, files: list[str], **extra: Any) -> dict[str, Any]:
    full = {
        "id": id,
        "goal": f"Write {files[0]}.",
        "description": "",
        "files": files,
        "after": [],
        "priority": 2,
        "role": "",
        "complexity": "low",
        "estimated_minutes": None,
        "checks": [{"path_exists": files[0]}],
    }
    return {**full, **extra}


def split_answer(*tasks: dict[str, Any]) -> dict[str, Any]:
    plan = {"name": "api", "description": "", "constraints": [], "tasks": list(tasks)}
    return {"json": {"value": plan}}


GOOD = split_answer(schema_task("first", ["src/api/a.py"]), schema_task("second", ["src/api/b.py"]))
OUTSIDE = split_answer(schema_task("first", ["src/api/a.py"]), schema_task("x", ["setup.py"]))


def make(tmp_path: Path, server: ScriptedServer, extra: str = "") -> tuple[Path, Path]:
    require_cli("claude")
    repo = make_repo(tmp_path / "repo", {"README.md": "# api\n", "work.py": WORK})
    log = tmp_path / "calls.log"
    command = [sys.executable, "work.py", "{task_id}", "{worktree}", str(log)]
    tasks = [
        {"id": "api", "goal": "Write the api.", "files": ["src/api/**"], "command": command},
        {"id": "docs", "goal": "Document it.", "files": ["docs/**"], "after": ["api"]},
    ]
    tasks[1]["command"] = command
    plan = {"name": "calc", "agent": "command", "tasks": tasks}
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    toml = "max_attempts = 1\n" + podium_toml("claude", server) + extra
    (repo / "podium.toml").write_text(toml)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")
    return repo, log


def podium(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        FAKE_KEY_ENV: "sk-podium-fake",
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


def rows(repo: Path, sql: str, *args: Any) -> list[Any]:
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def events(repo: Path, kind: str) -> list[dict[str, Any]]:
    found = rows(repo, "SELECT data FROM events WHERE kind=? ORDER BY id", kind)
    return [json.loads(r[0]) for r in found]


def states(repo: Path) -> dict[str, str]:
    return dict(rows(repo, "SELECT task_id, state FROM tasks WHERE run_id='r1'"))


def test_split_lands_both_parts_and_the_dependent_waits(tmp_path: Path) -> None:
    with ScriptedServer([{"match": SPLITTING, "reply": GOOD}]) as server:
        repo, log = make(tmp_path, server, "[retries]\nsplit = true\n")
        done = podium(repo, "run", "plan.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert states(repo) == {"api": "split", "docs": "merged", "api.1": "merged", "api.2": "merged"}
    calls = log.read_text().split()
    assert calls[0] == "api" and calls[-1] == "docs" and sorted(calls[1:3]) == ["api.1", "api.2"]
    assert (repo / "docs/api.md").exists() and (repo / "src/api/b.py").exists()
    [split] = events(repo, "task.split")
    assert split["parts"] == ["api.1", "api.2"] and split["reopen"] == ["docs"]
    [cost] = events(repo, "run.coordination")
    assert cost["what"] == "split" and cost["task"] == "api" and cost["calls"] == 1
    stored = yaml.safe_load(rows(repo, "SELECT plan_text FROM runs")[0][0])
    by_id = {t["id"]: t for t in stored["tasks"]}
    assert list(by_id) == ["api.1", "api.2", "docs"]
    assert by_id["docs"]["after"] == ["api.1", "api.2"]
    assert by_id["api.1"]["files"] == ["src/api/a.py"]
    shown = podium(repo, "status")
    assert "api                      split" in shown.stdout
    assert "why: split into api.1, api.2" in shown.stdout
    # The plan still has `api` whole: running it again applies the same split, runs nothing.
    again = podium(repo, "run", "plan.yaml")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "3 already merged → 0 to run" in again.stdout + again.stderr
    assert log.read_text().split() == calls
    # Bad input is refused, located, exit 2, nothing written.
    before = rows(repo, "SELECT COUNT(*) FROM events")
    for args, said in (
        (("split", "nope", "--run", "r1"), "no task 'nope' in run r1 (tasks: api, docs, api.1"),
        (("split", "docs", "--run", "r1"), "task 'docs' of run r1 is already merged"),
        (("split", "api", "--run", "r1"), "is already split into api.1, api.2"),
        (("split", "api.1", "--run", "r1"), "already merged"),
        (("split", "api", "--run", "r9"), "no run 'r9'"),
    ):
        bad = podium(repo, *args)
        assert bad.returncode == 2 and said in bad.stderr, (args, bad.stderr)
    assert rows(repo, "SELECT COUNT(*) FROM events") == before


def test_garbage_split_changes_nothing(tmp_path: Path) -> None:
    script = [
        {"match": {"any_user": "Your previous answer was rejected"}, "reply": OUTSIDE},
        {"match": SPLITTING, "reply": {"text": "I would rather not split today."}},
    ]
    with ScriptedServer(script) as server:
        repo, log = make(tmp_path, server, "[retries]\nsplit = true\n")
        done = podium(repo, "run", "plan.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert states(repo) == {"api": "failed", "docs": "blocked"}
    assert log.read_text().split() == ["api"]
    [run] = rows(repo, "SELECT plan_text FROM runs")
    assert [t["id"] for t in yaml.safe_load(run[0])["tasks"]] == ["api", "docs"]
    assert events(repo, "task.split") == []
    [refused] = events(repo, "task.split_failed")
    assert "setup.py lie outside what 'api' owns (src/api/**)" in refused["error"]
    [reason] = rows(repo, "SELECT reason FROM tasks WHERE task_id='api'")
    assert "not split: the planner (claude) gave no valid split" in reason[0]
    assert events(repo, "run.coordination")[0]["calls"] == 2
    git(repo, "checkout", "-q", "main")
    assert not (repo / "src/api").exists()


def test_summary_for_people_and_a_failing_summary_call(tmp_path: Path) -> None:
    said = "The api task failed because the agent gave up. Split it or simplify the goal."
    with ScriptedServer([{"match": SUMMARY, "reply": {"text": said}}]) as server:
        summaries = '[summaries]\nagent = "claude:claude-haiku-4-5"\n'
        repo, _ = make(tmp_path / "ok", server, summaries)
        done = podium(repo, "run", "plan.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"in short: {said}" in done.stdout
    [summary] = events(repo, "task.summary")
    assert summary["text"] == said and summary["model"] == "claude-haiku-4-5"
    [cost] = events(repo, "run.coordination")
    assert cost["what"] == "summary" and cost["cost_usd"] > 0
    status = json.loads(podium(repo, "status", "--json").stdout)
    api = next(t for t in status["tasks"] if t["id"] == "api")
    assert api["summary"]["text"] == said and api["failure"]["stage"] == "agent"

    with ScriptedServer([{"match": SUMMARY, "reply": {"error": 400}}]) as server:
        repo, _ = make(tmp_path / "bad", server, summaries)
        done = podium(repo, "run", "plan.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert states(repo) == {"api": "failed", "docs": "blocked"}
    [skipped] = events(repo, "task.summary")
    assert "summary" not in skipped.get("text", "") and skipped["skipped"]
    assert "(summary skipped:" in podium(repo, "status").stdout
    assert events(repo, "run.coordination") == []
