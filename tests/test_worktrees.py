"""Worktrees on a real repository: shared folders, copied files, set-up, leftovers."""

from __future__ import annotations

import threading
from pathlib import Path

from podium.config import Config
from podium.errors import PodiumError
from podium.landing import merge
from podium.runs.worktrees import (
    branch_name,
    commit_leftovers,
    create_worktree,
    ignore_local_files,
    remove_worktree,
    run_setup,
    worktree_path,
)

from conftest import PYTHON, git, make_repo


def setup_repo(tmp_path: Path) -> tuple[Path, Config]:
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    (repo / ".venv").mkdir()
    (repo / ".venv" / "marker").write_text("heavy")
    (repo / ".env").write_text("SECRET=1\n")
    config = Config(shared=(".venv", "node_modules"), copy=(".env",))
    ignore_local_files(repo, config)
    return repo, config


def test_worktree_shares_heavy_folders_and_copies_files(tmp_path: Path) -> None:
    repo, config = setup_repo(tmp_path)
    base = git(repo, "rev-parse", "HEAD")
    wt = create_worktree(repo, repo / ".podium/worktrees/r1/t-a1", "podium/r1/t/a1", base, config)
    assert (wt.path / ".venv").is_symlink() and (wt.path / ".venv/marker").read_text() == "heavy"
    assert (wt.path / ".env").read_text() == "SECRET=1\n" and not (wt.path / ".env").is_symlink()
    assert not (wt.path / "node_modules").exists()  # absent in the repo: nothing to share
    assert git(repo, "status", "--porcelain") == ""  # .podium/ and the shared names are ignored
    # Checked out after the add (with more than one slot): the same files, nothing to commit.
    lazy = create_worktree(repo, repo / ".podium/worktrees/r1/u-a1", "u", base, config, True)
    assert (lazy.path / "a.txt").read_text() == "a\n" and (lazy.path / ".venv").is_symlink()
    assert git(lazy.path, "status", "--porcelain") == ""
    assert git(lazy.path, "rev-parse", "HEAD") == base


def test_leftovers_are_committed_without_shared_or_copied_files(tmp_path: Path) -> None:
    repo, config = setup_repo(tmp_path)
    base = git(repo, "rev-parse", "HEAD")
    wt = create_worktree(repo, repo / ".podium/worktrees/r1/t-a1", "podium/r1/t/a1", base, config)
    (wt.path / "new.txt").write_text("new\n")
    (wt.path / "a.txt").write_text("changed\n")
    git(wt.path, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qam", "agent's own")
    (wt.path / "new.txt").write_text("new\n")
    head, log = commit_leftovers(wt.path, "t\n\nPodium-Task: r1/t\n", base)
    assert head == git(wt.path, "rev-parse", "HEAD") != base
    assert log == "- agent's own\n- t"  # the subjects since the base, oldest first
    files = git(repo, "diff", "--name-only", base, head).split()
    assert files == ["a.txt", "new.txt"]
    assert git(repo, "log", "-1", "--format=%(trailers:key=Podium-Task,valueonly)", head) == "r1/t"
    # Nothing left: a second call commits nothing.
    assert commit_leftovers(wt.path, "again\n", base) == (head, log)
    # An agent that reset its branch behind the base: its HEAD, and no commits of its own.
    git(wt.path, "reset", "-q", "--hard", f"{base}")
    assert commit_leftovers(wt.path, "again\n", head) == (base, "")


def test_setup_command_failure_is_reported(tmp_path: Path) -> None:
    repo, _ = setup_repo(tmp_path)
    config = Config(setup=f"{PYTHON} -c \"import sys; print('no deps'); sys.exit(3)\"")
    assert run_setup(repo, config, 30) == (f"set-up command {config.setup!r} exited 3: no deps")
    assert run_setup(repo, Config(setup="no-such-tool-xyz"), 30).startswith("set-up command")


def test_remove_keeps_the_branch(tmp_path: Path) -> None:
    repo, config = setup_repo(tmp_path)
    base = git(repo, "rev-parse", "HEAD")
    path = repo / ".podium/worktrees/r1/t-a1"
    create_worktree(repo, path, "podium/r1/t/a1", base, config)
    remove_worktree(repo, path)
    assert not path.exists() and not path.parent.exists()
    assert git(repo, "branch", "--list", "podium/r1/t/a1").strip().endswith("podium/r1/t/a1")
    assert "t-a1" not in git(repo, "worktree", "list")


def test_parallel_attempts_create_and_remove_worktrees_at_once(tmp_path: Path) -> None:
    """Attempts start in threads at the same moment (and the merge queue adds its gate
    worktree meanwhile): no `git worktree add` may trip over another's half-written one."""
    repo, config = setup_repo(tmp_path)
    errors: list[str] = []
    start = threading.Barrier(16)

    def create(task: str) -> None:
        start.wait()  # all at once
        try:
            path = worktree_path(repo, "r1", task, 1)
            # Half of them check out after the add, beside the others' adds.
            parallel = int(task.rpartition("-")[2]) % 2 == 1
            create_worktree(repo, path, branch_name("r1", task, 1), "main", config, parallel)
            assert git(path, "status", "--porcelain") == ""
            if task.endswith("-0"):
                remove_worktree(repo, path)
        except (PodiumError, AssertionError) as exc:
            errors.append(str(exc))

    for round in range(8):
        threads = [threading.Thread(target=create, args=(f"t{round}-{n}",)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    listed = git(repo, "worktree", "list", "--porcelain").count("worktree ")
    assert listed == 1 + 8 * 15  # the repository itself and the attempts not removed


def test_the_merge_queue_asks_where_the_target_is_while_worktrees_come_and_go(
    tmp_path: Path,
) -> None:
    """`git worktree list` (is the target checked out?) runs while attempts add and remove
    worktrees in other threads: it must never read one half-written (that error killed the
    merge queue and left the run waiting forever)."""
    repo, config = setup_repo(tmp_path)
    errors: list[str] = []
    done = threading.Event()

    def churn(n: int) -> None:
        try:
            for k in range(25):
                task = f"c{n}-{k}"
                path = worktree_path(repo, "r1", task, 1)
                create_worktree(repo, path, branch_name("r1", task, 1), "main", config)
                remove_worktree(repo, path)
        except PodiumError as exc:
            errors.append(str(exc))

    def ask() -> None:
        while not done.is_set():
            try:
                assert merge.target_checkout(repo, "main") == repo
            except PodiumError as exc:
                errors.append(str(exc))

    askers = [threading.Thread(target=ask) for _ in range(2)]
    for thread in askers:
        thread.start()
    workers = [threading.Thread(target=churn, args=(n,)) for n in range(8)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    done.set()
    for thread in askers:
        thread.join()
    assert errors == []
