"""`podium resume`: make the store agree with the world, then carry on.

git is asked what landed (each podium commit carries a `Podium-Task` trailer); processes of
the old coordinator are killed (pid and start time, so a reused pid is never hit); each task
continues at the phase it was in, and an attempt whose agent was lost is run again.
"""

from __future__ import annotations

import time
from pathlib import Path

from podium import git
from podium.executors.choice import reattaches
from podium.landing import merge
from podium.plans.identity import identity
from podium.runs import worktrees
from podium.runs.engine import Attempt, Engine
from podium.runs.ledger import FAILURES
from podium.runs.reaper import kill_group
from podium.runs.trailers import landed_commits, landed_identities
from podium.runs.views import last_sign_of_life
from podium.scheduling import lifecycle
from podium.store import AttemptRow, RunRow, Store, TaskRow

LOST_REASON = "podium stopped while the agent ran"


def reconcile(engine: Engine) -> None:
    s, store = engine.s, engine.store
    run = store.run(s.run_id)
    merge.repair_checkout(s.repo, s.target)
    landed = landed_commits(s.repo, run.base_commit, s.target)
    elsewhere = landed_identities(s.repo, s.target)  # landed by any run, as the plan asks now
    attempts = store.attempts(s.run_id)
    for att in attempts:
        if att.pid is not None and att.finished_at is None:
            kill_group(att.pid, att.pid_start)
    for row in store.tasks(s.run_id):
        if row.state == lifecycle.SPLIT:  # its sub-tasks stand in for it
            continue
        mine = [a for a in attempts if a.task_id == row.task_id]
        last = mine[-1] if mine else None
        commit = landed.get(f"{s.run_id}/{row.task_id}")
        other = elsewhere.get(identity(s.plan.name, s.plan.task(row.task_id)))
        if commit is not None and row.state != lifecycle.MERGED:
            record_landed(store, s.run_id, row, commit, "found merged in git on resume")
        elif other is not None and row.state != lifecycle.MERGED:
            why = f"already on {s.target} (from {other.run_id}, {other.commit[:10]})"
            record_landed(store, s.run_id, row, other.commit, why)
        elif row.state == lifecycle.RUNNING and last is not None:
            _continue_running(engine, row, last)
        elif row.state in (lifecycle.VERIFYING, lifecycle.MERGING) and last is not None:
            _continue(engine, row, last)
        elif row.state == lifecycle.CANCELLED:
            store.transition(
                s.run_id, row.task_id, lifecycle.PENDING, time.time(), reason="resumed after cancel"
            )
    drop_stale_worktrees(engine.s.repo, store, s.run_id)


def record_landed(store: Store, run_id: str, row: TaskRow, commit: str, reason: str) -> None:
    """git says it landed; the store had not heard yet. Walk the state machine to merged."""
    path = {
        lifecycle.RUNNING: [lifecycle.VERIFYING, lifecycle.MERGING],
        lifecycle.VERIFYING: [lifecycle.MERGING],
    }.get(row.state, [])
    for state in [*path, lifecycle.MERGED]:
        store.transition(
            run_id,
            row.task_id,
            state,
            time.time(),
            reason=reason,
            merged_commit=commit if state == lifecycle.MERGED else None,
        )


def close_interrupted(repo: Path, store: Store, run: RunRow) -> None:
    """A run still marked running whose coordinator is gone (the caller holds the lock):
    kill what it left, record what git says landed, mark its attempts under way lost as of
    their last sign of life, its unfinished tasks cancelled, and the run interrupted.
    `podium resume RUN` can still finish it."""
    state = worktrees.state_dir(repo)
    landed = landed_commits(repo, run.base_commit, run.target)
    attempts = store.attempts(run.id)
    end = run.created_at
    for att in attempts:
        if att.finished_at is not None:
            end = max(end, att.finished_at)
            continue
        if att.pid is not None:
            kill_group(att.pid, att.pid_start)
        seen = last_sign_of_life(state, att)
        store.update_attempt(
            run.id, att.task_id, att.n, finished_at=seen, outcome="lost", reason=LOST_REASON
        )
        end = max(end, seen)
    for row in store.tasks(run.id):
        commit = landed.get(f"{run.id}/{row.task_id}")
        if commit is not None and row.state != lifecycle.MERGED:
            record_landed(store, run.id, row, commit, "found merged in git")
        elif row.state == lifecycle.PENDING or row.state in lifecycle.BUSY:
            why = "interrupted: podium stopped before this task finished"
            store.transition(run.id, row.task_id, lifecycle.CANCELLED, end, reason=why)
    drop_stale_worktrees(repo, store, run.id, closing=True)
    store.set_run_status(run.id, "interrupted", end)


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
    if last.outcome is None and reattaches(engine.attempts.executor):
        engine.resumed[row.task_id] = lambda: engine.attempts.reattach(last, engine.verify)
        return
    engine.store.update_attempt(
        engine.s.run_id,
        row.task_id,
        last.n,
        finished_at=last_sign_of_life(worktrees.state_dir(engine.s.repo), last),
        outcome="lost",
        reason=LOST_REASON,
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


def drop_stale_worktrees(repo: Path, store: Store, run_id: str, closing: bool = False) -> None:
    """Remove worktrees that no attempt will use again: merged tasks' and lost attempts'.
    `closing` a run that will not go on: keep only failed attempts' (for inspection), and
    drop the gates' scratch tree too. Branches always stay."""
    states = {t.task_id: t.state for t in store.tasks(run_id)}
    keep = {
        str(Path(a.worktree))
        for a in store.attempts(run_id)
        if a.outcome != "lost"
        and states[a.task_id] != lifecycle.MERGED
        and (not closing or a.outcome in FAILURES)
    }
    root = worktrees.state_dir(repo) / "worktrees" / run_id
    if not root.is_dir():
        return
    for path in sorted(root.iterdir()):
        if (closing or path.name != "_gates") and str(path) not in keep:
            worktrees.remove_worktree(repo, path)
