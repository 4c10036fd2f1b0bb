"""Running a check's or a gate's command line: split with shlex, never a shell, own session."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

OUTPUT_TAIL = 12


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Captured:
    code: int | None  # None when it could not start or timed out
    output: str  # stdout and stderr; the reason when it could not run


def capture(
    argv: Sequence[str], cwd: Path, timeout: float, env: Mapping[str, str] | None = None
) -> Captured:
    """Run argv in cwd (in `env`, else ours) with stdin from /dev/null; keep what it printed."""
    env = {**(os.environ if env is None else env), "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            start_new_session=True,
        )
    except FileNotFoundError:
        return Captured(None, f"{argv[0]!r} not found")
    except subprocess.TimeoutExpired:
        return Captured(None, f"timed out after {timeout:.0f}s")
    return Captured(proc.returncode, proc.stdout + proc.stderr)


def run_command(
    name: str, command: str, cwd: Path, timeout: float, env: Mapping[str, str] | None = None
) -> CheckResult:
    """Run a command line and keep the tail of its output."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return CheckResult(name, False, f"cannot parse {command!r}: {exc}")
    if not argv:
        return CheckResult(name, False, "empty command")
    done = capture(argv, cwd, timeout, env)
    if done.code is None:
        return CheckResult(name, False, done.output)
    if done.code == 0:
        return CheckResult(name, True)
    return CheckResult(name, False, f"exit {done.code}: " + gist(done.output))


def gist(output: str) -> str:
    """The lines of a failed command a person reads first: test failures, else the tail."""
    lines = output.strip().splitlines()
    failures = [ln for ln in lines if ln.startswith(("FAILED ", "ERROR "))]
    return "\n".join((failures or lines)[-OUTPUT_TAIL:])
