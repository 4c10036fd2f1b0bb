"""`podium clean` and `podium gc`: remove what podium no longer needs, never unmerged work."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from podium import git
from podium.runs import worktrees
from podium.scheduling import lifecycle
from podium.store import Store

DAY = 86400.0


def clean(repo: Path) -> list[str]:
    """Remove every worktree podium kept (failed attempts'); their branches stay."""
    removed: list[str] = []
    root = worktrees.state_dir(repo) / "worktrees"
    if not root.is_dir():
        return removed
    for run_dir in sorted(root.iterdir()):
        for path in sorted(run_dir.iterdir()):
            worktrees.remove_worktree(repo, path)
            removed.append(str(path.relative_to(repo)))
        if run_dir.exists() and not os.listdir(run_dir):
            run_dir.rmdir()
    git.run(repo, "worktree", "prune", check=False)
    return removed


def merged_tasks(store: Store) -> set[tuple[str, str]]:
    rows = store.db.execute("SELECT run_id, task_id FROM tasks WHERE state=?", (lifecycle.MERGED,))
    return {(run, task) for run, task in rows}


def orphan_worktrees(repo: Path, store: Store) -> list[Path]:
    """Worktrees no attempt accounts for, or whose task has merged."""
    known = {
        Path(a): (r, t)
        for r, t, a in store.db.execute("SELECT run_id, task_id, worktree FROM attempts")
    }
    merged = merged_tasks(store)
    root = worktrees.state_dir(repo) / "worktrees"
    found = sorted(p for p in root.glob("*/*") if p.is_dir()) if root.is_dir() else []
    return [p for p in found if known.get(p) is None or known[p] in merged]


def merged_branches(repo: Path, store: Store) -> list[str]:
    """podium/<run>/<task>/a<n> branches whose task landed: their work is in the target."""
    merged = merged_tasks(store)
    names = git.out(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/podium/")
    out = []
    for name in names.splitlines():
        parts = name.split("/")
        if len(parts) == 4 and (parts[1], parts[2]) in merged:
            out.append(name)
    return out


def old_runs(store: Store, days: int, now: float) -> list[str]:
    rows = store.db.execute(
        "SELECT id FROM runs WHERE status != 'running' AND created_at < ?", (now - days * DAY,)
    )
    return [r[0] for r in rows]


def collect_garbage(repo: Path, store: Store, days: int, now: float | None = None) -> str:
    git.run(repo, "worktree", "prune", check=False)
    trees = orphan_worktrees(repo, store)
    for path in trees:
        worktrees.remove_worktree(repo, path)
    branches = merged_branches(repo, store)
    for name in branches:
        git.run(repo, "branch", "-D", "--quiet", name, check=False)
    runs = old_runs(store, days, time.time() if now is None else now)
    state = worktrees.state_dir(repo)
    for run_id in runs:
        for kind in ("logs", "homes"):
            shutil.rmtree(state / kind / run_id, ignore_errors=True)
    return (
        f"removed {len(trees)} orphaned worktree(s), {len(branches)} merged branch(es), "
        f"logs of {len(runs)} old run(s)"
    )
