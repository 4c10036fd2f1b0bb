"""Phases 2 and 3 of a task: verify the attempt (janitor), then land it (merge queue).

Each phase can be resumed on its own after a crash: `podium resume` calls `verify` for a
task that was verifying and `land` for one that was merging.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from podium import git
from podium.landing import audit, janitor, merge
from podium.landing.commands import CheckResult
from podium.landing.queue import MergeQueue
from podium.plans.identity import identity
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
        ctx.allows = self._allows
        self.verifying: dict[str, Attempt] = {}  # attempts whose checks are running
        self.queued: dict[str, Attempt] = {}  # attempts waiting in the merge queue, in order
        self.queue: MergeQueue | None = None  # set while the run's queue serves
        # Told when an attempt has landed (True) or never will (False).
        self.settled: Callable[[str, int, bool], None] = lambda task, n, landed: None
        self.moved: Callable[[], None] = lambda: None  # an attempt began verifying or queued

    def _allows(self, key: str) -> tuple[str, ...]:
        """The evasion classes the task of a queue member may commit."""
        try:
            return self.s.plan.task(key.rpartition("/")[2]).allow
        except KeyError:
            return ()

    def against(self, att: Attempt) -> janitor.Against:
        return janitor.Against(self.s.repo, att.base, self.s.gates, self.s.config)

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
        against = self.against(att)
        diff = await asyncio.to_thread(janitor.read_diff, task, repo, att.base, att.head, against)
        changed = diff.paths
        gates = self.s.gates if config.gate_attempts else ()
        report = await asyncio.to_thread(
            janitor.verify,
            task,
            att.path,
            changed,
            gates,
            config.ownership,
            config.wall_timeout,
            against,
            "fast",  # the detectors that run tests: in land(), while it waits in the queue
            diff,
        )
        faults.point("checks-run")
        for warning in report.warnings:
            self.book.report(task.id, "warning", warning)
        checks = _dicts(report.results)
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
                body = att.log
                if body is None:  # resumed, or from a worker: not read with its head
                    body = await asyncio.to_thread(merge.attempt_log, repo, att.base, att.head)
                who = identity(self.s.plan.name, self.s.plan.task(task.id))
                message = merge.trailer_message(task.goal, body, run_id, task.id, att.n, who)
                self.verifying.pop(task.id, None)  # counted as on its way to the queue till now
                member = merge.Member(f"{run_id}/{task.id}", att.head, message)
                result = await self.queue.submit(member)
        finally:
            self.queued.pop(task.id, None)
        if not checks.ok:
            await self._refuse(att, _dicts(checks.results), checks.reason)
            self.settled(task.id, att.n, False)
            return
        gates = _dicts(result.gates)
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
            data = {"attempt": att.n, "ok": report.ok, "checks": _dicts(report.results)}
            self.store.add_event(run_id, task.id, self.book.clock(), "task.checks", data)
        return report

    async def _refuse(self, att: Attempt, checks: list[dict[str, Any]], reason: str) -> None:
        """Checks that ran while it waited in the queue, or on the tree about to land, failed:
        it does not land, and its next attempt is told why, as after its own checks."""
        run_id, task = self.s.run_id, att.task
        self.store.update_attempt(run_id, task.id, att.n, outcome="checks_failed")
        changed = await asyncio.to_thread(git.changed_files, self.s.repo, att.base, att.head)
        self.book.failed(task, failure.from_checks(att.n, checks, changed))
        self.book.retry_or_fail(task, reason, att.n)

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
            if gate == audit.NAME:  # it loses tests (found alone): an evasion, as in its checks
                await self._refuse(att, _dicts(result.gates), result.detail)
            else:
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


def _dicts(results: Iterable[CheckResult]) -> list[dict[str, Any]]:
    return [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in results]
