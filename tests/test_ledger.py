"""A run's bookkeeping: the attempt budget of one go, retries that start a new one, and the
agent and model an attempt gets (a retry's pin, the ladder, the router)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from podium.config import Config
from podium.plans.model import Plan, Task
from podium.runs.ledger import Ledger
from podium.runs.setup import RunSetup
from podium.scheduling import lifecycle
from podium.scheduling.quotas import Quotas
from podium.store import AttemptRow, RunRow, Store

PLAN = Plan("calc", (Task("div", "add div", agent="claude"),))
Said = list[tuple[str, str, str]]


def ledger(
    tmp_path: Path, store: Store, said: list[tuple[str, str, str]], **config: object
) -> Ledger:
    cfg = Config(**config)  # type: ignore[arg-type]
    setup = RunSetup(tmp_path, "r1", "main", PLAN, cfg, (), 2, routing="off")
    quotas = Quotas(cfg.caps, cfg.fallback, cfg.cooldown)
    return Ledger(setup, store, lambda *a: said.append(a), quotas, lambda: 2000.0)


def a_store(tmp_path: Path, record: Callable[..., AttemptRow], outcomes: list[str]) -> Store:
    store = Store(tmp_path / "podium.db")
    store.create_run(RunRow("r1", "calc", "", "main", "b", "running", 2, "[]", 1000.0, None),
                     ["div"], 1000.0)  # fmt: skip
    for n, outcome in enumerate(outcomes, 1):
        record(store, "div", n, outcome=outcome, finished_at=1000.0 + n)
        store.transition("r1", "div", lifecycle.PENDING, 1000.0 + n)
    return store


def test_lost_and_cancelled_attempts_do_not_count_towards_the_budget(
    tmp_path: Path, record_attempt: Callable[..., AttemptRow]
) -> None:
    store = a_store(
        tmp_path, record_attempt, ["agent_failed", "lost", "cancelled", "checks_failed"]
    )
    book = ledger(tmp_path, store, [], max_attempts=3)
    assert book.this_go("div") == ["agent_failed", "checks_failed"]
    assert book.failures("div") == 2 and book.more("div")
    record_attempt(store, "div", 5, outcome="rate_limited")
    assert not book.more("div")  # rate limits count too: three in this go


def test_a_retry_starts_a_new_go_and_may_pin_the_agent(
    tmp_path: Path, record_attempt: Callable[..., AttemptRow]
) -> None:
    store = a_store(tmp_path, record_attempt, ["agent_failed", "agent_failed"])
    store.add_event("r1", "div", 1500.0, "task.retry", {"after": 2, "agent": "codex", "model": "m"})
    said: Said = []
    book = ledger(tmp_path, store, said, max_attempts=2)
    assert book.this_go("div") == [] and book.more("div")
    chosen = book.choose_model(PLAN.task("div"), 3)
    assert (chosen.agent, chosen.model) == ("codex", "m")
    record_attempt(store, "div", 3, agent="codex", outcome="agent_failed")
    book.retry_or_fail(PLAN.task("div"), "exit 1")  # one of two in the new go
    assert said[-1] == ("div", "retry", "exit 1")


def test_after_a_failure_the_ladder_picks_the_next_rung_and_then_the_task_fails(
    tmp_path: Path, record_attempt: Callable[..., AttemptRow]
) -> None:
    store = a_store(tmp_path, record_attempt, ["agent_failed"])
    said: Said = []
    book = ledger(tmp_path, store, said, max_attempts=2, ladder=(("codex", "gpt-5.5"),))
    chosen = book.choose_model(PLAN.task("div"), 2)
    assert (chosen.agent, chosen.model) == ("codex", "gpt-5.5")
    record_attempt(store, "div", 2, outcome="gates_failed")
    book.retry_or_fail(PLAN.task("div"), "gate `pytest` failed")
    assert store.tasks("r1")[0].state == lifecycle.FAILED
    assert said[-1] == ("div", "failed", "gate `pytest` failed")
