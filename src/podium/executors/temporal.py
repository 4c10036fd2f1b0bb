"""The Temporal executor: each attempt runs on a `podium worker`, wherever that is.

The coordinator stays the single writer and the only one that lands. For each attempt it
publishes the base commit to the shared remote (`refs/podium/<run>/bases/<sha>`), starts one
workflow whose id is the attempt's own (run/task/a<n>, so starting it again, after a crash,
re-attaches instead of dispatching twice), and waits. Back comes the head the worker pushed;
the coordinator fetches the attempt's branch, checks that it points at exactly that commit,
and only then makes the local worktree the janitor and the merge queue work in. A zombie
attempt's late push lands on its own branch, which no accepted result names: never merged.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podium import git
from podium.agents.runner import Outcome
from podium.config import Config, ExecutorConfig
from podium.errors import ConfigError
from podium.executors import temporal_wire as wire
from podium.executors.base import AttemptRequest, AttemptResult, Hooks
from podium.runs import faults, worktrees

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle

RECONNECT = 1.0  # seconds between tries while the Temporal service is unreachable


async def connect(settings: ExecutorConfig) -> Client:
    """A client for the service `[executor]` names; a located error when it cannot be had."""
    from temporalio.client import Client
    from temporalio.service import TLSConfig

    def read(path: str) -> bytes | None:
        return Path(path).expanduser().read_bytes() if path else None

    key = os.environ.get(settings.api_key_env) if settings.api_key_env else None
    if settings.api_key_env and not key:
        raise ConfigError(f"[executor] api_key_env: ${settings.api_key_env} is not set")
    files = (settings.tls_ca, settings.tls_cert, settings.tls_key)
    tls: bool | TLSConfig = settings.tls or key is not None
    try:
        if any(files):
            tls = TLSConfig(
                server_root_ca_cert=read(settings.tls_ca),
                client_cert=read(settings.tls_cert),
                client_private_key=read(settings.tls_key),
            )
        return await Client.connect(
            settings.address, namespace=settings.namespace, api_key=key, tls=tls
        )
    except OSError as exc:
        raise ConfigError(f"[executor] TLS file: {exc}") from None
    except RuntimeError as exc:
        raise ConfigError(
            f"cannot reach the Temporal service at {settings.address} "
            f"(namespace {settings.namespace!r}): {exc}"
        ) from None


def remote_url(repo: Path, remote: str) -> str:
    """A remote's name (`origin`) becomes its URL: workers know no names of ours."""
    found = git.run(repo, "remote", "get-url", remote, check=False)
    return found.out.strip() if found.code == 0 else remote


