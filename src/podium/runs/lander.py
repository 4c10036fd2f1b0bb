"""Phases 2 and 3 of a task: verify the attempt (janitor), then land it (merge queue).

Each phase can be resumed on its own after a crash: `podium resume` calls `verify` for a
task that was verifying and `land` for one that was merging.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from podium import git
from podium.landing import audit, janitor, merge
from podium.landing.queue import MergeQueue
from podium.plans.identity import identity
from podium.plans.model import Task
from podium.runs import failure, faults, worktrees
from podium.runs.ledger import Ledger
from podium.runs.setup import Attempt
from podium.scheduling import lifecycle


class Lander:
    def __init__(self, ledger: Ledger, ctx: merge.MergeContext) -> None:
        self.book = ledger
        self.s = ledger.s
        self.store = ledger.store
        self.merge_ctx = ctx
        self.verifying: dict[str, Attempt] = {}  # attempts whose checks are running
        self.queued: dict[str, Attempt] = {}  # attempts waiting in the merge queue, in order
        self.queue: MergeQueue | None = None  # set while the run's queue serves
        # Told when an attempt has landed (True) or never will (False).
        self.settled: Callable[[str, int, bool], None] = lambda task, n, landed: None
        self.prefetching: set[asyncio.Future[None]] = set()
        self.moved: Callable[[], None] = lambda: None  # an attempt began verifying or queued

    def against(self, att: Attempt) -> janitor.Against:
        return janitor.Against(self.s.repo, att.base, self.s.gates, self.s.config)

    def prefetch(self, att: Attempt) -> None:
        """While the agent works, collect its base's test ids for the audit (once per tree)."""
        job = asyncio.ensure_future(
            asyncio.to_thread(_quietly, att.task, self.against(att), self.s.config.wall_timeout)
        )
        self.prefetching.add(job)
        job.add_done_callback(self.prefetching.discard)

    async def wind_down(self) -> None:
        """Wait for prefetches still running (each bounded by the wall timeout)."""
        if self.prefetching:
            await asyncio.wait(list(self.prefetching))

    async def verify(self, att: Attempt, again: bool = False) -> None:
        """Check the attempt; `again` when resuming a task that was already verifying."""
        run_id, task = self.s.run_id, att.task
        if not again:
            self.store.transition(run_id, task.id, lifecycle.VERIFYING, self.book.clock())
            faults.point("verifying")
        self.verifying[task.id] = att
        self.moved()
        try:
            await self._check(att)
        finally:
            self.verifying.pop(task.id, None)

    async def _check(self, att: Attempt) -> None:
        run_id, repo, task, config = self.s.run_id, self.s.repo, att.task, self.s.config
        changed = await asyncio.to_thread(git.changed_files, repo, att.base, att.head)
        gates = self.s.gates if config.gate_attempts else ()
        report = await asyncio.to_thread(
            janitor.verify,
            task,
            att.path,
            changed,
            gates,
            config.ownership,
            config.wall_timeout,
            self.against(att),
            "fast",  # the detectors that run tests: in land(), while it waits in the queue
        )
        faults.point("checks-run")
        for warning in report.warnings:
            self.book.report(task.id, "warning", warning)
        checks = [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in report.results]
        data = {"attempt": att.n, "ok": report.ok, "checks": checks}
        self.store.add_event(run_id, task.id, self.book.clock(), "task.checks", data)
        faults.point("checks-recorded")
        if not report.ok:
            self.store.update_attempt(run_id, task.id, att.n, outcome="checks_failed")
            outside = tuple(janitor.outside_files(task, changed))
            self.book.failed(task, failure.from_checks(att.n, checks, changed, outside=outside))
            self.book.retry_or_fail(task, report.reason, att.n)
            self.settled(task.id, att.n, False)
            return
        if self.s.gates and config.gate_attempts:
            self.merge_ctx.passed_trees.add(git.tree_of(repo, att.head))
        self.store.transition(run_id, task.id, lifecycle.MERGING, self.book.clock())
        faults.point("merging")
        await self.land(att)

    async def land(self, att: Attempt) -> None:
        run_id, repo, task = self.s.run_id, self.s.repo, att.task
        assert self.queue is not None, "land() runs only while the merge queue serves"
        self.queued[task.id] = att  # from here its dependents may start (speculate)
        self.moved()
        try:
            checks = await self._landing_checks(att)
            if checks.ok:
                body = await asyncio.to_thread(merge.attempt_log, repo, att.base, att.head)
                who = identity(self.s.plan.name, self.s.plan.task(task.id))
                message = merge.trailer_message(task.goal, body, run_id, task.id, att.n, who)
                self.verifying.pop(task.id, None)  # counted as on its way to the queue till now
                member = merge.Member(f"{run_id}/{task.id}", att.head, message)
                result = await self.queue.submit(member)
        finally:
            self.queued.pop(task.id, None)
        if not checks.ok:
            await self._refuse(att, checks)
            self.settled(task.id, att.n, False)
            return
        gates = [{"name": g.name, "ok": g.ok, "detail": g.detail} for g in result.gates]
        data = {
            "attempt": att.n,
            "status": result.status,
            "detail": result.detail,
            "commit": result.commit,
            "gates": gates,
        }
        self.store.add_event(run_id, task.id, self.book.clock(), "task.merge", data)
        await self._after_merge(att, result)
        self.settled(task.id, att.n, result.status == "merged")

    async def _landing_checks(self, att: Attempt) -> janitor.Report:
        """The audit's slow part (it runs the tests' collection), while the attempt waits in
        the queue; recorded as its checks are when it found anything."""
        run_id, task = self.s.run_id, att.task
        report = await asyncio.to_thread(
            janitor.landing_checks, task, att.path, self.against(att), self.s.config.wall_timeout
        )
        for warning in report.warnings:
            self.book.report(task.id, "warning", warning)
        if report.results:
            checks = [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in report.results]
            data = {"attempt": att.n, "ok": report.ok, "checks": checks}
            self.store.add_event(run_id, task.id, self.book.clock(), "task.checks", data)
        return report

    async def _refuse(self, att: Attempt, report: janitor.Report) -> None:
        """The checks that ran while it waited in the queue failed: it does not land."""
        run_id, task = self.s.run_id, att.task
        checks = [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in report.results]
        self.store.update_attempt(run_id, task.id, att.n, outcome="checks_failed")
        changed = await asyncio.to_thread(git.changed_files, self.s.repo, att.base, att.head)
        self.book.failed(task, failure.from_checks(att.n, checks, changed))
        self.book.retry_or_fail(task, report.reason, att.n)

    async def _after_merge(self, att: Attempt, result: merge.MergeOutcome) -> None:
        task, book = att.task, self.book
        self.store.update_attempt(self.s.run_id, task.id, att.n, outcome=result.status)
        if result.status == "merged":
            self.store.transition(
                self.s.run_id, task.id, lifecycle.MERGED, book.clock(), merged_commit=result.commit
            )
            faults.point("merged-recorded")
            book.learn(task.id, att.n, merged=True)
            paths = [Path(a.worktree) for a in self.store.attempts(self.s.run_id, task.id)]
            await asyncio.to_thread(self._remove_worktrees, paths)  # superseded ones too
            faults.point("worktree-removed")
            book.report(task.id, "merged", (result.commit or "")[:10])
        elif result.status == "conflict":
            retry = book.count(task.id, "conflict") <= self.s.config.conflict_retries
            retry = retry and book.more(task.id)
            book.record_failure(task, att.n, "merge", "conflict", result.detail)
            book.settle(task, lifecycle.PENDING if retry else lifecycle.FAILED, result.detail)
            faults.point("task-requeued")
        elif result.status == "gates_failed":
            gate = next((g.name for g in result.gates if not g.ok), "gates")
            book.record_failure(task, att.n, "gates", gate, result.detail)
            book.retry_or_fail(task, result.detail, att.n)
        elif result.status == "stale":
            await self.discard(att, result.detail)
        else:
            book.settle(task, lifecycle.FAILED, result.detail)

    async def discard(self, att: Attempt, why: str) -> None:
        """Throw a speculative attempt away: what its base held will not land. Another
        attempt starts from the real target; this one does not count against max_attempts."""
        run_id, task = self.s.run_id, att.task
        self.store.update_attempt(run_id, task.id, att.n, outcome="discarded", reason=why)
        await asyncio.to_thread(self._remove_worktrees, [att.path])  # before: resume keeps it
        self.store.transition(run_id, task.id, lifecycle.PENDING, self.book.clock(), reason=why)
        faults.point("speculation-discarded")
        self.book.report(task.id, "discarded", why)

    def _remove_worktrees(self, paths: list[Path]) -> None:
        for path in paths:
            if path.exists():
                worktrees.remove_worktree(self.s.repo, path)

    def drop_gate_dir(self) -> None:
        if self.merge_ctx.gate_dir.exists():
            worktrees.remove_worktree(self.s.repo, self.merge_ctx.gate_dir)


def _quietly(task: Task, against: janitor.Against, timeout: float) -> None:
    """A prefetch is only a head start: when it fails, the audit collects again itself."""
    with contextlib.suppress(Exception):  # the real check reports whatever this hit
        audit.prefetch(task, against, timeout)
