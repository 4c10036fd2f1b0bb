"""What people read about a run and a plan: `podium status` and `podium run --dry-run`."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from podium.plans.model import Check, Plan, Task
from podium.runs.views import RunRecord
from podium.scheduling import lifecycle
from podium.store import Store
from podium.ui.render import dry_run_text, err, progress_line, status_data, status_text


def clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def test_status_lists_each_task_its_attempts_and_why(
    run_store: Store, record_attempt: Callable[..., object]
) -> None:
    record_attempt(run_store, "api", finished_at=1100.0, outcome="failed", cost_usd=0.5)
    run_store.transition("r1", "api", lifecycle.FAILED, 1100.0, reason="exit 1\nTraceback\nboom")
    data = status_data(record_of(run_store, None))
    assert (data["run"], data["plan"], data["status"]) == ("r1", "shop", "running")
    assert [t["id"] for t in data["tasks"]] == ["api", "docs"]
    assert data["tasks"][0]["attempt_list"][0]["cost_usd"] == 0.5
    assert data["tasks"][1] == {
        "id": "docs", "state": "pending", "attempts": 0, "agent": None, "reason": "",
        "merged_commit": None, "warnings": [], "failure": None, "summary": None,
        "attempt_list": [],
    }  # fmt: skip
    assert status_text(data).splitlines() == [
        "run r1 (shop) on main: running; 1 failed, 1 pending",
        f"  {'api':<24} {'failed':<10} attempts 1  claude",
        f"      a1 {clock(1001.0)}-{clock(1100.0)} failed",
        "      why: exit 1",
        "           Traceback",
        "           boom",
        f"  {'docs':<24} {'pending':<10} attempts 0  -",
    ]


def test_a_running_attempt_has_no_end_yet(
    run_store: Store, record_attempt: Callable[..., object]
) -> None:
    record_attempt(run_store, "docs", agent="codex")
    text = status_text(status_data(record_of(run_store, "r1")))
    assert f"      a1 {clock(1001.0)}-… running" in text.splitlines()


PLAN = Plan(
    "shop",
    (
        Task("api", "x", files=("src/**",), complexity="high", agent="claude"),
        Task("ui", "y", files=("src/ui/**",), agent="codex"),
        Task("docs", "z", after=("api", "ui"), complexity="low", agent="claude"),
    ),
)


def test_a_dry_run_shows_waves_the_critical_path_and_serialized_pairs() -> None:
    assert dry_run_text(PLAN, 3, ("pytest -q",)).splitlines() == [
        "plan 'shop': 3 tasks, up to 3 at once",
        "  wave 1: api, ui",
        "  wave 2: docs",
        "  critical path: api -> docs (~50 min)",
        "  ownership serializes: api / ui",
        "  agents: claude, codex",
        "  gates: pytest -q",
    ]


def test_a_dry_run_warns_when_nothing_would_verify_a_task() -> None:
    checked = Task("api", "x", checks=(Check("path_exists", path="a"),))
    text = dry_run_text(Plan("p", (checked, Task("docs", "y"))), 4, ())
    assert text.splitlines()[-2:] == [
        "  gates: none",
        "  warning: no checks and no gates for docs: only 'changed something' is verified",
    ]
    assert "warning" not in dry_run_text(Plan("p", (Task("docs", "y"),)), 4, ("make",))


def test_progress_lines_are_plain_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    progress_line("api", "failed", "exit 1: boom\nmore output")
    progress_line("docs", "merged", "")
    out = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\d  api {22}failed    exit 1: boom", out[0])
    assert re.fullmatch(r"\d\d:\d\d:\d\d  docs {21}merged", out[1])
    assert "\x1b" not in "".join(out)


def test_errors_go_to_stderr_with_podiums_name(capsys: pytest.CaptureFixture[str]) -> None:
    err("plan.yaml:3:5: bad")
    assert capsys.readouterr().err == "podium: plan.yaml:3:5: bad\n"


def record_of(store: Store, run_id: str | None) -> RunRecord:
    """The rows as stored (no coordinator check: these runs were never really started)."""
    run = store.run(run_id)
    rows = (store.tasks(run.id), store.attempts(run.id), store.events(run.id))
    return RunRecord(run, tuple(rows[0]), tuple(rows[1]), tuple(rows[2]))
