"""`podium worker`: carries attempts out for a coordinator, through Temporal, on any machine.

A worker keeps a bare cache clone of each remote it is sent, makes a worktree per attempt at
exactly the base the coordinator named, and runs the agent with the local executor (the same
adapters and runner: process group, timeouts, usage, rate limits, budget stop). It commits
what the agent left, pushes only `podium/<run>/<task>/a<n>`, and heartbeats while it works
(with the last line of the agent's log). Agent keys come from this process's environment;
none travels in a payload. If the worker dies, its reaper kills the agents' process groups;
if Temporal cancels the attempt (the run was cancelled, or the worker lost its lease), the
agent is killed and nothing is pushed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from temporalio import activity

from podium import git
from podium.agents import registry
from podium.config import ExecutorConfig
from podium.executors import temporal_wire as wire
from podium.executors.base import AttemptRequest, AttemptResult, Hooks
from podium.executors.local import LocalExecutor
from podium.executors.temporal import connect
from podium.executors.temporal_workflow import AttemptWorkflow
from podium.runs import faults, worktrees
from podium.runs.reaper_client import Reaper

T = TypeVar("T")


@dataclass(frozen=True)
class WorkerOptions:
    settings: ExecutorConfig  # address, namespace, task queue, TLS, API key
    home: Path  # the worker's own folder: caches, worktrees, logs, agent homes
    slots: int = 2  # attempts at once
    agents: tuple[str, ...] = ()  # the agents it serves; empty: those usable here


def usable_agents() -> tuple[str, ...]:
    return tuple(n for n in registry.names() if registry.get(n).available().usable)


def say(text: str) -> None:
    print(f"podium worker: {text}", file=sys.stderr, flush=True)


class AttemptActivity:
    def __init__(self, home: Path, reaper: Reaper, slots: int, name: str) -> None:
        self.home = home
        self.reaper = reaper
        self.slots = asyncio.Semaphore(slots)
        self.name = name
        self.caches: dict[str, LocalExecutor] = {}
        self.fetching: dict[str, asyncio.Lock] = {}  # cache -> its fetch, one at a time

    @activity.defn(name=wire.ACTIVITY)
    async def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        request = wire.request_of(spec, self.home)
        stop = asyncio.Event()
        say(f"{request.branch}: started")
        log = request.logs / f"a{request.n}.log"
        data = await _beating(self._attempt(spec, request, stop), stop, spec["heartbeat"], log)
        say(f"{request.branch}: {data['failure'] or 'pushed ' + data['head'][:10]}")
        return data

    async def _attempt(
        self, spec: dict[str, Any], request: AttemptRequest, stop: asyncio.Event
    ) -> dict[str, Any]:
        log = request.logs / f"a{request.n}.log"
        async with self.slots:
            executor = await self._cache(spec["remote"], request)
            if isinstance(executor, str):
                return wire.result_of(AttemptResult(None, executor), None, log, self.name)
            model: list[str | None] = [request.task.model]
            hooks = Hooks(stop, lambda m: model.__setitem__(0, m), self._spawned)
            result = await executor.run(request, hooks)
            if result.outcome is not None and result.outcome.pid is not None:
                self.reaper.remove(result.outcome.pid)
            if result.failure is None and not stop.is_set():
                failure = await asyncio.to_thread(_push, request, spec["remote"])
                result = AttemptResult(result.outcome, failure, "" if failure else result.head)
            await asyncio.to_thread(worktrees.remove_worktree, executor.repo, request.worktree)
            return wire.result_of(result, model[0], log, self.name)

    def _spawned(self, pid: int) -> None:
        self.reaper.add(pid)

    async def _cache(self, remote: str, request: AttemptRequest) -> LocalExecutor | str:
        """The cache clone of `remote`, holding the attempt's base; or why it cannot."""
        key = hashlib.sha1(remote.encode()).hexdigest()[:10]
        executor = self.caches.setdefault(key, LocalExecutor(self.home / "cache" / f"{key}.git"))
        ref = f"refs/podium/{request.run_id}/bases/{request.base}"
        async with self.fetching.setdefault(key, asyncio.Lock()):  # one fetch per cache at once
            problem = await asyncio.to_thread(_fetch, executor.repo, remote, ref, request.base)
        return problem or executor


def _fetch(cache: Path, remote: str, ref: str, base: str) -> str:
    if not (cache / "HEAD").exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        cloned = git.run(
            cache.parent, "clone", "--quiet", "--bare", remote, str(cache), check=False
        )
        if cloned.code != 0:
            return f"the worker could not clone {remote}: {cloned.err.strip()}"
    if git.rev(cache, f"{base}^{{commit}}") is None:
        fetched = git.run(cache, "fetch", "--quiet", remote, f"+{ref}:{ref}", check=False)
        if fetched.code != 0 or git.rev(cache, f"{base}^{{commit}}") is None:
            return (
                f"the worker could not fetch base {base[:10]} from {remote}: {fetched.err.strip()}"
            )
    return ""


def _push(request: AttemptRequest, remote: str) -> str | None:
    faults.point("worker-pushing")
    where = f"HEAD:refs/heads/{request.branch}"
    pushed = git.run(request.worktree, "push", "--quiet", "--force", remote, where, check=False)
    if pushed.code != 0:
        return f"the worker could not push {request.branch}: {pushed.err.strip()}"
    return None


async def _beating(work: Awaitable[T], stop: asyncio.Event, timeout: float, log: Path) -> T:
    """Heartbeat while `work` runs; when Temporal cancels, stop the agent, then give up."""
    job = asyncio.ensure_future(work)
    try:
        while not job.done():
            activity.heartbeat({"last": _last_line(log)})
            await asyncio.wait({job}, timeout=max(0.2, timeout / 3))
    except asyncio.CancelledError:
        stop.set()
        await asyncio.wait({job})  # the runner kills the agent's group; nothing is pushed
        say(f"{log.parent.name}/{log.stem}: cancelled ({activity.info().workflow_id})")
        raise
    return job.result()


def _last_line(log: Path) -> str:
    try:
        with log.open("rb") as handle:
            handle.seek(max(0, log.stat().st_size - 400))
            lines = handle.read().decode("utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][-200:] if lines else ""


async def serve(options: WorkerOptions, ready: Callable[[str], None] = say) -> None:
    """Serve attempts until SIGINT or SIGTERM; running agents are stopped on the way out."""
    from temporalio.worker import Worker

    settings, home = options.settings, options.home.resolve()
    agents = options.agents or usable_agents()
    name = f"{socket.gethostname()}:{os.getpid()}:{home.name}"
    client = await connect(settings)
    reaper, reaper_proc = Reaper.start()
    act = AttemptActivity(home, reaper, options.slots, name)
    queue = settings.task_queue
    workers = [Worker(client, task_queue=queue, workflows=[AttemptWorkflow], identity=name)]
    workers += [
        Worker(
            client,
            task_queue=wire.activity_queue(queue, agent),
            activities=[act.run],
            max_concurrent_activities=options.slots,
            identity=name,
        )
        for agent in agents
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with contextlib.AsyncExitStack() as stack:
            for worker in workers:
                await stack.enter_async_context(worker)
            where = f"{queue} at {settings.address}"
            ready(f"serving {where} with {options.slots} slot(s) for {', '.join(agents)}")
            await stop.wait()
    finally:
        if reaper.pipe is not None:
            reaper.pipe.close()
        reaper_proc.wait()
