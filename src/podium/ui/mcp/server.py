"""The MCP wiring: podium's tools on the official SDK's MCPServer, over stdio or HTTP."""

from __future__ import annotations

import functools
import hmac
import ipaddress
import os
import secrets
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field
from starlette.types import ASGIApp, Receive, Scope, Send

from podium import __version__
from podium.errors import ConfigError, PodiumError
from podium.ui.mcp.tools import MAX_WAIT, Progress, Toolbox

T = TypeVar("T")
TOKEN_ENV = "PODIUM_MCP_TOKEN"
INSTRUCTIONS = (
    "podium runs many coding agents on this git repository at once, each task in its own "
    "worktree, verified, merged one by one. plan_goal turns a goal into a plan; run_plan "
    "starts one (it returns at once); wait until it ends; status, cost and logs tell what "
    "happened; cancel stops it."
)

RunId = Annotated[str | None, Field(description="Run id such as 'r3' (default: the latest).")]


def build_server(repo: Path) -> MCPServer:
    """An MCPServer whose tools call the library API on `repo`."""
    box = Toolbox(repo)
    server: MCPServer = MCPServer(
        "podium", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING"
    )

    @server.tool()
    async def run_plan(
        plan_path: Annotated[
            str | None, Field(description="Plan YAML file, relative to the repository.")
        ] = None,
        plan_yaml: Annotated[
            str | None, Field(description="The plan itself, as YAML (instead of plan_path).")
        ] = None,
        target: Annotated[
            str | None, Field(description="Branch to land on (default: the checked-out one).")
        ] = None,
        max_parallel: Annotated[
            int | None, Field(ge=1, le=256, description="Agents at once.")
        ] = None,
    ) -> dict[str, Any]:
        """Start running a plan in the background and return its run id at once.

        Each task runs in its own git worktree, is verified and merged one by one. Follow it
        with `wait` (or `status`). One run at a time per repository.
        """
        return await _off_loop(box.run_plan, plan_path, plan_yaml, target, max_parallel)

    @server.tool()
    async def status(run_id: RunId = None) -> dict[str, Any]:
        """A run's state: each task's state, attempts, agent, and why it failed if it did."""
        return await _off_loop(box.status, run_id)

    @server.tool()
    async def wait(
        ctx: Context,
        run_id: RunId = None,
        timeout_s: Annotated[
            float, Field(gt=0, le=MAX_WAIT, description="Give up waiting after this long.")
        ] = 300,
    ) -> dict[str, Any]:
        """Wait for a run to end (at most timeout_s), with progress as tasks merge.

        Returns the run's status; `waited` says whether it ended or is still going (then call
        wait again).
        """

        async def report(now: Progress) -> None:
            await ctx.report_progress(now.merged, now.total, now.message)

        try:
            return await box.wait(run_id, timeout_s, report)
        except PodiumError as exc:
            raise ToolError(str(exc)) from None

    @server.tool()
    async def cost(run_id: RunId = None) -> dict[str, Any]:
        """What a run cost: tokens and dollars per task, agent and model, and in all."""
        return await _off_loop(box.cost, run_id)

    @server.tool()
    async def logs(
        task: Annotated[str, Field(description="The task id.")],
        run_id: RunId = None,
        attempt: Annotated[
            int | None, Field(ge=1, description="Attempt number (default: the latest).")
        ] = None,
        tail_lines: Annotated[int, Field(ge=1, le=5000, description="Lines from the end.")] = 200,
    ) -> dict[str, Any]:
        """The end of a task's agent output; the full log's path comes with it."""
        return await _off_loop(box.logs, task, run_id, attempt, tail_lines)

    @server.tool()
    async def cancel(
        run_id: RunId = None,
        task: Annotated[
            str | None, Field(description="Cancel only this task (default: the whole run).")
        ] = None,
    ) -> dict[str, Any]:
        """Cancel one task of a running run, or stop the whole run (`podium resume` goes on)."""
        return await _off_loop(box.cancel, run_id, task)

    @server.tool()
    async def plan_goal(
        goal: Annotated[str, Field(min_length=1, description="What the plan should achieve.")],
        agent: Annotated[
            str | None, Field(description="The agent that plans (default: claude).")
        ] = None,
    ) -> dict[str, Any]:
        """Turn a goal into a plan with one agent call; the plan is saved, not run.

        Read it (plan_yaml), then start it with run_plan(plan_path=...).
        """
        return await _off_loop(box.plan_goal, goal, agent)

    return server


async def _off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Call blocking library code in a worker thread; podium's errors become tool errors."""
    try:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args))
    except PodiumError as exc:
        raise ToolError(str(exc)) from None


def serve_stdio(repo: Path) -> None:
    anyio.run(build_server(repo).run_stdio_async)


def serve_http(repo: Path, host: str, port: int, allow_remote: bool) -> None:
    """Streamable HTTP at http://HOST:PORT/mcp, behind a bearer token."""
    import uvicorn

    if not allow_remote and not is_loopback(host):
        raise ConfigError(
            f"--host {host} is not a loopback address: anyone who can reach it could run "
            "agents here; pass --allow-remote too if that is what you want"
        )
    token = os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(32)
    app = BearerAuth(build_server(repo).streamable_http_app(host=host), token)
    sock = _listen(host, port)
    bound = sock.getsockname()[1]
    where = f"[{host}]" if ":" in host else host
    _say(f"serving {repo} at http://{where}:{bound}/mcp")
    if os.environ.get(TOKEN_ENV):
        _say(f"bearer token: the one in {TOKEN_ENV}")
    else:
        _say(f"bearer token: {token}")
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    anyio.run(functools.partial(uvicorn.Server(config).serve, sockets=[sock]))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # connections wait in the backlog until the server is up
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def _say(text: str) -> None:
    print(f"podium mcp: {text}", file=sys.stderr, flush=True)


class BearerAuth:
    """Answers 401 to any HTTP request without `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            body = b'{"error": "missing or wrong bearer token (see podium mcp --http output)"}'
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="podium"'),
            ]
            await send({"type": "http.response.start", "status": 401, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        given = dict(scope["headers"]).get(b"authorization", b"")
        return hmac.compare_digest(given, self.expected)