class TemporalExecutor:
    reattaches = True  # its attempts run on without the coordinator; run() finds them by id

    def __init__(self, repo: Path, config: Config) -> None:
        self.repo = repo
        self.settings = config.executor
        self.remote = remote_url(repo, self.settings.remote)
        self.client: Client | None = None
        self.git_lock = asyncio.Lock()  # pushes, fetches and `git worktree add`, one at a time
        self.published: set[str] = set()  # bases the remote has

    async def run(self, request: AttemptRequest, hooks: Hooks) -> AttemptResult:
        if self.client is None:
            self.client = await connect(self.settings)
        await self._publish(request)
        spec = wire.spec_of(request, self.remote, self.settings.task_queue, self.settings.heartbeat)
        wid = wire.workflow_id(self.remote, request.run_id, request.task.id, request.n)
        handle = await self._start(self.client, wid, spec)
        faults.point("attempt-dispatched")
        data = await self._wait(handle, hooks.stop)
        if isinstance(data, AttemptResult):
            return data
        hooks.on_model(data.get("model"))
        _write_log(request, data)
        outcome = wire.outcome_of(data)
        if data["failure"] is not None:
            return AttemptResult(outcome, data["failure"])
        problem = await self._take(request, data["head"])
        return AttemptResult(outcome, problem, "" if problem else data["head"])

    async def _publish(self, request: AttemptRequest) -> None:
        """Make the base commit fetchable from the remote, under a ref of its own."""
        if request.base in self.published:
            return
        ref = f"refs/podium/{request.run_id}/bases/{request.base}"
        async with self.git_lock:
            await asyncio.to_thread(
                git.run, self.repo, "push", "--quiet", self.remote, f"{request.base}:{ref}"
            )
        self.published.add(request.base)

    async def _start(
        self, client: Client, wid: str, spec: dict[str, Any]
    ) -> WorkflowHandle[Any, Any]:
        from temporalio.common import WorkflowIDReusePolicy
        from temporalio.exceptions import WorkflowAlreadyStartedError
        from temporalio.service import RPCError

        while True:
            try:
                return await client.start_workflow(
                    wire.WORKFLOW,
                    spec,
                    id=wid,
                    task_queue=self.settings.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                )
            except WorkflowAlreadyStartedError:  # dispatched before a crash: re-attach to it
                return client.get_workflow_handle(wid)
            except RPCError as exc:  # down or restarting: the same id, once it is back
                if not _transient(exc):
                    raise ConfigError(f"the Temporal service refused the attempt: {exc}") from None
                await asyncio.sleep(RECONNECT)

    async def _wait(
        self, handle: WorkflowHandle[Any, Any], stop: asyncio.Event
    ) -> dict[str, Any] | AttemptResult:
        """The worker's result, or why there is none (lost worker, cancelled attempt)."""
        from temporalio.client import WorkflowFailureError
        from temporalio.service import RPCError

        stopped = asyncio.create_task(stop.wait())
        try:
            while True:
                result = asyncio.create_task(handle.result())
                await asyncio.wait({result, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if not result.done():
                    result.cancel()
                    with contextlib.suppress(BaseException):
                        await result
                    await _cancel(handle)
                    return AttemptResult(Outcome(None, "cancelled", (), None), "run cancelled")
                try:
                    data: dict[str, Any] = result.result()
                    return data
                except WorkflowFailureError as exc:
                    return AttemptResult(
                        None, f"the worker did not finish the attempt: {_cause(exc)}"
                    )
                except RPCError as exc:  # the service is down or restarting: wait for it
                    if not _transient(exc):
                        return AttemptResult(None, f"the Temporal service failed: {exc}")
                    await asyncio.sleep(RECONNECT)
        finally:
            stopped.cancel()

    async def _take(self, request: AttemptRequest, head: str) -> str | None:
        """Fetch the attempt's branch; None when it is exactly `head` (and the worktree the
        janitor uses is made there), else what is wrong. Fetched into a ref of podium's own,
        so a branch a previous coordinator already checked out is no obstacle."""
        branch, repo = request.branch, self.repo
        ref = f"refs/podium/fetched/{branch}"
        async with self.git_lock:
            fetched = await asyncio.to_thread(
                git.run, repo, "fetch", "--quiet", self.remote, f"+refs/heads/{branch}:{ref}",
                check=False,
            )  # fmt: skip
            if fetched.code != 0:
                return f"could not fetch {branch} from {self.remote}: {fetched.err.strip()}"
            found = git.rev(repo, ref)
            git.run(repo, "update-ref", "-d", ref)
            if found != head:
                return f"{branch} is at {found or 'nothing'}, but the worker reported {head}"
            await asyncio.to_thread(
                worktrees.create_worktree, repo, request.worktree, branch, head, request.config
            )
        return None


async def _cancel(handle: WorkflowHandle[Any, Any]) -> None:
    """Ask the worker to stop the agent, and wait until it has (or the worker is lost)."""
    from temporalio.client import WorkflowFailureError
    from temporalio.service import RPCError

    with contextlib.suppress(RPCError):
        await handle.cancel()
    with contextlib.suppress(WorkflowFailureError, RPCError):
        await handle.result()


def _transient(exc: Exception) -> bool:
    from temporalio.service import RPCError, RPCStatusCode

    passing = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)
    return isinstance(exc, RPCError) and exc.status in passing


def _cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc) or type(exc).__name__


def _write_log(request: AttemptRequest, data: dict[str, Any]) -> None:
    """The tail of the agent's log, where `podium logs` looks for it."""
    request.logs.mkdir(parents=True, exist_ok=True)
    head = f"[podium: ran on worker {data.get('worker', '?')}; the tail of its log follows]\n"
    (request.logs / f"a{request.n}.log").write_text(head + data.get("log", ""), encoding="utf-8")
