"""The store on a real SQLite file: transitions with their events, versions, refusals."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from podium.errors import StateError
from podium.scheduling import lifecycle
from podium.store import AttemptRow, RunRow, Store


def new_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "podium.db")
    store.create_run(
        RunRow("r1", "p", "", "main", "abc", "running", 2, "[]", 1.0, None), ["a", "b"], 1.0
    )
    return store


def attempt(task: str, n: int = 1) -> AttemptRow:
    return AttemptRow(
        "r1",
        task,
        n,
        "command",
        None,
        f"podium/r1/{task}/a{n}",
        "/wt",
        "abc",
        None,
        None,
        None,
        2.0,
        None,
        None,
        None,
        "",
        0,
        0,
        0.0,
    )


def test_wal_mode_and_tasks_in_plan_order(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [t.task_id for t in store.tasks("r1")] == ["a", "b"]
    assert {t.state for t in store.tasks("r1")} == {lifecycle.PENDING}


def test_each_transition_bumps_version_and_writes_one_event(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.start_attempt(attempt("a"))
    store.transition("r1", "a", lifecycle.VERIFYING, 3.0)
    row = store.transition("r1", "a", lifecycle.FAILED, 4.0, reason="gate failed")
    assert (row.state, row.version, row.attempts, row.reason) == ("failed", 3, 1, "gate failed")
    states = [e.data["to"] for e in store.events("r1") if e.kind == "task.state"]
    assert states == ["running", "verifying", "failed"]
    assert len([e for e in store.events("r1") if e.task_id == "a"]) == row.version


def test_forbidden_transition_changes_nothing(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    events_before = len(store.events("r1"))
    with pytest.raises(StateError, match="pending -> verifying is not allowed"):
        store.transition("r1", "a", lifecycle.VERIFYING, 2.0)
    assert store.tasks("r1")[0].version == 0
    assert len(store.events("r1")) == events_before


def test_a_second_connection_sees_committed_state(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.start_attempt(attempt("b"))
    other = sqlite3.connect(tmp_path / "podium.db")
    assert other.execute("SELECT state FROM tasks WHERE task_id='b'").fetchone() == ("running",)
    assert other.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_unknown_run_lists_the_known_ones(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    with pytest.raises(StateError, match=r"no run 'r9' \(known: r1\)"):
        store.run("r9")
    assert store.run().id == "r1"


def test_reopening_keeps_everything(tmp_path: Path) -> None:
    new_store(tmp_path).close()
    again = Store(tmp_path / "podium.db")
    assert again.run("r1").target == "main"


# The task state machine as docs/resume.md documents it, written out here rather than read
# from `lifecycle`, so that a change to the code's table fails this test until both agree.
TABLE = {
    "pending": {"running", "blocked", "cancelled", "merged"},
    "running": {"verifying", "pending", "failed", "cancelled"},
    "verifying": {"merging", "pending", "failed", "cancelled"},
    "merging": {"merged", "pending", "failed", "cancelled"},
    "merged": set(),
    "failed": {"pending", "merged", "split"},
    "blocked": {"pending", "merged", "split"},
    "cancelled": {"pending", "merged", "split"},
    "split": set(),
}
DOCS = Path(__file__).parents[1] / "docs" / "resume.md"


def test_the_documented_table_is_the_one_tested() -> None:
    text = DOCS.read_text().split("## Task states", 1)[1].split("\n## ", 1)[0]
    documented = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 2:
            documented[cells[0].strip("`")] = set(re.findall(r"`(\w+)`", cells[1].split("(")[0]))
    assert documented == TABLE


def path_to(state: str) -> list[str]:
    """The shortest way from pending to `state` through the documented table."""
    paths = {"pending": ["pending"]}
    queue = ["pending"]
    while queue:
        here = queue.pop(0)
        for nxt in sorted(TABLE[here]):
            if nxt not in paths:
                paths[nxt] = [*paths[here], nxt]
                queue.append(nxt)
    return paths[state]


def test_every_pair_of_states_is_allowed_exactly_as_documented(tmp_path: Path) -> None:
    pairs = [(a, b) for a in TABLE for b in TABLE]
    ids = [f"{a}-{b}" for a, b in pairs]
    store = Store(tmp_path / "podium.db")
    store.create_run(RunRow("r1", "p", "", "main", "abc", "running", 2, "[]", 1.0, None), ids, 1.0)
    for task, (frm, to) in zip(ids, pairs, strict=True):
        for step in path_to(frm)[1:]:
            store.transition("r1", task, step, 2.0)
        before = next(t for t in store.tasks("r1") if t.task_id == task)
        if to in TABLE[frm]:
            after = store.transition("r1", task, to, 3.0)
            assert (after.state, after.version) == (to, before.version + 1), task
        else:
            with pytest.raises(StateError, match="is not allowed"):
                store.transition("r1", task, to, 3.0)
            assert next(t for t in store.tasks("r1") if t.task_id == task) == before, task


WRITER = """
import sys
from pathlib import Path
from podium.errors import StateError
from podium.store import Store

store = Store(Path(sys.argv[1]))
go = Path(sys.argv[1]).with_name("go")
print("ready", flush=True)
while not go.exists():
    pass
done = refused = 0
for i in range(int(sys.argv[2])):
    state = store.tasks("r1")[0].state
    try:
        store.transition("r1", "a", "running" if state == "pending" else "pending", float(i))
        done += 1
    except StateError:
        refused += 1
print(done, refused)
"""


def test_concurrent_writers_never_lose_or_double_a_transition(tmp_path: Path) -> None:
    """Four processes flip one task between pending and running as fast as they can: every
    change they were told succeeded is in the event log exactly once, in an unbroken chain,
    and a writer that lost the race is refused (never an SQLite error, never a lost write)."""
    new_store(tmp_path).close()
    db = str(tmp_path / "podium.db")
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db, "150"], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    for w in writers:
        assert w.stdout is not None and w.stdout.readline() == "ready\n"
    (tmp_path / "go").touch()  # all at once
    results = [w.communicate(timeout=120)[0].split() for w in writers]
    assert all(w.returncode == 0 for w in writers)  # a raw sqlite3 error would end one
    done = sum(int(r[0]) for r in results)
    assert sum(int(r[1]) for r in results) > 0  # they did race
    store = Store(tmp_path / "podium.db")
    events = [e.data for e in store.events("r1") if e.kind == "task.state" and e.task_id == "a"]
    assert len(events) == done == store.tasks("r1")[0].version
    chain = ["pending"] + [e["to"] for e in events]
    assert [e["from"] for e in events] == chain[:-1]  # each change starts where the last ended
