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
SPLIT = "split"  # replaced by its sub-tasks (podium split); final

STATES = (PENDING, RUNNING, VERIFYING, MERGING, MERGED, FAILED, BLOCKED, CANCELLED, SPLIT)
FINAL = frozenset({MERGED, FAILED, BLOCKED, CANCELLED, SPLIT})
BUSY = frozenset({RUNNING, VERIFYING, MERGING})
DONE = frozenset({MERGED, SPLIT})  # nothing left to do: landed, or its sub-tasks stand in

# A task that git finds on the target (its identity trailer, from this run or another) is
# merged from wherever it stood: pending, failed, blocked and cancelled may go to merged too.
# A stopped task (failed, blocked, cancelled) may be split: its sub-tasks replace it.
ALLOWED: dict[str, frozenset[str]] = {
    PENDING: frozenset({RUNNING, BLOCKED, CANCELLED, MERGED}),
    RUNNING: frozenset({VERIFYING, PENDING, FAILED, CANCELLED}),
    VERIFYING: frozenset({MERGING, PENDING, FAILED, CANCELLED}),
    MERGING: frozenset({MERGED, PENDING, FAILED, CANCELLED}),
    MERGED: frozenset(),
    FAILED: frozenset({PENDING, MERGED, SPLIT}),
    BLOCKED: frozenset({PENDING, MERGED, SPLIT}),
    CANCELLED: frozenset({PENDING, MERGED, SPLIT}),
    SPLIT: frozenset(),
}


def allowed(frm: str, to: str) -> bool:
    return to in ALLOWED.get(frm, frozenset())
