"""The task state machine: states, allowed transitions, which states are final or busy."""

from __future__ import annotations

PENDING = "pending"
RUNNING = "running"
VERIFYING = "verifying"
MERGING = "merging"
MERGED = "merged"
FAILED = "failed"
BLOCKED = "blocked"
CANCELLED = "cancelled"

STATES = (PENDING, RUNNING, VERIFYING, MERGING, MERGED, FAILED, BLOCKED, CANCELLED)
FINAL = frozenset({MERGED, FAILED, BLOCKED, CANCELLED})
BUSY = frozenset({RUNNING, VERIFYING, MERGING})

# A task that git finds on the target (its identity trailer, from this run or another) is
# merged from wherever it stood: pending, failed, blocked and cancelled may go to merged too.
ALLOWED: dict[str, frozenset[str]] = {
    PENDING: frozenset({RUNNING, BLOCKED, CANCELLED, MERGED}),
    RUNNING: frozenset({VERIFYING, PENDING, FAILED, CANCELLED}),
    VERIFYING: frozenset({MERGING, PENDING, FAILED, CANCELLED}),
    MERGING: frozenset({MERGED, PENDING, FAILED, CANCELLED}),
    MERGED: frozenset(),
    FAILED: frozenset({PENDING, MERGED}),
    BLOCKED: frozenset({PENDING, MERGED}),
    CANCELLED: frozenset({PENDING, MERGED}),
}


def allowed(frm: str, to: str) -> bool:
    return to in ALLOWED.get(frm, frozenset())
