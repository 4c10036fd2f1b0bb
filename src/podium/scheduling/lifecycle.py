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

ALLOWED: dict[str, frozenset[str]] = {
    PENDING: frozenset({RUNNING, BLOCKED, CANCELLED}),
    RUNNING: frozenset({VERIFYING, PENDING, FAILED, CANCELLED}),
    VERIFYING: frozenset({MERGING, PENDING, FAILED, CANCELLED}),
    MERGING: frozenset({MERGED, PENDING, FAILED, CANCELLED}),
    MERGED: frozenset(),
    FAILED: frozenset({PENDING}),
    BLOCKED: frozenset({PENDING}),
    CANCELLED: frozenset({PENDING}),
}


def allowed(frm: str, to: str) -> bool:
    return to in ALLOWED.get(frm, frozenset())
