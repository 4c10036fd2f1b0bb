"""Checks a finished attempt in its own worktree: ownership, evasions, task checks, gates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from podium import git
from podium.landing.audit import Against as Against
from podium.landing.audit import Part, active, audit
from podium.landing.commands import CheckResult, run_command
from podium.plans import globs
from podium.plans.model import Check, Task


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
    against: Against | None = None,
    part: Part = "all",
    diff: git.Diff | None = None,
) -> Report:
    """Everything a finished attempt must pass before it may enter the merge queue;
    `against` (its base) adds the evasion audit (docs/verification.md), all of it or the
    `part` that only reads the diff (the rest is `landing_checks`); `diff` is the attempt's
    diff with its patch, when already read (`git.diff`)."""
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
    if against is not None:
        found = audit(task, worktree, against, timeout, part, diff)
        if part == "fast" and not found.result.ok:  # refused anyway: name every evasion now
            found = audit(task, worktree, against, timeout, "all", diff)
        results += [found.result] if found.result.detail else []  # only when it found some
        warnings += found.warnings
    results += [run_check(c, worktree, timeout) for c in task.checks]
    if all(r.ok for r in results):
        results += run_gates(gates, worktree, timeout)
    return Report(tuple(results), tuple(warnings))


def read_diff(task: Task, repo: Path, base: str, head: str, against: Against | None) -> git.Diff:
    """The attempt's diff, with its patch when the audit will read it: one git process for
    the changed files and the evasion detectors both."""
    patch = against is not None and bool(active(task, against, "all"))
    return git.diff(repo, base, head, patch)


def landing_checks(task: Task, worktree: Path, against: Against, timeout: float) -> Report:
    """The audit's detectors that run the test runner (`audit.SLOW`), which the lander runs
    while the attempt waits in the merge queue: it may not land before they pass."""
    found = audit(task, worktree, against, timeout, "slow")
    return Report((found.result,) if found.result.detail else (), found.warnings)


def run_gates(gates: Sequence[str], cwd: Path, timeout: float) -> list[CheckResult]:
    """Run gates in order, stopping at the first that fails."""
    out: list[CheckResult] = []
    for gate in gates:
        out.append(run_command(f"gate `{gate}`", gate, cwd, timeout))
        if not out[-1].ok:
            break
    return out
