"""Phase 1 of a task: a fresh attempt, decided here and carried out by the executor.

The model is chosen, the attempt recorded (before anything can be lost), the prompt built;
the executor makes the worktree at the target's current commit and runs the agent; what comes
back is recorded, and the task goes on to verification or back to pending (or failed).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from podium import git
from podium.agents import runner
from podium.agents.prompt import build_prompt
from podium.executors.base import AttemptRequest, AttemptResult, Executor, Hooks
from podium.plans.model import Task
from podium.runs import failure, faults, worktrees
from podium.runs.ledger import Ledger
from podium.runs.reaper_client import Reaper
from podium.runs.setup import Attempt
from podium.scheduling import lifecycle, quotas
from podium.store import AttemptRow

Verify = Callable[[Attempt], Awaitable[None]]
Discard = Callable[[Attempt, str], Awaitable[None]]


class AttemptPhase:
    def __init__(
        self, ledger: Ledger, executor: Executor, reaper: Reaper, cancelled: asyncio.Event
    ) -> None:
        self.book = ledger
        self.s = ledger.s
        self.store = ledger.store
        self.executor = executor
        self.reaper = reaper
        self.cancelled = cancelled
        self.stops: dict[str, asyncio.Event] = {}  # per task: stop its agent now
        self.discarding: dict[str, str] = {}  # task -> why its attempt is thrown away
        self.discard: Discard | None = None
        self.finishing: set[str] = set()  # tasks whose agent is done, not yet verifying
        self.since: dict[str, float] = {}  # tasks whose attempt is under way -> its start
        self.took: deque[float] = deque(maxlen=32)  # how long the last attempts' agents ran

    def stop(self, task_id: str) -> asyncio.Event:
        stop = self.stops.setdefault(task_id, asyncio.Event())
        if self.cancelled.is_set():
            stop.set()
        return stop

    async def run(
        self, task: Task, verify: Verify, base: str = "", event: dict[str, Any] | None = None
    ) -> None:
        """An attempt on the target's tip, or on `base` (a speculative start, which `event`
        describes in the attempt's start event)."""
        row = self.store.task(self.s.run_id, task.id)
        repo, run_id, n = self.s.repo, self.s.run_id, row.attempts + 1
        task = self.book.choose_model(task, n)
        note = self.book.note(task.id, row.reason, row.attempts)
        if not base:
            target = f"refs/heads/{self.s.target}"
            base = await asyncio.to_thread(git.out, repo, "rev-parse", target)
        att = Attempt(task, n, worktrees.worktree_path(repo, run_id, task.id, n), base)
        request = self._request(att, note)
        self.store.start_attempt(_row(run_id, att, request.branch, self.book.clock()), event)
        limits = {"attempt": n, "silence": request.config.silence_timeout}
        limits["wall"] = request.config.wall_timeout  # what `podium evolve` compares with
        self.store.add_event(run_id, task.id, self.book.clock(), "attempt.limits", limits)
        faults.point("attempt-recorded")
        self.book.report(task.id, "running", f"attempt {n}, agent {task.agent}")
        await self._carry(att, request, verify)

    async def reattach(self, last: AttemptRow, verify: Verify) -> None:
        """Wait again for an attempt still under way elsewhere (a Temporal workflow), after
        the coordinator that dispatched it stopped: the same request, so the same id."""
        task = replace(self.s.plan.task(last.task_id), agent=last.agent, model=last.model)
        att = Attempt(task, last.n, Path(last.worktree), last.base_commit)
        self.book.report(task.id, "running", f"attempt {last.n} re-attached, agent {task.agent}")
        await self._carry(att, self._request(att, ""), verify)

    async def _carry(self, att: Attempt, request: AttemptRequest, verify: Verify) -> None:
        self.since[att.task.id] = time.monotonic()
        try:
            result = await self.executor.run(request, self._hooks(att))
        finally:
            self.finishing.discard(att.task.id)  # verifying from here on, with no await between
            self.since.pop(att.task.id, None)
        why = self.discarding.pop(att.task.id, None)  # else the merge queue finds it stale
        self._after_agent(att, result)
        if result.failure is not None:
            self.book.finish_attempt(att, result.outcome, "agent_failed", result.failure)
            await self._after_failure(att, result, why)
            return
        att = Attempt(att.task, att.n, att.path, att.base, result.head, result.log)
        self.book.finish_attempt(att, result.outcome, "finished", "")
        faults.point("attempt-finished")
        await verify(att)

    def _request(self, att: Attempt, note: str) -> AttemptRequest:
        run_id, task, n = self.s.run_id, att.task, att.n
        state = worktrees.state_dir(self.s.repo)
        return AttemptRequest(
            run_id=run_id,
            task=task,
            n=n,
            base=att.base,
            branch=worktrees.branch_name(run_id, task.id, n),
            worktree=att.path,
            prompt=build_prompt(
                self.s.plan, task, self.s.gates, note, self.s.config.prompt_template
            ),
            logs=state / "logs" / run_id / task.id,
            home=state / "homes" / run_id / f"{task.id}-a{n}",
            config=self.s.config,
            message=f"{task.goal}\n\nPodium-Task: {run_id}/{task.id}\n",
        )

    def _hooks(self, att: Attempt) -> Hooks:
        run_id, task_id, n = self.s.run_id, att.task.id, att.n

        def on_model(model: str | None) -> None:
            self.store.update_attempt(run_id, task_id, n, model=model)

        def on_spawn(pid: int) -> None:
            start = self.reaper.add(pid)
            self.store.update_attempt(run_id, task_id, n, pid=pid, pid_start=start)
            faults.point("agent-spawned")

        def on_exit() -> None:
            self.finishing.add(task_id)
            if task_id in self.since:
                self.took.append(time.monotonic() - self.since[task_id])

        return Hooks(self.stop(task_id), on_model, on_spawn, on_exit)

    def due(self) -> int:
        """Attempts under way that should end about now: they have run about as long as the
        run's agents usually take (the merge queue waits a moment for them to join a batch)."""
        if not self.took:
            return 0
        usual = 0.9 * statistics.median(self.took)
        now = time.monotonic()
        return sum(1 for t, start in self.since.items() if now - start >= usual)

    def _after_agent(self, att: Attempt, result: AttemptResult) -> None:
        self.stops.pop(att.task.id, None)
        outcome = result.outcome
        if outcome is None:
            return
        if outcome.pid is not None:
            self.reaper.remove(outcome.pid)
        self.book.said[(att.task.id, att.n)] = failure.last_words(outcome.events)
        self.book.record_limits(att.task, att.n, outcome.events)

    async def _after_failure(self, att: Attempt, result: AttemptResult, why: str | None) -> None:
        outcome, reason = result.outcome, result.failure or ""
        if why is not None and self.discard is not None and not self.cancelled.is_set():
            await self.discard(att, why)
        elif self.cancelled.is_set() or (outcome is not None and outcome.killed == "cancelled"):
            self.store.update_attempt(self.s.run_id, att.task.id, att.n, outcome="cancelled")
            self.book.settle(att.task, lifecycle.CANCELLED, reason)
        elif outcome is not None and quotas.exhausted([reason, *(e.text for e in outcome.events)]):
            self.book.pause(att.task, att.n, outcome.events)
        elif outcome is not None and outcome.killed == "budget":
            self.book.record_failure(att.task, att.n, "agent", "budget", reason)
            self.book.settle(att.task, lifecycle.FAILED, reason)
        elif outcome is not None and _limited(outcome):
            self.book.cool_down(att.task, outcome.events)
            self.store.update_attempt(self.s.run_id, att.task.id, att.n, outcome="rate_limited")
            # The next attempt waits for the reset or moves to another agent; it counts
            # towards `max_attempts` like any other, so a run never makes more.
            more = self.book.more(att.task.id)
            self.book.settle(att.task, lifecycle.PENDING if more else lifecycle.FAILED, reason)
        else:
            self.book.record_failure(att.task, att.n, "agent", "agent", reason)
            self.book.retry_or_fail(att.task, reason, att.n)


def _limited(outcome: runner.Outcome) -> bool:
    return any(e.kind == "rate_limit" for e in outcome.events)


def _row(run_id: str, att: Attempt, branch: str, now: float) -> AttemptRow:
    task = att.task
    return AttemptRow(
        run_id,
        task.id,
        att.n,
        task.agent,
        task.model,
        branch,
        str(att.path),
        att.base,
        None,
        None,
        None,
        now,
        None,
        None,
        None,
        "",
        0,
        0,
        0.0,
    )
