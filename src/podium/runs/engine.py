"""The loop that ties podium together: read state, decide, act, record.

A task goes through three phases, each resumable on its own after a crash: an attempt
(`runs.attempt`: worktree + agent, carried out by an executor), verification and landing
(`runs.lander`: janitor, merge queue). The store says which phase a task is in; `resume`
restarts a task at the phase it was in. The loop here only decides what starts, and acts on
requests (cancel or retry a task) and on rate limits and the budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Collection, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from podium.executors.base import Executor
from podium.executors.choice import executor_for
from podium.landing import merge
from podium.landing.queue import MergeQueue
from podium.plans.model import Task, estimate_minutes
from podium.runs import faults, retry, worktrees
from podium.runs.attempt import AttemptPhase
from podium.runs.lander import Lander
from podium.runs.ledger import FAILURES, Ledger
from podium.runs.reaper_client import Reaper
from podium.runs.setup import Attempt, Reporter, RunSetup
from podium.runs.speculation import Speculation
from podium.scheduling import lifecycle, scheduler
from podium.scheduling.admission import Admission
from podium.store import Store

__all__ = ["FAILURES", "Attempt", "Engine", "Reporter", "RunSetup"]

POLL = 0.5  # seconds between looks at requests (cancel or retry a task) in the store

Phase = Callable[[], Coroutine[Any, Any, None]]


class Engine:
    def __init__(
        self,
        setup: RunSetup,
        store: Store,
        report: Reporter | None = None,
        reaper: Reaper | None = None,
        clock: Callable[[], float] = time.time,
        executor: Executor | None = None,
    ) -> None:
        self.s = setup
        self.store = store
        self.clock = clock
        self.cancelled = asyncio.Event()
        self.live: Collection[str] = ()  # tasks with an attempt under way
        self.assigned: dict[str, str] = {}  # task -> the agent its current attempt uses
        self.stopped_by_budget = False
        self.resumed: dict[str, Phase] = {}  # task id -> the phase to continue it with
        self.views = tuple(
            scheduler.TaskView(t.id, t.after, t.files, t.priority, estimate_minutes(t), t.agent)
            for t in setup.plan.tasks
        )
        self.admission = Admission(setup.limits(), self.views)
        self.book = Ledger(setup, store, report or (lambda *_: None), self.admission.quotas, clock)
        self.attempts = AttemptPhase(
            self.book,
            executor or executor_for(setup.repo, setup.config, setup.max_parallel),
            reaper or Reaper(None),
            self.cancelled,
        )
        gate_dir = worktrees.state_dir(setup.repo) / "worktrees" / setup.run_id / "_gates"
        ctx = merge.MergeContext(setup.repo, setup.target, setup.gates, setup.config, gate_dir)
        self.lander = Lander(self.book, ctx)
        self.spec = Speculation(setup, store, self.lander)
        self.lander.settled = self._settled
        self.attempts.discard = self.lander.discard
        self.moved = asyncio.Event()  # a dependency may have come within reach: look now
        if setup.config.speculate != "off":
            self.lander.moved = self.moved.set
        self.rows, self.states = store.watch(setup.run_id)  # kept current by each transition
        self.spec.rows = self.rows

    # The phases, as `resume` continues them.
    async def verify(self, att: Attempt, again: bool = False) -> None:
        await self.lander.verify(att, again)

    async def land(self, att: Attempt) -> None:
        await self.lander.land(att)

    async def run(self) -> None:
        # Each task may hold a thread for seconds (its checks, a test collection ahead of
        # it): the default pool (cores + 4) would make the others' git work wait behind them.
        threads = ThreadPoolExecutor(max_workers=4 * self.s.max_parallel + 8)
        asyncio.get_running_loop().set_default_executor(threads)
        base = self.store.run(self.s.run_id).base_commit
        config = self.s.config
        queue = MergeQueue(
            self.lander.merge_ctx, base, config.batch, config.batch_wait, self._record_batch
        )
        queue.busy_upstream = lambda: (
            len(self.lander.verifying) + len(self.attempts.finishing) + self.attempts.due()
        )
        queue.verdict = self.spec.verdict
        self.lander.queue = queue
        server = asyncio.create_task(queue.serve())
        try:
            await self._loop(server)
        finally:
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server
        await asyncio.to_thread(self.lander.drop_gate_dir)
        faults.point("run-finishing")

    def _settled(self, task_id: str, n: int, landed: bool) -> None:
        """An attempt landed or never will: dependents built on it that cannot land now are
        stopped (their merge, if queued, is found stale), and the queue looks again."""
        if not landed:
            why = f"its base held {task_id}'s attempt {n}, which did not land"
            for dependent in self.spec.built_on(task_id, n):
                if self.rows[dependent].state == lifecycle.RUNNING:
                    self.attempts.discarding[dependent] = why
                    self.attempts.stop(dependent).set()
        if self.lander.queue is not None:
            self.lander.queue.poke()

    def _record_batch(self, kind: str, data: dict[str, object]) -> None:
        self.store.add_event(self.s.run_id, None, self.clock(), kind, data)

    async def _loop(self, server: asyncio.Task[None]) -> None:
        busy = {task: asyncio.create_task(phase()) for task, phase in self.resumed.items()}
        self.live = busy.keys()  # a live view: tasks with an attempt under way
        while True:
            states = dict(self.states)  # the store's, as this process last wrote them
            for task_id in busy:  # launched, but its first write to the store may not be done
                if states[task_id] == lifecycle.PENDING:
                    states[task_id] = lifecycle.RUNNING
            for task_id in self.spec.ahead():  # about to land: dependents may start
                states[task_id] = scheduler.LANDING
            if self.cancelled.is_set():
                self._cancel_pending(states)
            elif not self.book.paused:  # paused: what runs finishes, nothing new starts
                self._apply(states, busy)
            if not busy:
                if self.book.paused or not await self._wait_for_quota(states):
                    break
                continue
            moved = asyncio.ensure_future(self.moved.wait())
            done, _ = await asyncio.wait(
                [*busy.values(), moved, server],
                timeout=POLL,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if server.done():  # the merge queue died: say why rather than wait forever
                raise RuntimeError("the merge queue stopped") from server.exception()
            moved.cancel()
            self.moved.clear()
            for task_id in [t for t, job in busy.items() if job in done]:
                busy.pop(task_id).result()
            self._handle_requests()

    async def _wait_for_quota(self, states: dict[str, str]) -> bool:
        """Nothing is running but work is left: wait for a rate limit's reset, or stop for
        the budget. True when the loop should go on."""
        if self.cancelled.is_set():
            return False
        why, reset = self.admission.stuck(states)
        if why == "wait" and reset is not None:
            when = time.strftime("%H:%M:%S", time.localtime(reset))
            self.book.report("", "waiting", f"the agents of the ready tasks rest until {when}")
            pause = max(0.0, min(reset - self.clock(), 60.0)) + 0.05
            with contextlib.suppress(TimeoutError):  # a cancel ends the wait at once
                await asyncio.wait_for(self.cancelled.wait(), timeout=pause)
            return True
        if why == "budget":
            self.stopped_by_budget = True
            self.book.report(
                "",
                "stopped",
                f"the run's budget of ${self.s.budget:.2f} cannot cover "
                "the next task; `podium resume --budget N` carries on",
            )
        return False

    def _sched_state(self, states: dict[str, str]) -> scheduler.SchedState:
        spent, history = 0.0, None
        if self.s.budget is not None:  # what the budget check needs, read only then
            spent = sum(a.cost_usd for a in self.store.attempts(self.s.run_id))
            history = {a: self.store.costs_of(a) for a in self.admission.agents()}
        return self.admission.state(states, self.assigned, self.clock(), spent, history)

    def _apply(self, states: dict[str, str], busy: dict[str, asyncio.Task[None]]) -> None:
        for action in scheduler.decide(state := self._sched_state(states)):
            if isinstance(action, scheduler.Block):
                why = f"blocked: depends on {action.by!r}, which {states[action.by]}"
                self.store.transition(
                    self.s.run_id,
                    action.task,
                    lifecycle.BLOCKED,
                    self.clock(),
                    reason=why,
                    data={"by": action.by},
                )
                self.book.report(action.task, "blocked", why)
                states[action.task] = lifecycle.BLOCKED
                faults.point("task-blocked")
            else:
                task = self.s.plan.task(action.task)
                agent = state.agent_for.get(task.id, task.agent)
                if agent != task.agent:
                    self.book.report(task.id, "moved", f"to {agent}: {task.agent} is rate limited")
                    task = replace(task, agent=agent, model=None)
                self.assigned[task.id] = agent
                busy[task.id] = asyncio.create_task(self._start(task))

    async def _start(self, task: Task) -> None:
        """An attempt on the target, or on the tree about to land when a dependency has not
        landed yet; waits while that tree cannot be built (its parts conflict)."""
        while (start := await self.spec.start_for(task)) == "later":
            if self.cancelled.is_set() or self._behind_failure(task):
                return  # the loop decides again: blocked, or cancelled
            await asyncio.sleep(POLL)
        n = self.rows[task.id].attempts + 1
        self.spec.started(task.id, n, start)
        if start is None:
            await self.attempts.run(task, self.lander.verify)
        else:
            await self.attempts.run(task, self.lander.verify, start.base, start.event())

    def _behind_failure(self, task: Task) -> bool:
        return any(
            self.rows[d].state not in (*lifecycle.BUSY, lifecycle.MERGED)
            for d in task.after
            if d in self.rows
        )

    def _handle_requests(self) -> None:
        """Cancel or retry single tasks, as asked through the store (`podium live`, MCP)."""
        if self.cancelled.is_set():
            for stop in self.attempts.stops.values():
                stop.set()
        now = self.clock()
        for task_id, action in self.store.take_requests(self.s.run_id):
            state = self.store.task(self.s.run_id, task_id).state
            task = self.s.plan.task(task_id)
            if action == "cancel" and state in lifecycle.BUSY:
                self.attempts.stop(task_id).set()
            elif action == "cancel" and state == lifecycle.PENDING:
                self.book.settle(task, lifecycle.CANCELLED, "cancelled by request")
            elif action == "retry" and state in retry.RETRYABLE:
                for opened in retry.reopen(self.store, self.s.plan, self.s.run_id, [task_id], now):
                    self.book.report(opened, "retry", "retry requested")
                self.book.retried(task_id, {"after": self._attempts_of(task_id)})

    def _attempts_of(self, task_id: str) -> int:
        return self.store.task(self.s.run_id, task_id).attempts

    def _cancel_pending(self, states: dict[str, str]) -> None:
        for task_id, state in states.items():
            if state == lifecycle.PENDING:
                self.store.transition(
                    self.s.run_id,
                    task_id,
                    lifecycle.CANCELLED,
                    self.clock(),
                    reason="run cancelled",
                )
