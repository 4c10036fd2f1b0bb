"""Checks a finished attempt in its own worktree: task checks, ownership, project gates."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from podium.plans import globs
from podium.plans.model import Check, Task

OUTPUT_TAIL = 12


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Report:
    results: tuple[CheckResult, ...]
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def reason(self) -> str:
        failed = [r for r in self.results if not r.ok]
        return f"{failed[0].name}: {failed[0].detail}" if failed else ""


def run_command(name: str, command: str, cwd: Path, timeout: float) -> CheckResult:
    """Run a command line (split with shlex, never a shell) and keep the tail of its output."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return CheckResult(name, False, f"cannot parse {command!r}: {exc}")
    if not argv:
        return CheckResult(name, False, "empty command")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,
        )
    except FileNotFoundError:
        return CheckResult(name, False, f"{argv[0]!r} not found")
    except subprocess.TimeoutExpired:
        return CheckResult(name, False, f"timed out after {timeout:.0f}s")
    if proc.returncode == 0:
        return CheckResult(name, True)
    return CheckResult(name, False, f"exit {proc.returncode}: " + gist(proc.stdout + proc.stderr))


def gist(output: str) -> str:
    """The lines of a failed command a person reads first: test failures, else the tail."""
    lines = output.strip().splitlines()
    failures = [ln for ln in lines if ln.startswith(("FAILED ", "ERROR "))]
    return "\n".join((failures or lines)[-OUTPUT_TAIL:])


def run_check(check: Check, worktree: Path, timeout: float) -> CheckResult:
    if check.kind == "path_exists":
        ok = (worktree / check.path).exists()
        return CheckResult(f"path_exists {check.path}", ok, "" if ok else "missing")
    if check.kind == "glob_exists":
        ok = any(worktree.glob(check.path))
        return CheckResult(f"glob_exists {check.path}", ok, "" if ok else "nothing matches")
    if check.kind == "file_contains":
        path = worktree / check.path
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        ok = text is not None and check.text in text
        why = "file missing" if text is None else f"does not contain {check.text!r}"
        return CheckResult(f"file_contains {check.path}", ok, "" if ok else why)
    return run_command(f"check `{check.run}`", check.run, worktree, timeout)


def outside_files(task: Task, changed: Sequence[str]) -> list[str]:
    """Changed paths that none of the task's owned globs cover (nothing if it owns no files)."""
    if not task.files:
        return []
    return [p for p in changed if not any(globs.matches(g, p) for g in task.files)]


def verify(
    task: Task,
    worktree: Path,
    changed: Sequence[str],
    gates: Sequence[str],
    ownership: str,
    timeout: float,
) -> Report:
    """Everything a finished attempt must pass before it may enter the merge queue."""
    if not changed:
        return Report((CheckResult("changes", False, "the agent changed no files"),))
    results: list[CheckResult] = []
    warnings: list[str] = []
    stray = outside_files(task, changed)
    if stray:
        detail = f"changed files outside its `files`: {', '.join(stray[:10])}"
        if ownership == "fail":
            results.append(CheckResult("ownership", False, detail))
        else:
            warnings.append(detail)
    results += [run_check(c, worktree, timeout) for c in task.checks]
    if all(r.ok for r in results):
        results += run_gates(gates, worktree, timeout)
    return Report(tuple(results), tuple(warnings))


def run_gates(gates: Sequence[str], cwd: Path, timeout: float) -> list[CheckResult]:
    """Run gates in order, stopping at the first that fails."""
    out: list[CheckResult] = []
    for gate in gates:
        out.append(run_command(f"gate `{gate}`", gate, cwd, timeout))
        if not out[-1].ok:
            break
    return out
