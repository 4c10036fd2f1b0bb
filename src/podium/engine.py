"""The loop that ties podium together: read state, decide, act, record."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podium import adapters, git, janitor, lifecycle, merge, runner, scheduler, worktrees
from podium.adapters.base import Job
from podium.config import Config
from podium.plan import Plan, Task, estimate_minutes
from podium.prompt import build_prompt
from podium.store import AttemptRow, Store

MAX_CONFLICT_ATTEMPTS = 2
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


class Engine:
    def __init__(self, setup: RunSetup, store: Store, report: Reporter | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.s = setup
        self.store = store
        self.report = report or (lambda task, what, detail: None)
        self.clock = clock
        self.notes: dict[str, str] = {}
        self.cancelled = asyncio.Event()
        self.git_lock = asyncio.Lock()
        self.merge_lock = asyncio.Lock()
        self.views = tuple(
            scheduler.TaskView(t.id, t.after, t.files, t.priority, estimate_minutes(t), t.agent)
            for t in setup.plan.tasks
        )
        state_dir = worktrees.state_dir(setup.repo)
        self.merge_ctx = merge.MergeContext(
            setup.repo, setup.target, setup.gates, setup.config,
            state_dir / "worktrees" / setup.run_id / "_gates",
        )

    # -- the loop ----------------------------------------------------------------------

    async def run(self) -> None:
        busy: dict[str, asyncio.Task[None]] = {}
        while True:
            states = {row.task_id: row.state for row in self.store.tasks(self.s.run_id)}
            if self.cancelled.is_set():
                self._cancel_pending(states)
            else:
                self._apply(states, busy)
            if not busy:
                break
            done, _ = await asyncio.wait(busy.values(), return_when=asyncio.FIRST_COMPLETED)
            for task_id in [t for t, job in busy.items() if job in done]:
                busy.pop(task_id).result()
        await asyncio.to_thread(self._drop_gate_dir)

    def _apply(self, states: dict[str, str], busy: dict[str, asyncio.Task[None]]) -> None:
        state = scheduler.SchedState(self.views, states, self.s.max_parallel)
        for action in scheduler.decide(state):
            if isinstance(action, scheduler.Block):
                why = f"blocked: depends on {action.by!r}, which {states[action.by]}"
                self.store.transition(self.s.run_id, action.task, lifecycle.BLOCKED,
                                      self.clock(), reason=why, data={"by": action.by})
                self.report(action.task, "blocked", why)
                states[action.task] = lifecycle.BLOCKED
            else:
                task = self.s.plan.task(action.task)
                busy[task.id] = asyncio.create_task(self._attempt(task))

    def _cancel_pending(self, states: dict[str, str]) -> None:
        for task_id, state in states.items():
            if state == lifecycle.PENDING:
                self.store.transition(self.s.run_id, task_id, lifecycle.CANCELLED, self.clock(),
                                      reason="run cancelled")

    # -- one attempt, from worktree to merged -------------------------------------------

    async def _attempt(self, task: Task) -> None:
        row = next(r for r in self.store.tasks(self.s.run_id) if r.task_id == task.id)
        n = row.attempts + 1
        repo, run_id = self.s.repo, self.s.run_id
        base = git.out(repo, "rev-parse", f"refs/heads/{self.s.target}")
        path = worktrees.worktree_path(repo, run_id, task.id, n)
        branch = worktrees.branch_name(run_id, task.id, n)
        self.store.start_attempt(AttemptRow(
            run_id, task.id, n, task.agent, task.model, branch, str(path), base, None, None,
            self.clock(), None, None, None, "", 0, 0, 0.0))
        self.report(task.id, "running", f"attempt {n}, agent {task.agent}")
        async with self.git_lock:
            await asyncio.to_thread(worktrees.create_worktree, repo, path, branch, base,
                                    self.s.config)
        failure = await asyncio.to_thread(worktrees.run_setup, path, self.s.config,
                                          self.s.config.wall_timeout)
        outcome = None if failure else await self._run_agent(task, n, path)
        if failure is None and outcome is not None:
            failure = outcome.reason or await self._judge(task, outcome)
        if failure is not None:
            final = lifecycle.CANCELLED if self.cancelled.is_set() else lifecycle.FAILED
            self._finish_attempt(task, n, outcome, None, "agent_failed", failure)
            self._settle(task, final, failure)
            return
        head = await asyncio.to_thread(worktrees.commit_leftovers, path,
                                       f"{task.goal}\n\nPodium-Task: {run_id}/{task.id}\n")
        self._finish_attempt(task, n, outcome, head, "finished", "")
        await self._verify_and_merge(task, n, path, base, head)

    async def _run_agent(self, task: Task, n: int, path: Path) -> runner.Outcome:
        adapter = adapters.get(task.agent)
        logs = worktrees.state_dir(self.s.repo) / "logs" / self.s.run_id / task.id
        prompt = build_prompt(self.s.plan, task, self.s.gates, self.notes.get(task.id, ""))
        prompt_file = logs / f"a{n}.prompt.md"
        prompt_file.parent.mkdir(parents=True, exist_ok=True)
        prompt_file.write_text(prompt, encoding="utf-8")
        home = worktrees.state_dir(self.s.repo) / "homes" / self.s.run_id / f"{task.id}-a{n}"
        home.mkdir(parents=True, exist_ok=True)
        job = Job(task, prompt, prompt_file, path, home, task.model,
                  self.s.config.agents.get(task.agent))
        launch = adapter.launch(job)
        env = runner.agent_env(launch, home, launch.inherit_env)
        env.update({"PODIUM_RUN": self.s.run_id, "PODIUM_TASK": task.id, "PODIUM_ATTEMPT": str(n)})
        limits = runner.Limits(self.s.config.wall_timeout, self.s.config.silence_timeout)

        def started(pid: int) -> None:
            self.store.update_attempt(self.s.run_id, task.id, n, pid=pid)

        return await runner.run_agent(adapter, launch, path, logs / f"a{n}.log", limits, env,
                                      started, self.cancelled)

    async def _judge(self, task: Task, outcome: runner.Outcome) -> str | None:
        adapter = adapters.get(task.agent)
        verdict = adapter.verdict(outcome.exit_code if outcome.exit_code is not None else -1,
                                  outcome.events)
        return None if verdict.ok else verdict.reason

    def _finish_attempt(self, task: Task, n: int, outcome: runner.Outcome | None,
                        head: str | None, status: str, reason: str) -> None:
        tin, tout, cost = runner.summarize(outcome.events if outcome else ())
        self.store.update_attempt(
            self.s.run_id, task.id, n, finished_at=self.clock(), head_commit=head,
            exit_code=outcome.exit_code if outcome else None, outcome=status, reason=reason,
            input_tokens=tin, output_tokens=tout, cost_usd=cost or 0.0,
        )

    async def _verify_and_merge(self, task: Task, n: int, path: Path, base: str,
                                head: str) -> None:
        run_id, repo = self.s.run_id, self.s.repo
        self.store.transition(run_id, task.id, lifecycle.VERIFYING, self.clock())
        changed = await asyncio.to_thread(git.changed_files, repo, base, head)
        report = await asyncio.to_thread(
            janitor.verify, task, path, changed, self.s.gates, self.s.config.ownership,
            self.s.config.wall_timeout)
        for warning in report.warnings:
            self.report(task.id, "warning", warning)
        checks = [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in report.results]
        self.store.add_event(run_id, task.id, self.clock(), "task.checks",
                             {"attempt": n, "ok": report.ok, "checks": checks})
        if not report.ok:
            self._settle(task, lifecycle.FAILED, report.reason)
            return
        if self.s.gates:
            self.merge_ctx.passed_trees.add(git.tree_of(repo, head))
        self.store.transition(run_id, task.id, lifecycle.MERGING, self.clock())
        body = await asyncio.to_thread(merge.attempt_log, repo, base, head)
        message = merge.trailer_message(task.goal, body, run_id, task.id, n)
        async with self.merge_lock:
            result = await asyncio.to_thread(self._merge, head, message)
        self.store.add_event(run_id, task.id, self.clock(), "task.merge",
                             {"attempt": n, "status": result.status, "detail": result.detail,
                              "commit": result.commit})
        self._after_merge(task, n, path, result)

    def _merge(self, head: str, message: str) -> merge.MergeOutcome:
        for _ in range(3):
            result = merge.merge_commit(self.merge_ctx, head, message)
            if result.status != "moved":
                return result
        return result

    def _after_merge(self, task: Task, n: int, path: Path, result: merge.MergeOutcome) -> None:
        if result.status == "merged":
            self.store.transition(self.s.run_id, task.id, lifecycle.MERGED, self.clock(),
                                  merged_commit=result.commit)
            worktrees.remove_worktree(self.s.repo, path)
            self.report(task.id, "merged", (result.commit or "")[:10])
        elif result.status == "conflict" and n < MAX_CONFLICT_ATTEMPTS:
            self.notes[task.id] = merge.summarize_conflict(result.conflicts, ())
            self._settle(task, lifecycle.PENDING, result.detail)
        else:
            self._settle(task, lifecycle.FAILED, result.detail)

    def _settle(self, task: Task, state: str, reason: str) -> None:
        self.store.transition(self.s.run_id, task.id, state, self.clock(), reason=reason)
        self.report(task.id, "retry" if state == lifecycle.PENDING else state, reason)

    def _drop_gate_dir(self) -> None:
        if self.merge_ctx.gate_dir.exists():
            worktrees.remove_worktree(self.s.repo, self.merge_ctx.gate_dir)
