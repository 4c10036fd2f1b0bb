"""A run's bookkeeping in the store: attempts counted, tasks settled, the router taught.

The engine's loop and its phases (an attempt, verifying and landing) all settle tasks the
same way; this is that one way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from podium.agents import runner
from podium.agents.base import AgentEvent
from podium.config import provider_of
from podium.plans.model import Task
from podium.routing import prices, router
from podium.routing.chooser import Routing
from podium.runs import failure, worktrees
from podium.runs.setup import Attempt, Reporter, RunSetup
from podium.scheduling import lifecycle
from podium.scheduling.quotas import Quotas
from podium.store import Store

FAILURES = ("agent_failed", "checks_failed", "gates_failed")


class Ledger:
    def __init__(
        self,
        setup: RunSetup,
        store: Store,
        report: Reporter,
        quotas: Quotas,
        clock: Callable[[], float],
    ) -> None:
        self.s = setup
        self.store = store
        self.report = report
        self.quotas = quotas
        self.clock = clock
        policy = worktrees.state_dir(setup.repo) / "routing" / "policy.json"
        self.routing = Routing(setup.config, setup.routing, policy)
        self.floors: dict[str, int] = {}  # task -> attempts made before its latest retry
        self.pinned: dict[str, tuple[str | None, str | None]] = {}  # retry's agent and model
        self.said: dict[tuple[str, int], str] = {}  # (task, attempt) -> the agent's last words
        self.paused = ""  # why the run pauses (an account's credit is used up), once it must
        for event in store.events(setup.run_id):
            if event.kind == "task.retry" and event.task_id is not None:
                self.retried(event.task_id, event.data)

    def retried(self, task_id: str, data: dict[str, object]) -> None:
        """A `task.retry` event: a fresh attempt budget from here, maybe a pinned agent."""
        after = data.get("after")
        self.floors[task_id] = after if isinstance(after, int) else 0
        agent, model = data.get("agent"), data.get("model")
        if agent or model:
            self.pinned[task_id] = (
                agent if isinstance(agent, str) else None,
                model if isinstance(model, str) else None,
            )
        else:
            self.pinned.pop(task_id, None)

    def this_go(self, task_id: str) -> list[str]:
        """Outcomes of the task's attempts since its latest retry (lost, cancelled and
        discarded ones never count)."""
        floor = self.floors.get(task_id, 0)
        return [
            a.outcome or ""
            for a in self.store.attempts(self.s.run_id, task_id)
            if a.n > floor and a.outcome not in ("lost", "cancelled", "paused", "discarded")
        ]

    def more(self, task_id: str) -> bool:
        """May the task have another attempt in this go? At most `max_attempts` in all."""
        return len(self.this_go(task_id)) < self.s.config.max_attempts

    def count(self, task_id: str, outcome: str) -> int:
        """How many of this task's attempts in this go ended with `outcome`."""
        return self.this_go(task_id).count(outcome)

    def failures(self, task_id: str) -> int:
        return sum(self.count(task_id, kind) for kind in FAILURES)

    def settle(self, task: Task, state: str, reason: str) -> None:
        self.store.transition(self.s.run_id, task.id, state, self.clock(), reason=reason)
        self.report(task.id, "retry" if state == lifecycle.PENDING else state, reason)

    def retry_or_fail(self, task: Task, reason: str, n: int = 0) -> None:
        """Another attempt (up the escalation ladder) while attempts remain, else failed."""
        if n:
            self.learn(task.id, n, merged=False)
        self.settle(task, lifecycle.PENDING if self.more(task.id) else lifecycle.FAILED, reason)

    def record_failure(self, task: Task, n: int, stage: str, failed: str, detail: str) -> None:
        """A failed attempt's summary (`task.failure`), from what the store holds about it."""
        self.failed(task, failure.Failure(n, stage, failed, detail, failure.failing_tests(detail)))

    def failed(self, task: Task, summary: failure.Failure) -> None:
        row = self.store.attempts(self.s.run_id, task.id)[summary.attempt - 1]
        summary = replace(
            summary,
            detail=failure.first_lines(summary.detail),
            last_words=self.said.get((task.id, summary.attempt), ""),
            exit_code=row.exit_code,
            agent=row.agent,
            model=row.model,
        )
        data = {**summary.to_json(), "text": failure.render(summary)}
        self.store.add_event(self.s.run_id, task.id, self.clock(), "task.failure", data)

    def note(self, task_id: str, reason: str, tried: int) -> str:
        """What the next attempt is told about the last one: its failure summary, else the
        raw reason. `tried`: the task's attempts so far; with none there is no failure
        summary to look for (the run's event log is read only then: it grows with the run)."""
        found = [
            str(e.data.get("text", ""))
            for e in (self.store.events(self.s.run_id) if tried else ())
            if e.kind == "task.failure" and e.task_id == task_id
        ]
        if found:
            return "the previous attempt did not land.\n" + found[-1]
        return f"the previous attempt did not land: {reason[:1500]}" if reason else ""

    def learn(self, task_id: str, n: int, merged: bool) -> None:
        cost = self.store.attempts(self.s.run_id, task_id)[n - 1].cost_usd
        self.routing.learn(task_id, merged, cost)

    def choose_model(self, task: Task, n: int) -> Task:
        """The agent and model for this attempt: the configured ladder after a failure, else
        the router (cascade by complexity, escalation, or the bandit), recorded for `explain`."""
        if task.id in self.pinned:  # `podium retry --agent/--model` said which
            agent, model = self.pinned[task.id]
            return replace(task, agent=agent or task.agent, model=model)
        failures = self.failures(task.id)
        ladder = self.s.config.ladder
        if failures and ladder:
            agent, model = ladder[min(failures, len(ladder)) - 1]
            return replace(task, agent=agent, model=model or task.model)
        task, choice = self.routing.pick(task, failures)
        if choice is not None:
            data = {"attempt": n, **router.choice_json(choice)}
            self.store.add_event(self.s.run_id, task.id, self.clock(), "task.routed", data)
        return task

    def finish_attempt(
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

    def record_limits(self, task: Task, n: int, events: Sequence[AgentEvent]) -> None:
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

    def pause(self, task: Task, n: int, events: Sequence[AgentEvent]) -> None:
        """The account's credit is used up: the attempt does not count, the task waits, the
        account rests, and the run pauses once its other attempts end (`podium resume`)."""
        resets = [e.reset_at for e in events if e.kind == "rate_limit" and e.reset_at]
        reset = max(resets, default=None)
        self.quotas.rate_limited(task.agent, reset, self.clock())
        provider = provider_of(task.agent, self.s.config)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(reset)) if reset else "unknown"
        self.paused = f"{provider} credit exhausted, resets {when}"
        self.store.update_attempt(self.s.run_id, task.id, n, outcome="paused")
        data = {"reason": self.paused, "task": task.id, "agent": task.agent, "reset_at": reset}
        self.store.add_event(self.s.run_id, None, self.clock(), "account.exhausted", data)
        self.settle(task, lifecycle.PENDING, f"paused: {self.paused}")

    def cool_down(self, task: Task, events: Sequence[AgentEvent]) -> None:
        """An attempt lost to a rate limit: its agent rests until the latest reset the attempt
        saw, or for the configured cooldown when that is unknown or already past."""
        resets = [e.reset_at for e in events if e.kind == "rate_limit" and e.reset_at]
        until = self.quotas.rate_limited(task.agent, max(resets, default=None), self.clock())
        when = time.strftime("%H:%M:%S", time.localtime(until))
        self.report(task.id, "limited", f"{task.agent} rate limited until {when}")
