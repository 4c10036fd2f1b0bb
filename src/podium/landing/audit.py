"""The evasion audit of one attempt against its base: gather the evidence, then judge it.

This is the edge: git gives the diff and each changed file before and after; the test runner
gives the test ids collected in the attempt's worktree and in an export of its base (`git
archive`, so no worktree or index of the repository is touched). The pure detectors in
`podium.landing.evasions` decide what is an evasion; `[janitor]` and the task's `allow`
decide what it costs.
"""

from __future__ import annotations

import shlex
import tarfile
import tempfile
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from podium import git
from podium.config import Config
from podium.landing import coverage, evasions, gates
from podium.landing.commands import CheckResult, capture
from podium.landing.evasions import Change, Finding
from podium.plans.model import Task
from podium.runs.worktrees import link_shared

NAME = "evasions"
READ = ("pyproject.toml", "setup.cfg")  # read whole, besides source files
# The detectors that run the test runner take a second or more each. `untested-changes`
# (a coverage run of the attempt) runs while the attempt waits in the merge queue (`Part`);
# `remove-tests` is judged on the tree the queue is about to land (`screen`), once a batch.
SLOW = frozenset({"untested-changes"})
QUEUED = frozenset({"remove-tests"})
Part = Literal["all", "fast", "slow"]
_base_ids: dict[tuple[str, str, tuple[str, ...]], frozenset[str]] = {}  # per base tree
KEPT = 16  # trees whose collected ids are remembered
_base_locks: dict[tuple[str, str, tuple[str, ...]], threading.Lock] = {}
_locks_lock = threading.Lock()


@dataclass(frozen=True)
class Against:
    """What an attempt is audited against: its repository and base commit, the run's gates."""

    repo: Path
    base: str
    gates: tuple[str, ...]
    config: Config


@dataclass(frozen=True)
class Audit:
    result: CheckResult  # ok unless a finding's policy is `fail`; the detail lists findings
    warnings: tuple[str, ...]  # findings whose policy is `warn`


def active(task: Task, against: Against, part: Part = "all") -> set[str]:
    """The evasion classes this task is audited for: all, or only the fast or slow ones."""
    policy = against.config.janitor.policy
    kinds = {kind for kind, rule in policy.items() if rule != "allow"} - set(task.allow)
    if part == "fast":
        return kinds - SLOW - QUEUED
    return kinds & SLOW if part == "slow" else kinds


def audit(
    task: Task,
    worktree: Path,
    against: Against,
    timeout: float,
    part: Part = "all",
    diff: git.Diff | None = None,
) -> Audit:
    """Every evasion the attempt at `worktree` commits against its base, judged; `part`
    keeps to the detectors that read the diff ("fast") or to those that run tests ("slow").
    `diff` is the attempt's, with its patch, when the caller has already read it."""
    policy = against.config.janitor.policy
    active_kinds = active(task, against, part)
    if not active_kinds:
        return Audit(CheckResult(NAME, True), ())
    changes = read_changes(worktree, against.base, diff)
    found = detect(task, changes, against) if part != "slow" else []
    if "remove-tests" in active_kinds:
        found = removed(worktree, against, timeout) + found
    notes: list[str] = []
    if "untested-changes" in active_kinds:
        found += untested(worktree, changes, against, timeout, notes)
    fail, warn = evasions.judge([f for f in found if f.kind in active_kinds], policy, task.allow)
    warnings = tuple(f"warning: {f}" for f in [*notes, *warn])
    if fail:
        return Audit(CheckResult(NAME, False, evasions.summary(fail)), warnings)
    return Audit(CheckResult(NAME, True, "\n".join(warnings)), warnings)


def detect(task: Task, changes: Sequence[Change], against: Against) -> list[Finding]:
    extra = (*against.config.janitor.config_files, *evasions.gate_files(against.gates))
    out: list[Finding] = []
    for change in changes:
        out += evasions.config_changed(change, task.files, extra)
        out += evasions.disabled_tests(change)
        out += evasions.weakened_assertions(change)
        out += evasions.emptied(change)
        out += evasions.suppressions(change)
    return out


def read_changes(worktree: Path, base: str, diff: git.Diff | None = None) -> list[Change]:
    """The attempt's changed files (renames followed), with text where the detectors read it;
    `diff` (base to the worktree's HEAD, with its patch) when already read."""
    if diff is None:
        diff = git.diff(worktree, base, "HEAD", patch=True)
    added = evasions.added_lines(diff.patch)
    out = []
    for _, old, new in diff.files:
        path = new or old or ""
        readable = Path(path).suffix in evasions.CODE or Path(path).name in READ
        out.append(
            Change(
                old,
                new,
                show(worktree, f"{base}:{old}") if old and readable else None,
                show(worktree, f"HEAD:{new}") if new and readable else None,
                added.get(path, {}),
            )
        )
    return out


def show(worktree: Path, spec: str) -> str | None:
    """A file's text at a commit (`base:path`), or None when it is not there or not text."""
    try:
        res = git.run(worktree, "show", spec, check=False)
    except UnicodeDecodeError:
        return None
    return res.out if res.code == 0 else None


def removed(worktree: Path, against: Against, timeout: float) -> list[Finding]:
    """Tests collected on the base that the attempt no longer collects."""
    argv = collect_argv(against)
    if argv is None:
        return []
    before = base_ids(against, argv, timeout)
    now = collect(argv, worktree, timeout)
    return _gone(worktree, against.base, before, now)


