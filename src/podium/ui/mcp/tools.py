"""What podium's MCP tools do, as plain functions over the library API (no MCP in here).

Every method takes and returns plain data and raises `PodiumError` for bad input, so the
server only maps names to methods and errors to tool errors.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podium import api
from podium.api import AttemptRow, Reader, lifecycle
from podium.errors import PodiumError, StateError
from podium.ui import render

MAX_WAIT = 600.0  # seconds one `wait` call may block
POLL = 0.5  # seconds between looks at the store while waiting
START_TIMEOUT = 60.0  # seconds for a background `podium run` to create its run
LOG_CHARS = 20_000  # at most this much log text in one answer


@dataclass(frozen=True)
class Progress:
    merged: int
    total: int
    message: str


@dataclass(frozen=True)
class Started:
    """A background `podium run` this server started, and where its own output goes."""

    proc: subprocess.Popen[bytes]
    console: Path


@dataclass
class Toolbox:
    """The tools of one repository; remembers the background runs it started."""

    repo: Path
    started: dict[str, Started] = field(default_factory=dict)

    def run_plan(
        self,
        plan_path: str | None = None,
        plan_yaml: str | None = None,
        target: str | None = None,
        max_parallel: int | None = None,
    ) -> dict[str, Any]:
        """Start `podium run` in the background; return once it has created its run."""
        self._check_plan(plan_path, plan_yaml)
        api.ensure_idle(self.repo)  # refused while a run is active
        with self._reader() as reader:
            before = set(reader.run_ids())
        if plan_path:
            path = self.repo / plan_path
        else:
            handle, name = tempfile.mkstemp(".plan.yaml", "mcp-", api.scratch_dir(self.repo, "mcp"))
            os.close(handle)
            path = Path(name)
            path.write_text(plan_yaml or "", encoding="utf-8")
        args = ["run", str(path), "--json"]
        args += ["--target", target] if target else []
        args += ["--max-parallel", str(max_parallel)] if max_parallel else []
        proc, console = api.spawn(self.repo, args)  # lives on if the MCP client goes away
        run_id = self._new_run(before, proc, console)
        self.started[run_id] = Started(proc, console)
        data = self.status(run_id)
        return {
            "run": run_id,
            "target": data["target"],
            "tasks": [t["id"] for t in data["tasks"]],
            "console_log": str(console),
            "next": f"wait(run_id={run_id!r}) until it ends, or status(run_id={run_id!r})",
        }

    def plan_goal(self, goal: str, agent: str | None = None) -> dict[str, Any]:
        """One planning agent call (`podium plan -g`): the plan, saved, ready for run_plan."""
        planned = api.plan_goal(self.repo, goal, agent)
        path = str(planned.path.relative_to(self.repo))
        return {
            "plan_path": path,
            "plan_yaml": planned.text,
            "tasks": [t.id for t in planned.plan.tasks],
            "usage": dataclasses.asdict(planned.usage),
            "logs": str(planned.logs),
            "next": f"run_plan(plan_path={path!r}) to run it, after any change you want",
        }

    def status(self, run_id: str | None = None) -> dict[str, Any]:
        with self._reader() as reader:
            data = render.status_data(reader.record(run_id))
        data["counts"] = _counts(t["state"] for t in data["tasks"])
        return data

    def progress(self, run_id: str) -> tuple[Progress, bool]:
        """Where the run stands, and whether it is over (finished, cancelled or stopped)."""
        with self._reader() as reader:
            record = reader.record(run_id)
        run, states = record.run, [t.state for t in record.tasks]
        merged = states.count(lifecycle.MERGED)
        counts = _counts(states)
        message = ", ".join(f"{n} {s}" for s, n in counts.items())
        mine = self.started.get(run.id)
        stopped = mine is not None and mine.proc.poll() is not None
        return Progress(merged, len(states), message), run.status != "running" or stopped

    async def wait(
        self,
        run_id: str | None,
        timeout_s: float,
        report: Callable[[Progress], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> dict[str, Any]:
        """Block until the run ends or `timeout_s` passes; report each newly merged task."""
        if not 0 < timeout_s <= MAX_WAIT:
            raise PodiumError(f"timeout_s must be more than 0 and at most {MAX_WAIT:.0f} seconds")
        run_id = self.status(run_id)["run"]
        deadline = clock() + timeout_s
        seen = -1
        while True:
            now, over = self.progress(run_id)
            if now.merged > seen:
                seen = now.merged
                await report(now)
            if over or clock() >= deadline:
                break
            await asyncio.sleep(POLL)
        data = self.status(run_id)
        data["waited"] = self._waited(data, over, timeout_s)
        return data

    def cost(self, run_id: str | None = None) -> dict[str, Any]:
        with self._reader() as reader:
            record = reader.record(run_id)
        run, attempts = record.run, record.attempts
        return {"run": run.id, "status": run.status, **cost_summary(attempts)}

    def logs(
        self,
        task: str,
        run_id: str | None = None,
        attempt: int | None = None,
        tail_lines: int = 200,
    ) -> dict[str, Any]:
        with self._reader() as reader:
            record = reader.record(run_id)
        run = record.run
        tasks = {t.task_id: t.state for t in record.tasks}
        numbers = [a.n for a in record.attempts_of(task)]
        if task not in tasks:
            raise StateError(f"no task {task!r} in run {run.id} (tasks: {', '.join(tasks)})")
        if not numbers:
            raise StateError(f"task {task!r} has no attempts yet (it is {tasks[task]})")
        n = attempt if attempt is not None else numbers[-1]
        if n not in numbers:
            known = ", ".join(map(str, numbers))
            raise StateError(f"task {task!r} has no attempt {n} (attempts: {known})")
        path = api.state_dir(self.repo) / "logs" / run.id / task / f"a{n}.log"
        if not path.exists():
            raise StateError(f"no log for {task} attempt {n} (looked for {path})")
        text, shown, total = tail(path.read_text(encoding="utf-8", errors="replace"), tail_lines)
        if shown < total:
            text = f"[podium: the last {shown} of {total} lines; the full log is {path}]\n{text}"
        return {"run": run.id, "task": task, "attempt": n, "path": str(path), "text": text}

    def cancel(self, run_id: str | None = None, task: str | None = None) -> dict[str, Any]:
        """Cancel one task of a running run, or stop the whole run (it stays resumable)."""
        with self._reader() as reader:
            record = reader.record(run_id)
            run = record.run
            if run.status != "running":
                raise StateError(f"run {run.id} is {run.status}: there is nothing to cancel")
            if task is not None:
                state = {t.task_id: t.state for t in record.tasks}.get(task)
                if state in lifecycle.FINAL:
                    raise StateError(f"task {task!r} of run {run.id} is already {state}")
                reader.request(run.id, task, "cancel", time.time())
                said = f"asked run {run.id} to cancel task {task!r}; the run goes on"
                return {"run": run.id, "task": task, "message": said}
        return {"run": run.id, "task": None, "message": api.cancel_run(cwd=self.repo)}

    def _waited(self, data: dict[str, Any], over: bool, timeout_s: float) -> str:
        if not over:
            return f"still {data['status']} after {timeout_s:g}s: call wait again"
        mine = self.started.get(data["run"])
        if data["status"] not in ("running", "interrupted") or mine is None:
            return "ended"
        said = mine.console.read_text(encoding="utf-8", errors="replace").strip()
        last = f": {said.splitlines()[-1]}" if said else ""
        return (
            f"podium run stopped before the end (exit {mine.proc.returncode}){last}; "
            f"its output: {mine.console}; `podium resume` carries the run on"
        )

    def _check_plan(self, plan_path: str | None, plan_yaml: str | None) -> None:
        """Read the plan here, so a bad one is a clear error rather than a dead process."""
        if (plan_path is None) == (plan_yaml is None):
            raise PodiumError(
                "give exactly one of plan_path (a plan file, relative to the repository) "
                "or plan_yaml (the plan itself)"
            )
        if plan_path is not None:
            api.read_plan(self.repo, self.repo / plan_path)
        else:
            api.parse_plan(plan_yaml or "", "plan_yaml")

    def _new_run(self, before: set[str], proc: subprocess.Popen[bytes], console: Path) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            exited = proc.poll() is not None
            with self._reader() as reader:
                new = [r for r in reader.run_ids() if r not in before]
            if new:
                return str(new[-1])
            if exited:
                said = console.read_text(encoding="utf-8", errors="replace").strip()
                raise PodiumError(said.removeprefix("podium: ") or "podium run exited at once")
            time.sleep(0.1)
        proc.terminate()
        raise StateError(f"podium run created no run within {START_TIMEOUT:.0f}s (see {console})")

    def _reader(self) -> Reader:
        return api.reader(self.repo)


def _counts(states: Iterable[str]) -> dict[str, int]:
    found = list(states)
    return {s: found.count(s) for s in lifecycle.STATES if s in found}


def cost_summary(attempts: Iterable[AttemptRow]) -> dict[str, Any]:
    """Tokens and dollars per task, agent and model, and in all."""
    groups: dict[str, dict[str, dict[str, Any]]] = {"by_task": {}, "by_agent": {}, "by_model": {}}
    total = _bucket()
    for a in attempts:
        keys = {"by_task": a.task_id, "by_agent": a.agent, "by_model": a.model or "(default)"}
        for group, key in keys.items():
            _add(groups[group].setdefault(key, _bucket()), a)
        _add(total, a)
    return {**groups, "total": total}


def _bucket() -> dict[str, Any]:
    return {"attempts": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}


def _add(bucket: dict[str, Any], a: AttemptRow) -> None:
    bucket["attempts"] += 1
    bucket["input_tokens"] += a.input_tokens
    bucket["output_tokens"] += a.output_tokens
    bucket["cost_usd"] = round(bucket["cost_usd"] + a.cost_usd, 6)


def tail(text: str, lines: int, chars: int = LOG_CHARS) -> tuple[str, int, int]:
    """The last `lines` lines of text, at most `chars` long; with how many shown, of how many."""
    every = text.splitlines(keepends=True)
    kept: list[str] = []
    size = 0
    for line in reversed(every[-lines:] if lines > 0 else []):
        if size + len(line) > chars:
            kept += [] if kept else [line[-chars:]]  # one huge line: its end
            break
        kept.append(line)
        size += len(line)
    return "".join(reversed(kept)), len(kept), len(every)
