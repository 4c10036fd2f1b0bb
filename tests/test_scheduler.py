"""The scheduling decision: readiness, order, file ownership, slots, caps, blocking, determinism."""

from __future__ import annotations

import random
from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from podium.plans.globs import sets_overlap
from podium.scheduling.scheduler import (
    BAD,
    BUSY,
    Block,
    SchedState,
    Schedule,
    Start,
    TaskView,
    decide,
    serialized_pairs,
)


def task(
    id: str,
    *after: str,
    files: tuple[str, ...] = (),
    priority: int = 2,
    minutes: float = 20.0,
    agent: str = "",
) -> TaskView:
    return TaskView(id, after, files, priority, minutes, agent)


def started(
    tasks: tuple[TaskView, ...],
    states: Mapping[str, str],
    max_parallel: int = 8,
    caps: Mapping[str, int] | None = None,
) -> list[str]:
    actions = decide(SchedState(tasks, states, max_parallel, caps or {}))
    return [a.task for a in actions if isinstance(a, Start)]


def test_a_task_starts_only_when_all_its_dependencies_are_merged() -> None:
    tasks = (task("a"), task("b", "a"), task("c", "a", "b"), task("d"))
    assert started(tasks, {"a": "running"}) == ["d"]
    assert started(tasks, {"a": "merging", "d": "merged"}) == []
    assert started(tasks, {"a": "merged", "d": "merged"}) == ["b"]
    assert started(tasks, {"a": "merged", "b": "merged", "d": "merged"}) == ["c"]


def test_a_task_missing_from_states_is_pending() -> None:
    tasks = (task("a"), task("b", "a"))
    assert started(tasks, {"a": "merged"}) == ["b"]
    assert started(tasks, {}) == ["a"]
    assert started(tasks, {"b": "pending", "a": "merged"}) == ["b"]


def test_order_is_priority_then_critical_path_then_plan_order() -> None:
    tasks = (
        task("short"),
        task("long"),
        task("urgent", priority=1, minutes=1),
        task("behind", "long", minutes=60),
        task("twin"),
    )
    assert started(tasks, {}, max_parallel=4) == ["urgent", "long", "short", "twin"]
    assert started(tasks, {}, max_parallel=2) == ["urgent", "long"]


def test_overlapping_files_wait_for_the_holder_to_finish() -> None:
    tasks = (task("a", files=("src/**",)), task("b", files=("src/x.py",)), task("c"))
    assert started(tasks, {}) == ["a", "c"]
    for holding in sorted(BUSY):
        assert started(tasks, {"a": holding}) == ["c"]
    assert started(tasks, {"a": "merged"}) == ["b", "c"]
    assert started(tasks, {"a": "failed"}) == ["b", "c"]


def test_disjoint_files_run_together() -> None:
    tasks = (task("a", files=("*.py",)), task("b", files=("*.md", "docs/")), task("c", files=()))
    assert started(tasks, {}) == ["a", "b", "c"]


def test_max_parallel_counts_busy_tasks() -> None:
    tasks = tuple(task(f"t{i}") for i in range(6))
    assert started(tasks, {"t0": "running", "t1": "verifying"}, max_parallel=3) == ["t2"]
    assert started(tasks, {"t0": "running", "t1": "merging"}, max_parallel=2) == []


def test_agent_caps_limit_one_agent_only() -> None:
    tasks = (
        task("a", agent="claude"),
        task("b", agent="claude"),
        task("c", agent="claude"),
        task("d", agent="codex"),
    )
    assert started(tasks, {}, caps={"claude": 2}) == ["a", "b", "d"]
    assert started(tasks, {"a": "running"}, caps={"claude": 1}) == ["d"]


def test_failure_blocks_dependents_one_level_per_call() -> None:
    tasks = (task("a"), task("b", "a"), task("c", "b"), task("d"))
    states = {"a": "failed", "b": "pending", "c": "pending", "d": "merged"}
    assert decide(SchedState(tasks, states, 4)) == (Block("b", by="a"),)
    states["b"] = "blocked"
    assert decide(SchedState(tasks, states, 4)) == (Block("c", by="b"),)


def test_block_names_the_first_bad_dependency_and_comes_first() -> None:
    tasks = (task("x"), task("y"), task("z", "x", "y"), task("w"))
    states = {"x": "merged", "y": "cancelled"}
    assert decide(SchedState(tasks, states, 4)) == (Block("z", by="y"), Start("w"))
    states["x"] = "failed"
    assert decide(SchedState(tasks, states, 4))[0] == Block("z", by="x")


