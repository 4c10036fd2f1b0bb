"""One worktree per attempt: created from the target, heavy folders shared, set-up run, removed."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from podium import git
from podium.config import Config

STATE_DIR = ".podium"
# `git worktree add` reads every other worktree's admin folder, and fails ("failed to read
# .git/worktrees/X/commondir") while another add is still writing X's: one at a time per process.
WORKTREE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Worktree:
    path: Path
    branch: str
    base: str


def state_dir(repo: Path) -> Path:
    return repo / STATE_DIR


def branch_name(run_id: str, task_id: str, n: int) -> str:
    return f"podium/{run_id}/{task_id}/a{n}"


def worktree_path(repo: Path, run_id: str, task_id: str, n: int) -> Path:
    return state_dir(repo) / "worktrees" / run_id / f"{task_id}-a{n}"


def ignore_local_files(repo: Path, config: Config) -> None:
    """Keep `.podium/` and the shared/copied files out of `git status` and of agents' commits.

    Written to the repository's info/exclude, never to a tracked file; a tracked file is not
    affected by an exclude pattern.
    """
    exclude = git.common_dir(repo) / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    text = exclude.read_text() if exclude.exists() else ""
    have = set(text.splitlines())
    wanted = [f"/{name}" for name in (f"{STATE_DIR}/", *config.shared, *config.copy)]
    missing = [line for line in wanted if line not in have]
    if missing:
        sep = "" if not text or text.endswith("\n") else "\n"
        exclude.write_text(text + sep + "\n".join(missing) + "\n")


def create_worktree(
    repo: Path, path: Path, branch: str, base: str, config: Config, parallel: bool = False
) -> Worktree:
    """A fresh checkout of `base` on a new branch, with the shared and copied files in place.

    `parallel`: only git's admin folder is written under WORKTREE_LOCK, and the files are
    checked out after it (one process more), so that other adds need not wait for them."""
    if path.exists():
        remove_worktree(repo, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lazy = ["--no-checkout"] if parallel else []
    with WORKTREE_LOCK:
        git.run(repo, "worktree", "add", "--quiet", *lazy, "-B", branch, str(path), base)
    if parallel:  # the index and files from HEAD; touches no ref and no other worktree
        git.run(path, "read-tree", "--reset", "-u", "HEAD")
    link_shared(repo, path, config)
    return Worktree(path, branch, base)


def link_shared(repo: Path, path: Path, config: Config) -> None:
    for name in config.shared:
        source, dest = repo / name, path / name
        if source.exists() and not dest.exists():
            dest.symlink_to(source.resolve(), target_is_directory=source.is_dir())
    for name in config.copy:
        source, dest = repo / name, path / name
        if source.is_file() and not dest.exists():
            shutil.copy2(source, dest)


def run_setup(path: Path, config: Config, timeout: float) -> str | None:
    """Run the configured set-up command in the worktree; an error message, or None."""
    if not config.setup:
        return None
    try:
        proc = subprocess.run(
            shlex.split(config.setup),
            cwd=path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"set-up command {config.setup!r} could not run: {exc}"
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return f"set-up command {config.setup!r} exited {proc.returncode}: {' / '.join(tail)}"
    return None


def commit_leftovers(path: Path, message: str, base: str) -> tuple[str, str]:
    """Commit whatever the agent left uncommitted; return the worktree's HEAD and the
    subjects of its commits since `base` ("- subject" lines, oldest first).

    Shared and copied files stay out: ignore_local_files listed them in info/exclude.
    """
    git.run(path, "add", "--all")
    made = git.run(path, "commit", "--quiet", "--no-verify", "-F", "-", input=message, check=False)
    if made.code != 0 and git.run(path, "diff", "--cached", "--quiet", check=False).code != 0:
        # Something is staged, so the commit did not fail for want of changes: say why.
        git.run(path, "commit", "--quiet", "--no-verify", "-F", "-", input=message)
    # One process for both: the walk starts at HEAD alone, so HEAD is its first line.
    lines = git.out(path, "log", "--format=%H %s", "HEAD", f"^{base}", "--").splitlines()
    if not lines:  # HEAD is the base, or behind it (the agent reset its branch)
        return git.out(path, "rev-parse", "HEAD"), ""
    log = "\n".join(f"- {line.partition(' ')[2]}" for line in reversed(lines))
    return lines[0].split(" ", 1)[0], log.strip()


def remove_worktree(repo: Path, path: Path) -> None:
    """Remove a worktree (its branch stays: work is never deleted by cleaning up a checkout)."""
    with WORKTREE_LOCK:
        res = git.run(repo, "worktree", "remove", "--force", "--force", str(path), check=False)
        if res.code != 0 and path.exists():
            shutil.rmtree(path, ignore_errors=True)
            git.run(repo, "worktree", "prune", check=False)
    parent = path.parent
    with contextlib.suppress(OSError):  # not empty, or removed meanwhile by another removal
        if not any(parent.iterdir()):
            os.rmdir(parent)
