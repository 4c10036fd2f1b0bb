"""`podium clean` and `podium gc` on a real repository and store: what goes, and what never does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium import api
from podium.config import Config
from podium.runs import worktrees
from podium.runs.housekeeping import DAY, clean, collect_garbage, old_runs
from podium.scheduling import lifecycle
from podium.store import RunRow, Store

from conftest import git

Record = Callable[..., object]
NOW = 1_000_000.0


def attempt_tree(repo: Path, store: Store, record: Record, task: str) -> Path:
    """A real worktree and branch for attempt 1 of `task` in run r1, as the engine makes them."""
    path = worktrees.worktree_path(repo, "r1", task, 1)
    worktrees.create_worktree(repo, path, worktrees.branch_name("r1", task, 1), "HEAD", Config())
    record(store, task, worktree=str(path))
    return path


@pytest.fixture
def repo_store(calc_repo: Path) -> Iterator[Store]:
    store = api.open_store(calc_repo)
    run = RunRow("r1", "shop", "", "main", "base", "failed", 2, "[]", NOW - 10 * DAY, NOW - 9 * DAY)
    store.create_run(run, ["api", "docs"], NOW - 10 * DAY)
    yield store
    store.close()


def branches(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/podium/").split()


def test_clean_removes_kept_worktrees_but_keeps_their_branches(
    calc_repo: Path, repo_store: Store, record_attempt: Record
) -> None:
    attempt_tree(calc_repo, repo_store, record_attempt, "api")
    attempt_tree(calc_repo, repo_store, record_attempt, "docs")
    assert clean(calc_repo) == [".podium/worktrees/r1/api-a1", ".podium/worktrees/r1/docs-a1"]
    assert not (calc_repo / ".podium" / "worktrees" / "r1").exists()
    assert branches(calc_repo) == ["podium/r1/api/a1", "podium/r1/docs/a1"]
    assert "podium/r1/api/a1" not in git(calc_repo, "worktree", "list")
    assert clean(calc_repo) == []


def test_gc_drops_merged_work_and_orphans_but_never_unmerged_work(
    calc_repo: Path, repo_store: Store, record_attempt: Record
) -> None:
    merged = attempt_tree(calc_repo, repo_store, record_attempt, "api")
    kept = attempt_tree(calc_repo, repo_store, record_attempt, "docs")
    for state in (lifecycle.VERIFYING, lifecycle.MERGING, lifecycle.MERGED):
        repo_store.transition("r1", "api", state, NOW)
    orphan = worktrees.worktree_path(calc_repo, "r0", "lost", 1)
    worktrees.create_worktree(calc_repo, orphan, "podium/r0/lost/a1", "HEAD", Config())
    (worktrees.state_dir(calc_repo) / "logs" / "r1").mkdir(parents=True)
    summary = collect_garbage(calc_repo, repo_store, days=7, now=NOW)
    assert summary == "removed 2 orphaned worktree(s), 1 merged branch(es), logs of 1 old run(s)"
    assert not merged.exists() and not orphan.exists() and kept.exists()
    assert branches(calc_repo) == ["podium/r0/lost/a1", "podium/r1/docs/a1"]
    assert not (worktrees.state_dir(calc_repo) / "logs" / "r1").exists()


def test_only_finished_runs_older_than_the_limit_are_old(repo_store: Store) -> None:
    run = RunRow("r2", "shop", "", "main", "base", "running", 2, "[]", NOW - 30 * DAY, None)
    repo_store.create_run(run, ["api"], NOW - 30 * DAY)
    assert old_runs(repo_store, days=7, now=NOW) == ["r1"]
    assert old_runs(repo_store, days=11, now=NOW) == []