def test_serialized_pairs_skip_dependent_tasks() -> None:
    tasks = (
        task("a", files=("src/app",)),
        task("b", files=("src/app/x.py",)),
        task("c", "a", files=("src/**",)),
        task("d", files=("docs/",)),
    )
    assert serialized_pairs(tasks) == [("a", "b"), ("b", "c")]


def simulate(tasks: tuple[TaskView, ...], seed: int) -> list[str]:
    """A whole run with seeded outcomes; the log of every decision."""
    rng = random.Random(seed)
    states = {t.id: "pending" for t in tasks}
    log = []
    for _ in range(10 * len(tasks)):
        actions = decide(SchedState(tasks, states, 3, {"x": 1}))
        log.append(repr(actions))
        for a in actions:
            states[a.task] = "running" if isinstance(a, Start) else "blocked"
        busy = [t for t, s in states.items() if s in BUSY]
        if not busy and not actions:
            return log
        if busy:
            states[rng.choice(busy)] = rng.choice(["verifying", "merged", "merged", "failed"])
    raise AssertionError(f"the run did not finish: {states}")


def test_same_run_gives_the_same_decisions() -> None:
    rng = random.Random(3)
    tasks = tuple(
        task(
            f"t{i}",
            *sorted({f"t{rng.randrange(i)}" for _ in range(rng.randint(0, 2))} if i else ()),
            files=tuple(rng.sample(FILES, rng.randint(0, 2))),
            priority=rng.randint(1, 3),
            agent=rng.choice(["", "x"]),
        )
        for i in range(30)
    )
    first = simulate(tasks, seed=5)
    assert simulate(tasks, seed=5) == first
    rebuilt = tuple(TaskView(t.id, t.after, t.files, t.priority, t.minutes, t.agent) for t in tasks)
    assert simulate(rebuilt, seed=5) == first


FILES = ["a/x.py", "a/", "b/*.py", "b/y.py", "**/z.md", "c", "c/d/e", "docs/*.md"]
NEXT = {
    "running": ["verifying", "merged", "failed", "cancelled"],
    "verifying": ["merging", "merged", "failed"],
    "merging": ["merged", "failed"],
}


@st.composite
def plans(draw: st.DrawFn) -> tuple[TaskView, ...]:
    tasks: list[TaskView] = []
    for i in range(draw(st.integers(1, 9))):
        earlier = [t.id for t in tasks]
        after = draw(st.lists(st.sampled_from(earlier), max_size=3, unique=True)) if i else []
        files = draw(st.lists(st.sampled_from(FILES), max_size=2, unique=True))
        prio, agent = draw(st.integers(1, 3)), draw(st.sampled_from(["", "x", "y"]))
        tasks.append(TaskView(f"t{i}", tuple(after), tuple(files), prio, 10.0 * i, agent))
    return tuple(draw(st.permutations(tasks)))


@settings(max_examples=150, deadline=None)
@given(plans(), st.integers(1, 4), st.data())
def test_random_runs_keep_the_invariants(
    tasks: tuple[TaskView, ...], max_parallel: int, data: st.DataObject
) -> None:
    by_id = {t.id: t for t in tasks}
    states = {t.id: "pending" for t in tasks}
    for _ in range(5 * len(tasks) + 1):
        order = data.draw(st.permutations(list(states)))
        state = SchedState(tasks, {k: states[k] for k in order}, max_parallel, {"x": 1})
        actions = decide(state)
        assert actions == Schedule(tasks).decide(state)  # history never matters
        for a in actions:
            if isinstance(a, Start):
                assert all(states[d] == "merged" for d in by_id[a.task].after)
                states[a.task] = "running"
            else:
                assert a.by in by_id[a.task].after and states[a.by] in BAD
                states[a.task] = "blocked"
        busy = [t for t in by_id if states[t] in BUSY]
        assert len(busy) <= max_parallel
        assert sum(by_id[t].agent == "x" for t in busy) <= 1
        for i, t in enumerate(busy):
            assert not any(sets_overlap(by_id[t].files, by_id[u].files) for u in busy[i + 1 :])
        if not busy:
            assert not any(isinstance(a, Start) for a in actions)
            if not actions:
                break
            continue
        moved = data.draw(st.sampled_from(busy))
        states[moved] = data.draw(st.sampled_from(NEXT[states[moved]]))
    assert set(states.values()) <= {"merged", "failed", "blocked", "cancelled"}
    if "failed" not in states.values() and "cancelled" not in states.values():
        assert set(states.values()) == {"merged"}
