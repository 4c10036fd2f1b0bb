"""The task state machine, driven at random against the real store (hypothesis)."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from podium.errors import StateError
from podium.scheduling import lifecycle
from podium.store import RunRow, Store

TASKS = ["a", "b", "c"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(TASKS), st.sampled_from(lifecycle.STATES)), max_size=40))
def test_only_allowed_transitions_and_version_counts_events(moves: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "podium.db")
        store.create_run(
            RunRow("r1", "p", "", "main", "abc", "running", 2, "[]", 0.0, None), TASKS, 0.0
        )
        model = dict.fromkeys(TASKS, lifecycle.PENDING)
        for i, (task, to) in enumerate(moves):
            if lifecycle.allowed(model[task], to):
                store.transition("r1", task, to, float(i))
                model[task] = to
            else:
                try:
                    store.transition("r1", task, to, float(i))
                except StateError:
                    pass
                else:
                    raise AssertionError(f"{model[task]} -> {to} was accepted")
        rows = {row.task_id: row for row in store.tasks("r1")}
        assert {t: r.state for t, r in rows.items()} == model
        events = store.events("r1")
        for task in TASKS:
            mine = [e for e in events if e.task_id == task and e.kind == "task.state"]
            assert rows[task].version == len(mine)
            states = [lifecycle.PENDING] + [e.data["to"] for e in mine]
            assert all(lifecycle.allowed(a, b) for a, b in itertools.pairwise(states))
        store.close()


def test_final_states_are_final_except_for_resume() -> None:
    """Merged and split are for ever; the other final states go back to pending (resume,
    retry), to merged when git finds the task's identity on the target, or to split."""
    assert lifecycle.ALLOWED[lifecycle.MERGED] == frozenset()
    assert lifecycle.ALLOWED[lifecycle.SPLIT] == frozenset()
    for state in (lifecycle.FAILED, lifecycle.BLOCKED, lifecycle.CANCELLED):
        assert lifecycle.ALLOWED[state] == {lifecycle.PENDING, lifecycle.MERGED, lifecycle.SPLIT}