def _gone(worktree: Path, base: str, before: frozenset[str], now: frozenset[str]) -> list[Finding]:
    paths = {test_id.partition("::")[0] for test_id in before - now}
    sources = {p: show(worktree, f"{base}:{p}") or "" for p in paths}
    return evasions.removed_tests(before, now, sources)


def screens(against: Against, allow: Collection[str]) -> bool:
    """Whether `screen` has anything to do: tests to collect, and removing them not allowed."""
    rule = against.config.janitor.policy.get("remove-tests", "fail")
    return rule != "allow" and "remove-tests" not in allow and collect_argv(against) is not None


def screen(
    tree: Path,
    against: Against,
    allow: Collection[str],
    timeout: float,
    now: frozenset[str] | None = None,
) -> CheckResult:
    """`remove-tests` for a tree about to land (checked out at `tree`) against the target it
    lands on (`against.base`): the tests the target collects that this tree does not. Its own
    ids (`now`, when the gate's run gave them: `collecting_gate`) are kept as the base of the
    next tree to land on it."""
    argv = collect_argv(against)
    assert argv is not None, "screen() runs only when screens() says so"
    before = base_ids(against, argv, timeout)
    if now is None:
        now = collect(argv, tree, timeout)
    _keep((str(against.repo), git.out(tree, "rev-parse", "HEAD^{tree}"), tuple(argv)), now)
    found = _gone(tree, against.base, before, now)
    fail, warn = evasions.judge(found, against.config.janitor.policy, allow)
    if fail:
        return CheckResult(NAME, False, evasions.summary(fail))
    return CheckResult(NAME, True, "\n".join(f"warning: {f}" for f in warn))


def remember(against: Against, tree: Path, timeout: float) -> None:
    """Collect the test ids of a checkout of `against.base` (the run's starting point, in the
    queue's gate directory) as the base the first merges are screened against."""
    argv = collect_argv(against)
    if argv is not None:
        key = (str(against.repo), git.out(tree, "rev-parse", "HEAD^{tree}"), tuple(argv))
        with _locks_lock:
            lock = _base_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in _base_ids:
                _keep(key, collect(argv, tree, timeout))


def untested(
    worktree: Path, changes: Sequence[Change], against: Against, timeout: float, notes: list[str]
) -> list[Finding]:
    """Changed source files none of whose changed lines ran under the pytest gate's tests,
    measured on the attempt's tree; why it could not be measured goes to `notes`."""
    code = [c for c in changes if evasions.untested(c, ())]  # files with changed code
    gate = coverage.pytest_gate(against.gates)
    if not code or gate is None:
        return []
    measured = coverage.measure(gate, worktree, [c.path for c in code], timeout)
    if measured.executed is None:
        notes.append(f"untested-changes: not measured: {measured.why}")
        return []
    ran = measured.executed
    return [f for c in code for f in evasions.untested(c, ran.get(c.path, frozenset()))]


def collecting_gate(against: Against) -> str | None:
    """The gate whose own run can list the ids `collect_argv` lists (`testids`): the first
    pytest gate, unless `[janitor] collect` says how to list them."""
    if against.config.janitor.collect:
        return None
    return next((gate for gate in against.gates if gates.is_pytest(gate)), None)


def collect_argv(against: Against) -> list[str] | None:
    """The command that lists test ids: `[janitor] collect`, else the first pytest gate's."""
    own = against.config.janitor.collect
    if own:
        return shlex.split(own)
    for gate in against.gates:
        if gates.is_pytest(gate):
            argv = shlex.split(gate)
            cache = [] if "no:cacheprovider" in argv else ["-p", "no:cacheprovider"]
            return [*argv, *cache, "--collect-only", "--verbosity=-1"]
    return None


def collect(argv: Sequence[str], cwd: Path, timeout: float) -> frozenset[str]:
    done = capture(argv, cwd, timeout)
    return evasions.test_ids(done.output, pytest="--collect-only" in argv)


def base_ids(against: Against, argv: Sequence[str], timeout: float) -> frozenset[str]:
    """Test ids collected on an export of the base: once per tree and command, however many
    attempts (on the same commit, or on speculative bases holding the same tree) ask at once."""
    tree = git.out(against.repo, "rev-parse", f"{against.base}^{{tree}}")
    key = (str(against.repo), tree, tuple(argv))
    with _locks_lock:
        lock = _base_locks.setdefault(key, threading.Lock())
    with lock:
        ids = _base_ids.get(key)
        if ids is None:
            with tempfile.TemporaryDirectory(prefix="podium-base-") as tmp:
                tar, out = Path(tmp) / "base.tar", Path(tmp) / "tree"
                git.run(against.repo, "archive", "--format=tar", "-o", str(tar), tree)
                with tarfile.open(tar) as archive:
                    archive.extractall(out, filter="data")
                link_shared(against.repo, out, against.config)
                ids = collect(argv, out, timeout)
                _keep(key, ids)
        return ids


def _keep(key: tuple[str, str, tuple[str, ...]], ids: frozenset[str]) -> None:
    """Remember a tree's test ids; only the last few trees (a run lands on the newest)."""
    _base_ids[key] = ids
    while len(_base_ids) > KEPT:
        del _base_ids[next(iter(_base_ids))]
