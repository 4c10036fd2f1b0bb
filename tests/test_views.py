"""What the front ends read: a run as it really is (a dead coordinator's run is interrupted,
its attempts lost at their last sign of life), and reading never writes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from podium.runs.views import Reader, last_sign_of_life, lease_holder, lease_text
from podium.store import AttemptRow, Store


def digest_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_lease_names_a_live_coordinator_by_pid_and_start_time(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    assert lease_holder(lock) is None  # no file
    lock.write_text(lease_text(os.getpid()))
    assert lease_holder(lock) == os.getpid()
    lock.write_text(f"{os.getpid()} 1")  # the same pid, started at another time: reused
    assert lease_holder(lock) is None
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True).stdout.strip()  # fmt: skip
    lock.write_text(f"{gone} 123")
    assert lease_holder(lock) is None
    lock.write_text("not a pid")
    assert lease_holder(lock) is None


def test_a_run_without_its_coordinator_reads_as_interrupted(
    run_store: Store, record_attempt: Callable[..., AttemptRow], tmp_path: Path
) -> None:
    row = record_attempt(run_store, "api")  # started at 1001, never finished
    log = tmp_path / "logs" / "r1" / "api" / "a1.log"
    log.parent.mkdir(parents=True)
    log.write_text("working\n")
    os.utime(log, (1050.0, 1050.0))
    assert last_sign_of_life(tmp_path, row) == 1050.0
    before = digest_of(run_store.path)
    with Reader(run_store.path) as reader:  # the lock file is absent: nobody holds it
        record = reader.record("r1")
        view = reader.view("r1")
    assert record.run.status == view.run.status == "interrupted"
    assert record.run.finished_at == 1050.0
    lost = record.attempts_of("api")[0]
    assert (lost.outcome, lost.finished_at) == ("lost", 1050.0)
    assert view.task("api").last == lost
    assert run_store.run("r1").status == "running"  # the store itself is untouched
    assert digest_of(run_store.path) == before


def test_a_live_coordinators_run_reads_as_running(
    run_store: Store, record_attempt: Callable[..., AttemptRow], tmp_path: Path
) -> None:
    record_attempt(run_store, "api")
    (tmp_path / "lock").write_text(lease_text(os.getpid()))  # this test plays the coordinator
    with Reader(run_store.path) as reader:
        record = reader.record("r1")
        assert reader.coordinator() == os.getpid()
        assert reader.active_run() == "r1"
    assert record.run.status == "running"
    assert record.attempts[0].outcome is None and record.attempts[0].finished_at is None


def test_a_record_holds_every_row_and_says_the_exit_code(run_store: Store) -> None:
    run_store.add_event("r1", "api", 1001.0, "task.routed", {"attempt": 1})
    with Reader(run_store.path) as reader:
        record = reader.record(None)
        assert reader.run_ids() == ["r1"]
    assert [t.task_id for t in record.tasks] == ["api", "docs"]
    assert [e.kind for e in record.events_of("task.routed", "api")] == ["task.routed"]
    assert record.events_of("task.routed", "docs") == ()
    assert record.exit_code == 1  # not every task merged


def test_a_record_counts_speculative_starts_and_discarded_attempts(run_store: Store) -> None:
    def start(task: str, n: int, on: list[dict[str, object]] | None = None) -> None:
        row = AttemptRow(
            "r1", task, n, "claude", None, f"podium/r1/{task}/a{n}", f"/wt/{task}-a{n}",
            "base", None, None, None, 1000.0 + n, None, None, None, "", 0, 0, 0.0,
        )  # fmt: skip
        run_store.start_attempt(row, {"on": on} if on is not None else None)

    start("api", 1)
    run_store.transition("r1", "api", "verifying", 1001.5)
    run_store.transition("r1", "api", "merging", 1001.6)
    start("docs", 1, [{"task": "api", "attempt": 1}])  # on api's work, about to land
    why = "api did not land"
    run_store.update_attempt("r1", "docs", 1, finished_at=1001.9, outcome="discarded", reason=why)
    run_store.transition("r1", "docs", "pending", 1002.0)
    start("docs", 2)  # from the real target
    with Reader(run_store.path) as reader:
        record = reader.record("r1")
    assert record.speculative_starts() == {("docs", 1): (("api", 1),)}
    assert record.speculation() == {"tasks": 1, "attempts": 1, "discarded": 1}
