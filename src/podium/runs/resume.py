"""`podium resume`: make the store agree with the world, then carry on.

git is asked what landed (each podium commit carries a `Podium-Task` trailer); processes of
the old coordinator are killed (pid and start time, so a reused pid is never hit); each task
continues at the phase it was in, and an attempt whose agent was lost is run again.
"""

from __future__ import annotations

import time
from pathlib import Path

from podium import git
from podium.landing import merge
from podium.runs import worktrees
from podium.runs.engine import Attempt, Engine
from podium.runs.reaper import kill_group
from podium.scheduling import lifecycle
from podium.store import AttemptRow, TaskRow


def landed_commits(repo: Path, base: str, target: str) -> dict[str, str]:
    """`run/task` -> the commit that landed it, for podium commits on target since base."""
    text = git.out(
        repo,
        "log",
        "--format=%H %(trailers:key=Podium-Task,valueonly,separator=%x2C)",
        f"{base}..refs/heads/{target}",
    )
    found: dict[str, str] = {}
    for line in text.splitlines():
        commit, _, keys = line.partition(" ")
        for key in keys.split(","):  # a batch commit carries one trailer per task
            if key.strip():
                found.setdefault(key.strip(), commit)
    return found


def reconcile(engine: Engine) -> None:
    s, store = engine.s, engine.store
    run = store.run(s.run_id)
    merge.repair_checkout(s.repo, s.target)
    landed = landed_commits(s.repo, run.base_commit, s.target)
    attempts = store.attempts(s.run_id)
    for att in attempts:
        if att.pid is not None and att.finished_at is None:
            kill_group(att.pid, att.pid_start)
    for row in store.tasks(s.run_id):
        mine = [a for a in attempts if a.task_id == row.task_id]
        last = mine[-1] if mine else None
        commit = landed.get(f"{s.run_id}/{row.task_id}")
        if commit is not None and row.state != lifecycle.MERGED:
            _record_landed(engine, row, commit)
        elif row.state == lifecycle.RUNNING and last is not None:
            _continue_running(engine, row, last)
        elif row.state in (lifecycle.VERIFYING, lifecycle.MERGING) and last is not None:
            _continue(engine, row, last)
        elif row.state == lifecycle.CANCELLED:
            store.transition(
                s.run_id, row.task_id, lifecycle.PENDING, time.time(), reason="resumed after cancel"
            )
    _drop_stale_worktrees(engine)


def _record_landed(engine: Engine, row: TaskRow, commit: str) -> None:
    """git says it landed; the store had not heard yet. Walk the state machine to merged."""
    path = {
        lifecycle.RUNNING: [lifecycle.VERIFYING, lifecycle.MERGING],
        lifecycle.VERIFYING: [lifecycle.MERGING],
    }.get(row.state, [])
    for state in [*path, lifecycle.MERGED]:
        engine.store.transition(
            engine.s.run_id,
            row.task_id,
            state,
            time.time(),
            reason="found merged in git on resume",
            merged_commit=commit if state == lifecycle.MERGED else None,
        )


def _attempt(engine: Engine, last: AttemptRow) -> Attempt:
    task = engine.s.plan.task(last.task_id)
    path = Path(last.worktree)
    if not (path / ".git").exists() and last.head_commit:
        worktrees.remove_worktree(engine.s.repo, path)
        path.parent.mkdir(parents=True, exist_ok=True)
        git.run(engine.s.repo, "worktree", "add", "--quiet", str(path), last.branch)
        worktrees.link_shared(engine.s.repo, path, engine.s.config)
    return Attempt(task, last.n, path, last.base_commit, last.head_commit or "")


def _continue_running(engine: Engine, row: TaskRow, last: AttemptRow) -> None:
    if last.outcome == "finished" and last.head_commit:
        att = _attempt(engine, last)
        engine.resumed[row.task_id] = lambda: engine.verify(att)
        return
    engine.store.update_attempt(
        engine.s.run_id,
        row.task_id,
        last.n,
        finished_at=time.time(),
        outcome="lost",
        reason="podium stopped while the agent ran",
    )
    engine.store.transition(
        engine.s.run_id,
        row.task_id,
        lifecycle.PENDING,
        time.time(),
        reason=f"attempt {last.n} was lost when podium stopped; running again",
    )


def _continue(engine: Engine, row: TaskRow, last: AttemptRow) -> None:
    att = _attempt(engine, last)
    if row.state == lifecycle.VERIFYING:
        engine.resumed[row.task_id] = lambda: engine.verify(att, again=True)
    else:
        engine.resumed[row.task_id] = lambda: engine.land(att)


def _drop_stale_worktrees(engine: Engine) -> None:
    """Remove worktrees that no attempt will use again: merged tasks' and lost attempts'."""
    keep = {
        str(Path(a.worktree))
        for a in engine.store.attempts(engine.s.run_id)
        if a.outcome not in ("lost",) and _task_state(engine, a.task_id) != lifecycle.MERGED
    }
    root = worktrees.state_dir(engine.s.repo) / "worktrees" / engine.s.run_id
    if not root.is_dir():
        return
    for path in sorted(root.iterdir()):
        if path.name != "_gates" and str(path) not in keep:
            worktrees.remove_worktree(engine.s.repo, path)


def _task_state(engine: Engine, task_id: str) -> str:
    return next(t.state for t in engine.store.tasks(engine.s.run_id) if t.task_id == task_id)
