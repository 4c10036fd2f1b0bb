"""Fault injection for the crash tests: PODIUM_FAULT=POINT[:N[:stop]] kills podium there.

The coordinator SIGKILLs itself the Nth time (default: the first) it passes POINT, exactly
as `kill -9` would at that instant; with `:stop` it SIGSTOPs itself instead (a zombie, until
someone sends SIGCONT; and again at every later pass). Unset, a point costs one dictionary
lookup.
"""

from __future__ import annotations

import os
import signal

_SPEC = os.environ.get("PODIUM_FAULT", "")
_POINT, _, _REST = _SPEC.partition(":")
_NTH, _, _ACTION = _REST.partition(":")
_hits: dict[str, int] = {}

POINTS = (
    "run-created",
    "attempt-recorded",
    "worktree-created",
    "agent-spawned",
    "agent-exited",
    "leftovers-committed",
    "attempt-finished",
    "verifying",
    "checks-run",
    "checks-recorded",
    "merging",
    "merge-tree-built",
    "merge-commit-made",
    "gates-passed",
    "ref-updated",
    "checkout-synced",
    "merged-recorded",
    "worktree-removed",
    "task-blocked",
    "task-requeued",
    "speculation-discarded",
    "run-finishing",
    "resume-reconciled",
)
# Points only the Temporal executor passes (the local kill battery never reaches them).
REMOTE_POINTS = (
    "attempt-dispatched",  # the coordinator started the attempt's workflow
    "worker-pushing",  # a worker is about to push an attempt's branch
)


def point(name: str) -> None:
    """Die here if the fault specification names this point (and this is the Nth pass)."""
    if name != _POINT:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(_NTH or 1):
        os.kill(os.getpid(), signal.SIGSTOP if _ACTION == "stop" else signal.SIGKILL)
