"""The local executor: an attempt as a worktree and an agent process group on this machine."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from podium.agents import registry, runner
from podium.agents.base import AgentEvent, Job
from podium.executors.base import AttemptRequest, AttemptResult, Hooks
from podium.routing import prices
from podium.runs import faults, worktrees

# Checkouts at once. `git worktree add` itself runs one at a time (worktrees.WORKTREE_LOCK);
# with more than one slot the files are checked out after it, in parallel, and this bound
# keeps a burst of starts from swamping the disk. (One at a time, 4 slots gained only 1.3x
# over one at 50k files.)
CHECKOUTS = 4


class LocalExecutor:
    def __init__(self, repo: Path, checkouts: int = CHECKOUTS, parallel: bool = False) -> None:
        self.repo = repo
        self.checkouts = asyncio.Semaphore(checkouts)
        self.parallel = parallel  # more than one slot: check out beside other adds

    async def run(self, request: AttemptRequest, hooks: Hooks) -> AttemptResult:
        config = request.config
        async with self.checkouts:
            await asyncio.to_thread(
                worktrees.create_worktree,
                self.repo,
                request.worktree,
                request.branch,
                request.base,
                config,
                self.parallel,
            )
        faults.point("worktree-created")
        failure = await asyncio.to_thread(
            worktrees.run_setup, request.worktree, config, config.wall_timeout
        )
        if failure is not None:
            return AttemptResult(None, failure)
        outcome = await self._run_agent(request, hooks)
        hooks.on_exit()
        faults.point("agent-exited")
        failure = outcome.reason or _judge(self.repo, request, outcome)
        if failure is not None:
            return AttemptResult(outcome, failure)
        head, log = await asyncio.to_thread(
            worktrees.commit_leftovers, request.worktree, request.message, request.base
        )
        faults.point("leftovers-committed")
        return AttemptResult(outcome, None, head, log)

    async def _run_agent(self, request: AttemptRequest, hooks: Hooks) -> runner.Outcome:
        task, n, config = request.task, request.n, request.config
        adapter = registry.get(task.agent)
        prompt_file = request.logs / f"a{n}.prompt.md"
        prompt_file.parent.mkdir(parents=True, exist_ok=True)
        prompt_file.write_text(request.prompt, encoding="utf-8")
        request.home.mkdir(parents=True, exist_ok=True)
        job = Job(
            task,
            request.prompt,
            prompt_file,
            request.worktree,
            request.home,
            task.model,
            config.agents.get(task.agent),
        )
        launch = adapter.launch(job)
        model = launch.model or task.model
        hooks.on_model(model)
        env = runner.agent_env(launch, request.home, launch.inherit_env)
        env.update(
            {
                "PODIUM_RUN": request.run_id,
                "PODIUM_TASK": task.id,
                "PODIUM_ATTEMPT": str(n),
                "PWD": str(request.worktree),
                "PODIUM_MODEL": model or "",
            }
        )

        def price(events: Sequence[AgentEvent]) -> float:
            tin, tout, own = runner.summarize(events)
            return own if own is not None else prices.cost(model, tin, tout, config.prices)

        limits = runner.Limits(config.wall_timeout, config.silence_timeout, task.budget_usd, price)
        log = request.logs / f"a{n}.log"
        return await runner.run_agent(
            adapter, launch, request.worktree, log, limits, env, hooks.on_spawn, hooks.stop
        )


def _judge(repo: Path, request: AttemptRequest, outcome: runner.Outcome) -> str | None:
    code = outcome.exit_code if outcome.exit_code is not None else -1
    verdict = registry.get(request.task.agent).verdict(code, outcome.events)
    if verdict.ok:
        return None
    if request.task.agent == "command":
        return verdict.reason + _fresh_tree_hint(repo, request)
    return verdict.reason


def _fresh_tree_hint(repo: Path, request: AttemptRequest) -> str:
    """A command failed: name the files it was given that the committed tree lacks."""
    worktree = request.worktree
    missing = [
        arg
        for arg in request.task.command
        if "{" not in arg
        and not Path(arg).is_absolute()
        and (repo / arg).is_file()
        and not (worktree / arg).exists()
    ]
    if missing:
        return (
            f" ({', '.join(repr(m) for m in missing)} is not committed: attempts run in a "
            "fresh worktree of the committed tree, where untracked files are absent)"
        )
    return " (it ran in a fresh worktree of the committed tree: untracked files are absent)"
