"""The loop that ties podium together: read state, decide, act, record.

An attempt goes through three phases, each resumable on its own after a crash:
run (worktree + agent), verify (janitor), merge (merge step). The store says which phase a
task is in; `resume` restarts a task at the phase it was in.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from podium import git
from podium.agents import registry, runner
from podium.agents.base import AgentEvent, Job
from podium.agents.prompt import build_prompt
from podium.config import Config
from podium.landing import janitor, merge
from podium.landing.queue import MergeQueue
from podium.plans import graph
from podium.plans.model import Plan, Task, estimate_minutes
from podium.routing import prices, router
from podium.routing.chooser import Mode, Routing
from podium.runs import faults, worktrees
from podium.runs.reaper_client import Reaper
from podium.scheduling import lifecycle, scheduler
from podium.scheduling.admission import Admission
from podium.store import AttemptRow, Store

POLL = 0.5  # seconds between looks at requests (cancel or retry a task) in the store
FAILURES = ("agent_failed", "checks_failed", "gates_failed")
Reporter = Callable[[str, str, str], None]  # (task id or "", what happened, detail)


@dataclass(frozen=True)
class RunSetup:
    repo: Path
    run_id: str
    target: str
    plan: Plan
    config: Config
    gates: tuple[str, ...]
    max_parallel: int
    budget: float | None = None  # dollars for the whole run; None = no limit
    routing: Mode = "cascade"  # how each attempt's model is chosen: off | cascade | bandit


@dataclass(frozen=True)
class Attempt:
    task: Task
    n: int
    path: Path
    base: str
    head: str = ""


Phase = Callable[[], Coroutine[Any, Any, None]]


class Engine:
    def __init__(
        self,
        setup: RunSetup,
        store: Store,
        report: Reporter | None = None,
        reaper: Reaper | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.s = setup
        self.store = store
        self.report = report or (lambda task, what, detail: None)
        self.reaper = reaper or Reaper(None)
        self.clock = clock
        self.cancelled = asyncio.Event()
        self.stops: dict[str, asyncio.Event] = {}  # per task: stop its agent now
        self.live: Collection[str] = ()  # tasks with an attempt under way
        self.queued: set[str] = set()  # tasks waiting in the merge queue
        self.assigned: dict[str, str] = {}  # task -> the agent its current attempt uses
        self.stopped_by_budget = False
        policy = worktrees.state_dir(setup.repo) / "routing" / "policy.json"
        self.routing = Routing(setup.config, setup.routing, policy)
        self.git_lock = asyncio.Lock()
        self.resumed: dict[str, Phase] = {}  # task id -> the phase to continue it with
        self.views = tuple(
            scheduler.TaskView(t.id, t.after, t.files, t.priority, estimate_minutes(t), t.agent)
            for t in setup.plan.tasks
        )
        self.admission = Admission(setup, store, self.views)
        self.quotas = self.admission.quotas
        self.merge_ctx = merge.MergeContext(
            setup.repo,
            setup.target,
            setup.gates,
            setup.config,
            worktrees.state_dir(setup.repo) / "worktrees" / setup.run_id / "_gates",
        )

    # -- the loop ----------------------------------------------------------------------

    async def run(self) -> None:
        base = self.store.run(self.s.run_id).base_commit
        self.queue = MergeQueue(
            self.merge_ctx, base, self.s.config.batch, self.s.config.batch_wait, self._record_batch
        )
        self.queue.busy_upstream = self._upstream
        server = asyncio.create_task(self.queue.serve())
        try:
            await self._loop()
        finally:
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server
        await asyncio.to_thread(self._drop_gate_dir)
        faults.point("run-finishing")

    def _upstream(self) -> int:
        """Tasks at work that may soon reach the merge queue: worth a short wait to batch."""
        return len(self.live) - len(self.queued)

    def _record_batch(self, kind: str, data: dict[str, object]) -> None:
        self.store.add_event(self.s.run_id, None, self.clock(), kind, data)

    async def _loop(self) -> None:
        busy = {task: asyncio.create_task(phase()) for task, phase in self.resumed.items()}
        self.live = busy.keys()  # a live view: tasks with an attempt under way
        while True:
            states = {row.task_id: row.state for row in self.store.tasks(self.s.run_id)}
            for task_id in busy:  # launched, but its first write to the store may not be done
                if states[task_id] == lifecycle.PENDING:
                    states[task_id] = lifecycle.RUNNING
            if self.cancelled.is_set():
                self._cancel_pending(states)
            else:
                self._apply(states, busy)
            if not busy:
                if not await self._wait_for_quota(states):
                    break
                continue
            done, _ = await asyncio.wait(
                busy.values(), timeout=POLL, return_when=asyncio.FIRST_COMPLETED
            )
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
            self.report("", "waiting", f"the agents of the ready tasks rest until {when}")
            pause = max(0.0, min(reset - self.clock(), 60.0)) + 0.05
            with contextlib.suppress(TimeoutError):  # a cancel ends the wait at once
                await asyncio.wait_for(self.cancelled.wait(), timeout=pause)
            return True
        if why == "budget":
            self.stopped_by_budget = True
            self.report(
                "",
                "stopped",
                f"the run's budget of ${self.s.budget:.2f} cannot cover "
                "the next task; `podium resume --budget N` carries on",
            )
        return False

    def _apply(self, states: dict[str, str], busy: dict[str, asyncio.Task[None]]) -> None:
        state = self.admission.state(states, self.assigned, self.clock())
        for action in scheduler.decide(state):
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
                self.report(action.task, "blocked", why)
                states[action.task] = lifecycle.BLOCKED
                faults.point("task-blocked")
            else:
                task = self.s.plan.task(action.task)
                agent = state.agent_for.get(task.id, task.agent)
                if agent != task.agent:
                    self.report(task.id, "moved", f"to {agent}: {task.agent} is rate limited")
                    task = replace(task, agent=agent, model=None)
                self.assigned[task.id] = agent
                busy[task.id] = asyncio.create_task(self._attempt(task))

    def _handle_requests(self) -> None:
        """Cancel or retry single tasks, as asked through the store (`podium live`, MCP)."""
        if self.cancelled.is_set():
            for stop in self.stops.values():
                stop.set()
        for task_id, action in self.store.take_requests(self.s.run_id):
            state = next(r.state for r in self.store.tasks(self.s.run_id) if r.task_id == task_id)
            if action == "cancel" and state in lifecycle.BUSY:
                self._stop(task_id).set()
            elif action == "cancel" and state == lifecycle.PENDING:
                self._settle(self.s.plan.task(task_id), lifecycle.CANCELLED, "cancelled by request")
            elif action == "retry" and state in (lifecycle.FAILED, lifecycle.CANCELLED):
                self._settle(self.s.plan.task(task_id), lifecycle.PENDING, "retry requested")
                self._unblock(task_id)

    def _unblock(self, task_id: str) -> None:
        """Tasks blocked behind a task that is pending again are pending again too."""
        behind = graph.dependents(self.s.plan.deps())
        todo = list(behind[task_id])
        while todo:
            other = todo.pop()
            row = next(r for r in self.store.tasks(self.s.run_id) if r.task_id == other)
            if row.state == lifecycle.BLOCKED:
                self._settle(self.s.plan.task(other), lifecycle.PENDING, "dependency retried")
                todo.extend(behind[other])

    def _stop(self, task_id: str) -> asyncio.Event:
        stop = self.stops.setdefault(task_id, asyncio.Event())
        if self.cancelled.is_set():
            stop.set()
        return stop

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

    # -- phase 1: a fresh attempt --------------------------------------------------------

    async def _attempt(self, task: Task) -> None:
        row = next(r for r in self.store.tasks(self.s.run_id) if r.task_id == task.id)
        repo, run_id, n = self.s.repo, self.s.run_id, row.attempts + 1
        task = self._choose_model(task, n)
        note = f"the previous attempt did not land: {row.reason[:1500]}" if row.reason else ""
        base = await asyncio.to_thread(git.out, repo, "rev-parse", f"refs/heads/{self.s.target}")
        att = Attempt(task, n, worktrees.worktree_path(repo, run_id, task.id, n), base)
        branch = worktrees.branch_name(run_id, task.id, n)
        self.store.start_attempt(
            AttemptRow(
                run_id,
                task.id,
                n,
                task.agent,
                task.model,
                branch,
                str(att.path),
                base,
                None,
                None,
                None,
                self.clock(),
                None,
                None,
                None,
                "",
                0,
                0,
                0.0,
            )
        )
        faults.point("attempt-recorded")
        self.report(task.id, "running", f"attempt {n}, agent {task.agent}")
        async with self.git_lock:
            await asyncio.to_thread(
                worktrees.create_worktree, repo, att.path, branch, base, self.s.config
            )
        faults.point("worktree-created")
        failure = await asyncio.to_thread(
            worktrees.run_setup, att.path, self.s.config, self.s.config.wall_timeout
        )
        outcome = None if failure else await self._run_agent(att, note)
        faults.point("agent-exited")
        if failure is None and outcome is not None:
            failure = outcome.reason or self._judge(task, outcome)
        if failure is not None:
            self._finish_attempt(att, outcome, "agent_failed", failure)
            self._after_agent_failure(att, outcome, failure)
            return
        head = await asyncio.to_thread(
            worktrees.commit_leftovers,
            att.path,
            f"{task.goal}\n\nPodium-Task: {run_id}/{task.id}\n",
        )
        faults.point("leftovers-committed")
        att = replace(att, head=head)
        self._finish_attempt(att, outcome, "finished", "")
        faults.point("attempt-finished")
        await self.verify(att)

    async def _run_agent(self, att: Attempt, note: str) -> runner.Outcome:
        task, n, run_id = att.task, att.n, self.s.run_id
        adapter = registry.get(task.agent)
        state = worktrees.state_dir(self.s.repo)
        logs = state / "logs" / run_id / task.id
        prompt = build_prompt(self.s.plan, task, self.s.gates, note)
        prompt_file = logs / f"a{n}.prompt.md"
        prompt_file.parent.mkdir(parents=True, exist_ok=True)
        prompt_file.write_text(prompt, encoding="utf-8")
        home = state / "homes" / run_id / f"{task.id}-a{n}"
        home.mkdir(parents=True, exist_ok=True)
        job = Job(
            task,
            prompt,
            prompt_file,
            att.path,
            home,
            task.model,
            self.s.config.agents.get(task.agent),
        )
        launch = adapter.launch(job)
        self.store.update_attempt(run_id, task.id, n, model=launch.model or task.model)
        env = runner.agent_env(launch, home, launch.inherit_env)
        env.update(
            {
                "PODIUM_RUN": run_id,
                "PODIUM_TASK": task.id,
                "PODIUM_ATTEMPT": str(n),
                "PWD": str(att.path),
                "PODIUM_MODEL": launch.model or task.model or "",
            }
        )
        model = launch.model or task.model

        def price(events: Sequence[AgentEvent]) -> float:
            tin, tout, own = runner.summarize(events)
            return own if own is not None else prices.cost(model, tin, tout, self.s.config.prices)

        limits = runner.Limits(
            self.s.config.wall_timeout, self.s.config.silence_timeout, task.budget_usd, price
        )

        def started(pid: int) -> None:
            start = self.reaper.add(pid)
            self.store.update_attempt(run_id, task.id, n, pid=pid, pid_start=start)
            faults.point("agent-spawned")

        outcome = await runner.run_agent(
            adapter, launch, att.path, logs / f"a{n}.log", limits, env, started, self._stop(task.id)
        )
        self.stops.pop(task.id, None)
        if outcome.pid is not None:
            self.reaper.remove(outcome.pid)
        self._record_limits(task, n, outcome.events)
        return outcome

    def _record_limits(self, task: Task, n: int, events: Sequence[AgentEvent]) -> None:
        """Each rate limit the attempt met goes in the event log (even one the CLI got past)."""
        for event in events:
            if event.kind == "rate_limit":
                data = {
                    "attempt": n,
                    "agent": task.agent,
                    "reset_at": event.reset_at,
                    "text": event.text[:500],
                }
                self.store.add_event(self.s.run_id, task.id, self.clock(), "agent.rate_limit", data)

    def _cool_down(self, task: Task, events: Sequence[AgentEvent]) -> None:
        """An attempt lost to a rate limit: its agent rests until the latest reset the attempt
        saw, or for the configured cooldown when that is unknown or already past."""
        resets = [e.reset_at for e in events if e.kind == "rate_limit" and e.reset_at]
        until = self.quotas.rate_limited(task.agent, max(resets, default=None), self.clock())
        when = time.strftime("%H:%M:%S", time.localtime(until))
        self.report(task.id, "limited", f"{task.agent} rate limited until {when}")

    def _judge(self, task: Task, outcome: runner.Outcome) -> str | None:
        code = outcome.exit_code if outcome.exit_code is not None else -1
        verdict = registry.get(task.agent).verdict(code, outcome.events)
        return None if verdict.ok else verdict.reason

    def _finish_attempt(
        self, att: Attempt, outcome: runner.Outcome | None, status: str, reason: str
    ) -> None:
        tin, tout, cost = runner.summarize(outcome.events if outcome else ())
        if cost is None and (tin or tout):
            model = self.store.attempts(self.s.run_id, att.task.id)[att.n - 1].model
            cost = prices.cost(model, tin, tout, self.s.config.prices)
        self.store.update_attempt(
            self.s.run_id,
            att.task.id,
            att.n,
            finished_at=self.clock(),
            head_commit=att.head or None,
            exit_code=outcome.exit_code if outcome else None,
            outcome=status,
            reason=reason,
            input_tokens=tin,
            output_tokens=tout,
            cost_usd=cost or 0.0,
        )

    def _after_agent_failure(
        self, att: Attempt, outcome: runner.Outcome | None, failure: str
    ) -> None:
        if self.cancelled.is_set() or "run cancelled" in failure:
            self._settle(att.task, lifecycle.CANCELLED, failure)
        elif outcome is not None and outcome.killed == "budget":
            self._settle(att.task, lifecycle.FAILED, failure)
        elif outcome is not None and any(e.kind == "rate_limit" for e in outcome.events):
            self._cool_down(att.task, outcome.events)
            self.store.update_attempt(self.s.run_id, att.task.id, att.n, outcome="rate_limited")
            limited = self._count(att.task.id, "rate_limited")
            # Rate limits have their own count (the attempt was not the agent's fault), with
            # the same bound: the next attempt waits for the reset or moves to another agent.
            state = lifecycle.PENDING if limited < self.s.config.max_attempts else lifecycle.FAILED
            self._settle(att.task, state, failure)
        else:
            self._retry_or_fail(att.task, failure, att.n)

    def _retry_or_fail(self, task: Task, reason: str, n: int = 0) -> None:
        """Another attempt (up the escalation ladder) while attempts remain, else failed."""
        if n:
            self._learn(task.id, n, merged=False)
        failures = sum(self._count(task.id, kind) for kind in FAILURES)
        state = lifecycle.PENDING if failures < self.s.config.max_attempts else lifecycle.FAILED
        self._settle(task, state, reason)

    def _choose_model(self, task: Task, n: int) -> Task:
        """The agent and model for this attempt: the configured ladder after a failure, else
        the router (cascade by complexity, escalation, or the bandit), recorded for `explain`."""
        failures = sum(self._count(task.id, kind) for kind in FAILURES)
        ladder = self.s.config.ladder
        if failures and ladder:
            agent, model = ladder[min(failures, len(ladder)) - 1]
            return replace(task, agent=agent, model=model or task.model)
        task, choice = self.routing.pick(task, failures)
        if choice is not None:
            data = {"attempt": n, **router.choice_json(choice)}
            self.store.add_event(self.s.run_id, task.id, self.clock(), "task.routed", data)
        return task

    def _learn(self, task_id: str, n: int, merged: bool) -> None:
        cost = self.store.attempts(self.s.run_id, task_id)[n - 1].cost_usd
        self.routing.learn(task_id, merged, cost)

    # -- phase 2: verify -----------------------------------------------------------------

    async def verify(self, att: Attempt, again: bool = False) -> None:
        """Check the attempt; `again` when resuming a task that was already verifying."""
        run_id, repo, task = self.s.run_id, self.s.repo, att.task
        if not again:
            self.store.transition(run_id, task.id, lifecycle.VERIFYING, self.clock())
            faults.point("verifying")
        changed = await asyncio.to_thread(git.changed_files, repo, att.base, att.head)
        report = await asyncio.to_thread(
            janitor.verify,
            task,
            att.path,
            changed,
            self.s.gates if self.s.config.gate_attempts else (),
            self.s.config.ownership,
            self.s.config.wall_timeout,
            janitor.Against(repo, att.base, self.s.gates, self.s.config),
        )
        faults.point("checks-run")
        for warning in report.warnings:
            self.report(task.id, "warning", warning)
        checks = [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in report.results]
        self.store.add_event(
            run_id,
            task.id,
            self.clock(),
            "task.checks",
            {"attempt": att.n, "ok": report.ok, "checks": checks},
        )
        faults.point("checks-recorded")
        if not report.ok:
            self.store.update_attempt(run_id, task.id, att.n, outcome="checks_failed")
            self._retry_or_fail(task, report.reason, att.n)
            return
        if self.s.gates and self.s.config.gate_attempts:
            self.merge_ctx.passed_trees.add(git.tree_of(repo, att.head))
        self.store.transition(run_id, task.id, lifecycle.MERGING, self.clock())
        faults.point("merging")
        await self.land(att)

    # -- phase 3: merge ------------------------------------------------------------------

    async def land(self, att: Attempt) -> None:
        run_id, repo, task = self.s.run_id, self.s.repo, att.task
        body = await asyncio.to_thread(merge.attempt_log, repo, att.base, att.head)
        message = merge.trailer_message(task.goal, body, run_id, task.id, att.n)
        self.queued.add(task.id)
        try:
            member = merge.Member(f"{run_id}/{task.id}", att.head, message)
            result = await self.queue.submit(member)
        finally:
            self.queued.discard(task.id)
        self.store.add_event(
            run_id,
            task.id,
            self.clock(),
            "task.merge",
            {
                "attempt": att.n,
                "status": result.status,
                "detail": result.detail,
                "commit": result.commit,
                "gates": [{"name": g.name, "ok": g.ok, "detail": g.detail} for g in result.gates],
            },
        )
        await self._after_merge(att, result)

    async def _after_merge(self, att: Attempt, result: merge.MergeOutcome) -> None:
        task = att.task
        self.store.update_attempt(self.s.run_id, task.id, att.n, outcome=result.status)
        if result.status == "merged":
            self.store.transition(
                self.s.run_id, task.id, lifecycle.MERGED, self.clock(), merged_commit=result.commit
            )
            faults.point("merged-recorded")
            self._learn(task.id, att.n, merged=True)
            paths = [Path(a.worktree) for a in self.store.attempts(self.s.run_id, task.id)]
            await asyncio.to_thread(self._remove_worktrees, paths)  # superseded ones too
            faults.point("worktree-removed")
            self.report(task.id, "merged", (result.commit or "")[:10])
        elif result.status == "conflict":
            retry = self._count(task.id, "conflict") <= self.s.config.conflict_retries
            self._settle(task, lifecycle.PENDING if retry else lifecycle.FAILED, result.detail)
            faults.point("task-requeued")
        elif result.status == "gates_failed":
            self._retry_or_fail(task, result.detail, att.n)
        else:
            self._settle(task, lifecycle.FAILED, result.detail)

    def _remove_worktrees(self, paths: list[Path]) -> None:
        for path in paths:
            if path.exists():
                worktrees.remove_worktree(self.s.repo, path)

    def _count(self, task_id: str, outcome: str) -> int:
        """How many of this task's attempts ended with `outcome` (lost ones never count)."""
        return sum(a.outcome == outcome for a in self.store.attempts(self.s.run_id, task_id))

    def _settle(self, task: Task, state: str, reason: str) -> None:
        self.store.transition(self.s.run_id, task.id, state, self.clock(), reason=reason)
        self.report(task.id, "retry" if state == lifecycle.PENDING else state, reason)

    def _drop_gate_dir(self) -> None:
        if self.merge_ctx.gate_dir.exists():
            worktrees.remove_worktree(self.s.repo, self.merge_ctx.gate_dir)
