"""The local executor carries out an attempt exactly as asked: a worktree at the base commit,
the agent run in it, what it left committed on the attempt's branch; outcomes come back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from podium.config import Config
from podium.executors.base import AttemptRequest, AttemptResult, Hooks
from podium.executors.local import LocalExecutor
from podium.plans.model import Task

from conftest import agent, git


def request(
    repo: Path, tmp: Path, command: list[str], base: str = "HEAD", **config: object
) -> AttemptRequest:
    n = 1
    task = Task("feature", "add a feature", files=("feature.py",), agent="command",
                command=tuple(command))  # fmt: skip
    return AttemptRequest(
        run_id="r1",
        task=task,
        n=n,
        base=git(repo, "rev-parse", base),
        branch=f"podium/r1/feature/a{n}",
        worktree=tmp / "wt" / f"feature-a{n}",
        prompt="Add a feature.",
        logs=tmp / "logs",
        home=tmp / "home",
        config=Config(**config),  # type: ignore[arg-type]
        message="add a feature\n\nPodium-Task: r1/feature\n",
    )


def carry_out(req: AttemptRequest, repo: Path) -> tuple[AttemptResult, list[object]]:
    seen: list[object] = []
    hooks = Hooks(on_model=seen.append, on_spawn=lambda pid: seen.append(("pid", pid)))
    return asyncio.run(LocalExecutor(repo).run(req, hooks)), seen


def test_an_attempt_starts_at_its_base_and_its_leftovers_are_committed(
    calc_repo: Path, tmp_path: Path
) -> None:
    (calc_repo / "later.txt").write_text("on the tip only\n")
    git(calc_repo, "add", "later.txt")
    git(calc_repo, "commit", "-qm", "later")
    ops = agent("say", "working", "write", "feature.py", "X = 1\\n")
    req = request(calc_repo, tmp_path, ops, base="HEAD~1")  # not the tip: the request says
    result, seen = carry_out(req, calc_repo)
    assert result.failure is None and result.outcome is not None
    assert result.outcome.exit_code == 0
    assert not (req.worktree / "later.txt").exists()  # the base, not the tip
    assert git(calc_repo, "rev-parse", req.branch) == result.head
    assert git(calc_repo, "rev-parse", f"{result.head}~1") == req.base
    assert "Podium-Task: r1/feature" in git(calc_repo, "log", "-1", "--format=%B", result.head)
    assert git(calc_repo, "show", f"{result.head}:feature.py") == "X = 1"
    assert seen[0] is None and seen[1][0] == "pid"  # type: ignore[index]
    assert (req.logs / "a1.prompt.md").read_text() == "Add a feature."
    assert "working" in (req.logs / "a1.log").read_text()


def test_a_failing_agent_comes_back_as_a_failure_with_no_head(
    calc_repo: Path, tmp_path: Path
) -> None:
    req = request(calc_repo, tmp_path, agent("write", "feature.py", "half\\n", "exit", "2"))
    result, _ = carry_out(req, calc_repo)
    assert result.outcome is not None and result.outcome.exit_code == 2
    assert result.failure is not None and "exited with status 2" in result.failure
    assert result.head == ""


def test_a_failing_setup_stops_before_the_agent(calc_repo: Path, tmp_path: Path) -> None:
    req = request(calc_repo, tmp_path, agent("write", "feature.py", "x\\n"), setup="false")
    result, seen = carry_out(req, calc_repo)
    assert result.outcome is None and seen == []
    assert result.failure is not None and "false" in result.failure
