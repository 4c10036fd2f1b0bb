"""Owns agent processes: spawn in their own group, stream to a log, time out, kill the group.

Each attempt has two logs, both written line by line as the agent works: `a<n>.log`, what
the adapter read from the stream (a message, a tool call, an error: one line each; what
`podium logs` and `podium live` show), and `a<n>.raw.log`, the agent's stream as it came.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from podium.agents.base import Adapter, AgentEvent, Launch

# The variables every agent gets; anything else must come from its adapter or podium.toml.
BASE_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME", "SHELL")
LINE_LIMIT = 16 * 1024 * 1024
KILL_GRACE = 3.0


@dataclass(frozen=True)
class Limits:
    wall: float  # seconds from spawn
    silence: float  # seconds without a line of output
    budget: float | None = None  # dollars; the attempt is stopped once its usage passes it
    price: Callable[[Sequence[AgentEvent]], float] | None = None  # events so far -> dollars


@dataclass(frozen=True)
class Outcome:
    exit_code: int | None
    killed: str  # "" | "wall" | "silence" | "cancelled"
    events: tuple[AgentEvent, ...]
    pid: int | None
    error: str = ""  # the process could not be started

    @property
    def reason(self) -> str:
        if self.error:
            return self.error
        if self.killed == "wall":
            return "agent killed: wall-clock timeout"
        if self.killed == "silence":
            return "agent killed: no output within the silence timeout"
        if self.killed == "cancelled":
            return "agent stopped: run cancelled"
        if self.killed == "budget":
            return "agent stopped: it passed the task's budget"
        return ""


def raw_log(log_path: Path) -> Path:
    """Where the raw stream of the attempt whose readable log is `log_path` goes."""
    return log_path.with_name(f"{log_path.stem}.raw{log_path.suffix}")


def event_line(event: AgentEvent) -> str | None:
    """An event as one readable log line; None for those a person does not read (usage)."""
    text = " ".join(event.text.split())
    if event.kind == "text":
        return event.text  # as the agent said it: a command agent's log is its output
    if event.kind == "tool":
        return f"→ {text}"
    if event.kind == "error":
        return f"! error: {text}"
    if event.kind == "rate_limit":
        return f"! rate limited {text}".rstrip()
    if event.kind == "result" and event.is_error:
        return f"= failed: {text}"
    return None


def agent_env(launch: Launch, home: Path, inherit: bool) -> dict[str, str]:
    base = dict(os.environ) if inherit else {k: os.environ[k] for k in BASE_ENV if k in os.environ}
    base.setdefault("PATH", os.defpath)
    if not inherit:
        base["HOME"] = str(home)
    base["TERM"] = "dumb"
    base["NO_COLOR"] = "1"
    return {**base, **launch.env}


def write_files(files: Mapping[str, str]) -> None:
    for name, content in files.items():
        path = Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def run_agent(
    adapter: Adapter,
    launch: Launch,
    cwd: Path,
    log_path: Path,
    limits: Limits,
    env: Mapping[str, str],
    on_start: Callable[[int], None] | None = None,
    cancelled: asyncio.Event | None = None,
) -> Outcome:
    """Run one agent to its end; its whole process group is gone when this returns."""
    write_files(launch.files)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        proc = await asyncio.create_subprocess_exec(
            *launch.argv,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            limit=LINE_LIMIT,
        )
    except OSError as exc:
        name = launch.argv[0] if launch.argv else "(empty command)"
        return Outcome(None, "", (), None, f"could not start {name!r}: {exc.strerror or exc}")
    if on_start is not None:
        on_start(proc.pid)
    events: list[AgentEvent] = []
    last = [time.monotonic(), 0.0]  # last output time, over-budget flag
    # unbuffered: each line is in the file as soon as it arrives (`podium logs -f`, `live`)
    with log_path.open("ab", buffering=0) as log, raw_log(log_path).open("ab", buffering=0) as raw:
        reader = asyncio.create_task(_pump(proc, adapter, (log, raw), events, last, limits))
        killed = await _supervise(proc, limits, last, cancelled)
        kill_group(proc.pid)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(reader, timeout=KILL_GRACE)
        reader.cancel()
    return Outcome(proc.returncode, killed, tuple(events), proc.pid)


async def _pump(
    proc: asyncio.subprocess.Process,
    adapter: Adapter,
    logs: tuple[BinaryIO, BinaryIO],
    events: list[AgentEvent],
    last: list[float],
    limits: Limits,
) -> None:
    assert proc.stdout is not None
    readable, raw_stream = logs
    while True:
        try:
            raw = await proc.stdout.readline()
        except ValueError:  # a line longer than LINE_LIMIT: keep what fits and go on
            raw = await proc.stdout.read(LINE_LIMIT)
        if not raw:
            return
        last[0] = time.monotonic()
        raw_stream.write(raw)
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        with contextlib.suppress(Exception):  # an adapter's parse error never stops the run
            new = adapter.parse(line)
            events.extend(new)
            shown = [text for text in map(event_line, new) if text is not None]
            if shown:
                readable.write(("\n".join(shown) + "\n").encode("utf-8", "replace"))
            if (
                limits.budget is not None
                and limits.price is not None
                and any(e.kind == "usage" for e in new)
            ) and limits.price(events) > limits.budget:
                last[1] = 1.0  # over budget: the supervisor stops the agent


async def _supervise(
    proc: asyncio.subprocess.Process,
    limits: Limits,
    last: list[float],
    cancelled: asyncio.Event | None,
) -> str:
    start = time.monotonic()
    while True:
        now = time.monotonic()
        wall_left = limits.wall - (now - start)
        silence_left = limits.silence - (now - last[0])
        if wall_left <= 0 or silence_left <= 0:
            reason = "wall" if wall_left <= 0 else "silence"
            await _terminate(proc)
            return reason
        if last[1]:
            await _terminate(proc)
            return "budget"
        if cancelled is not None and cancelled.is_set():
            await _terminate(proc)
            return "cancelled"
        try:
            await asyncio.wait_for(proc.wait(), timeout=min(wall_left, silence_left, 0.25))
            return ""
        except TimeoutError:
            continue


async def _terminate(proc: asyncio.subprocess.Process) -> None:
    kill_group(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), timeout=KILL_GRACE)
    except TimeoutError:
        kill_group(proc.pid)
        await proc.wait()


def summarize(events: Sequence[AgentEvent]) -> tuple[int, int, float | None]:
    """Tokens in, tokens out, and the agent's own cost figure if it gave one."""
    tin = sum(e.input_tokens for e in events if e.kind == "usage")
    tout = sum(e.output_tokens for e in events if e.kind == "usage")
    costs = [e.cost_usd for e in events if e.cost_usd is not None]
    return tin, tout, (sum(costs) if costs else None)
