"""The scheduling decision: which tasks to start now and which to block, as a pure function.

`decide(state)` depends on nothing but `state`: same input, same output, byte for byte. It is
called after every event of a run, so what is static for a plan (dependency indices, the
priority order, file conflicts) lives in a `Schedule` cached per `tasks` tuple, and the
Schedule keeps counts derived from the last `states` it saw, updated from the difference, so a
call costs a scan of the state values plus work in proportion to what changed and to what is
ready. Pass the same `tasks` tuple on every call of a run to keep that cache warm. Not
thread-safe: call it from one thread (the engine's event loop).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from functools import reduce
from itertools import compress
from operator import ne

from podium.plans.globs import Footprint, footprint
from podium.plans.graph import remaining_chain, topo_order

PENDING = "pending"
MERGED = "merged"
# Not a stored state: the engine's word for a dependency about to land (verified and queued,
# or finished, as `[merge] speculate` says). Its dependents may start, on the tree about to
# land; it holds its files against every other task but takes no slot.
LANDING = "landing"
DONE = frozenset({MERGED, LANDING})  # what a dependent may start after
BUSY = frozenset({"running", "verifying", "merging", LANDING})  # these hold their files
BAD = frozenset({"failed", "blocked", "cancelled"})  # these block their dependents
NOTHING = footprint(())


@dataclass(frozen=True)
class TaskView:
    """What the scheduler knows of one task."""

    id: str
    after: tuple[str, ...]
    files: tuple[str, ...]
    priority: int = 2  # 1 most urgent .. 5 least
    minutes: float = 20.0  # estimate, the weight on the critical path
    agent: str = ""


@dataclass(frozen=True)
class Start:
    """Start an attempt of this task."""

    task: str


@dataclass(frozen=True)
class Block:
    """This task cannot run: `by`, one of its dependencies, failed or was blocked or cancelled."""

    task: str
    by: str


Action = Start | Block


@dataclass(frozen=True)
class SchedState:
    """Everything a decision depends on; a task missing from `states` counts as pending."""

    tasks: tuple[TaskView, ...]  # plan order
    states: Mapping[str, str]  # task id -> pending, running, verifying, merging, merged, ...
    max_parallel: int
    agent_caps: Mapping[str, int] = field(default_factory=dict)  # absent agent = no cap
    agent_for: Mapping[str, str] = field(default_factory=dict)  # task -> agent, when not its own
    group_of: Mapping[str, str] = field(default_factory=dict)  # agent -> provider
    group_caps: Mapping[str, int] = field(default_factory=dict)  # provider -> cap
    budget_left: float | None = None  # dollars the run may still commit; None = no budget
    estimates: Mapping[str, float] = field(default_factory=dict)  # task -> expected dollars


def decide(state: SchedState) -> tuple[Action, ...]:
    """Blocks for tasks behind a failure (plan order), then the tasks to start now."""
    return schedule_for(state.tasks).decide(state)


def serialized_pairs(tasks: tuple[TaskView, ...]) -> list[tuple[str, str]]:
    """Pairs (plan order) that could run together by dependencies but own overlapping files."""
    return schedule_for(tasks).serialized_pairs()


_CACHE: list[Schedule] = []
_CACHE_SIZE = 4


def schedule_for(tasks: tuple[TaskView, ...]) -> Schedule:
    """The cached Schedule of `tasks`: by identity first, then by equality."""
    found = next((s for s in _CACHE if s.tasks is tasks), None)
    found = found or next((s for s in _CACHE if s.tasks == tasks), None)
    if found is None:
        found = Schedule(tasks)
    else:
        _CACHE.remove(found)
    _CACHE.insert(0, found)
    del _CACHE[_CACHE_SIZE:]
    return found


class Schedule:
    """One plan's static facts, with lazily computed conflicts and the state last seen."""

    def __init__(self, tasks: tuple[TaskView, ...]) -> None:
        self.tasks = tasks
        index = {t.id: i for i, t in enumerate(tasks)}
        if len(index) != len(tasks):
            raise ValueError("task ids are not unique")
        self.ids = [t.id for t in tasks]
        # Dependencies outside the plan are ignored, as graph.py does.
        self.deps = [tuple(dict.fromkeys(index[d] for d in t.after if d in index)) for t in tasks]
        self.rev: list[list[int]] = [[] for _ in tasks]
        for i, deps in enumerate(self.deps):
            for d in deps:
                self.rev[d].append(i)
        chain = remaining_chain({t.id: t.after for t in tasks}, {t.id: t.minutes for t in tasks})
        self.order = sorted(
            range(len(tasks)), key=lambda i: (tasks[i].priority, -chain[self.ids[i]], i)
        )
        self.rank = [0] * len(tasks)
        for r, i in enumerate(self.order):
            self.rank[i] = r
        self._conflicts: dict[tuple[int, int], bool] = {}
        self._prints: dict[int, Footprint] = {}
        self._view = _View(self, index)

    def decide(self, state: SchedState) -> tuple[Action, ...]:
        """See `decide`."""
        view = self._view
        view.sync(state.states)
        blocks = [Block(self.ids[i], self.ids[self._first_bad(i)]) for i in sorted(view.blockable)]
        return (*blocks, *self._starts(state))

    def conflicts(self, i: int, j: int) -> bool:
        """Whether tasks i and j own overlapping files (memoized; as globs.sets_overlap)."""
        key = (i, j) if i < j else (j, i)
        hit = self._conflicts.get(key)
        if hit is None:
            hit = self._conflicts[key] = self._footprint(i).overlaps(self._footprint(j))
        return hit

    def _footprint(self, i: int) -> Footprint:
        found = self._prints.get(i)
        if found is None:
            found = self._prints[i] = footprint(self.tasks[i].files)
        return found

    def serialized_pairs(self) -> list[tuple[str, str]]:
        """See `serialized_pairs`; quadratic in the number of tasks that own files."""
        above = self._ancestors()
        owners = [i for i, t in enumerate(self.tasks) if t.files]
        return [
            (self.ids[i], self.ids[j])
            for k, i in enumerate(owners)
            for j in owners[k + 1 :]
            if not (above[j] >> i) & 1 and not (above[i] >> j) & 1 and self.conflicts(i, j)
        ]

    def _ancestors(self) -> list[int]:
        """For each task, a bit set of every task it depends on, directly or not."""
        above = [0] * len(self.tasks)
        index = {t: i for i, t in enumerate(self.ids)}
        for i in map(index.__getitem__, topo_order({t.id: t.after for t in self.tasks})):
            for d in self.deps[i]:
                above[i] |= above[d] | (1 << d)
        return above

    def _first_bad(self, i: int) -> int:
        return next(d for d in self.deps[i] if self._view.state[d] in BAD)

    def _starts(self, state: SchedState) -> list[Start]:
        """Ready tasks in rank order that fit the free slots, the caps, the budget, the files."""
        held = sorted(self._view.busy)
        landing = [i for i in held if self._view.state[i] == LANDING]
        free = state.max_parallel - len(held) + len(landing)
        if free <= 0:
            return []
        working = [i for i in held if self._view.state[i] != LANDING]
        with closing(self._view.by_rank()) as ranks:  # closing puts back what was read
            return self._choose(state, ranks, free, working, landing)

    def _choose(
        self,
        state: SchedState,
        ranks: Iterable[int],
        free: int,
        working: list[int],
        landing: list[int],
    ) -> list[Start]:
        """Ready tasks taken in rank order while they fit."""
        limits = _Limits(state, self, working)
        files = reduce(Footprint.plus, map(self._footprint, working), NOTHING)
        chosen: list[Start] = []
        for rank in ranks:
            i = self.order[rank]
            mine = self._footprint(i)
            if (limits.active and not limits.admit(i)) or mine.overlaps(files):
                continue
            if landing and self._clashes_landing(i, landing):
                continue
            chosen.append(Start(self.ids[i]))
            files = files.plus(mine)
            if limits.active:
                limits.take(i)
            if len(chosen) == free:
                break
        return chosen

    def _clashes_landing(self, i: int, landing: list[int]) -> bool:
        """Task i owns files of a landing task that is not among its own dependencies (a
        dependent starts on a tree that holds its landing dependencies' work)."""
        above, todo = set(), list(self.deps[i])
        while todo:
            d = todo.pop()
            if d not in above and self._view.state[d] == LANDING:
                above.add(d)
                todo.extend(self.deps[d])
        return any(j not in above and self.conflicts(i, j) for j in landing)

    def _agent_of(self, state: SchedState) -> Callable[[int], str]:
        return lambda i: state.agent_for.get(self.ids[i], self.tasks[i].agent)


def _full(cap: int | None, used: int) -> bool:
    return cap is not None and used >= cap


class _Limits:
    """Agent and provider caps and the budget during one decision (skipped when unset)."""

    def __init__(self, state: SchedState, plan: Schedule, held: list[int]) -> None:
        self.state = state
        self.active = bool(state.agent_caps or state.group_caps or state.budget_left is not None)
        self.agent_of = plan._agent_of(state)
        self.ids = plan.ids
        self.used = Counter(self.agent_of(i) for i in held) if self.active else Counter()
        self.groups = Counter(state.group_of.get(self.agent_of(i), "") for i in held)
        self.budget = state.budget_left

    def admit(self, i: int) -> bool:
        agent = self.agent_of(i)
        group = self.state.group_of.get(agent, "")
        cost = self.state.estimates.get(self.ids[i], 0.0)
        return not (
            _full(self.state.agent_caps.get(agent), self.used[agent])
            or _full(self.state.group_caps.get(group), self.groups[group])
            or (self.budget is not None and cost > self.budget)
        )

    def take(self, i: int) -> None:
        agent = self.agent_of(i)
        self.used[agent] += 1
        self.groups[self.state.group_of.get(agent, "")] += 1
        if self.budget is not None:
            self.budget -= self.state.estimates.get(self.ids[i], 0.0)


def _differences(new: tuple[str, ...], old: tuple[str, ...], step: int = 256) -> Iterator[int]:
    """Positions where two equally long tuples differ, comparing whole blocks first."""
    for a in range(0, len(new) if new != old else 0, step):
        if new[a : a + step] != old[a : a + step]:
            yield from compress(range(a, a + step), map(ne, new[a : a + step], old[a : a + step]))


class _View:
    """Counts derived from the states last seen, kept up to date from what changed."""

    def __init__(self, plan: Schedule, index: dict[str, int]) -> None:
        self.plan, self.index = plan, index
        self.state = [PENDING] * len(plan.tasks)
        self.unmerged = [len(d) for d in plan.deps]  # dependencies not merged
        self.bad = [0] * len(plan.tasks)  # dependencies failed, blocked or cancelled
        self.ready = {plan.rank[i] for i, n in enumerate(self.unmerged) if n == 0}  # by rank
        # The ready ranks as a heap, read in order without a sort of the whole set per
        # decision; a rank no longer ready stays in it until it comes up, then is dropped.
        self.heap = sorted(self.ready)
        self.blockable: set[int] = set()  # pending tasks behind a bad dependency
        self.busy: set[int] = set()
        self._keys: tuple[str, ...] = ()
        self._values: tuple[str, ...] = ()

    def sync(self, states: Mapping[str, str]) -> None:
        """Bring the counts up to date with `states`."""
        keys, values = tuple(states), tuple(states.values())
        if keys == self._keys:
            changed: Iterable[str] = map(keys.__getitem__, _differences(values, self._values))
        else:
            changed = set(keys).union(self._keys)
        self._keys = ()  # should this stop half way, the next call starts over
        for key in changed:
            i = self.index.get(key)
            if i is not None:
                self._set(i, states.get(key, PENDING))
        self._keys, self._values = keys, values

    def _set(self, i: int, new: str) -> None:
        old = self.state[i]
        if new == old:
            return
        self.state[i] = new
        merged = (new in DONE) - (old in DONE)
        bad = (new in BAD) - (old in BAD)
        if merged or bad:
            for j in self.plan.rev[i]:
                self.unmerged[j] -= merged
                self.bad[j] += bad
                self._refresh(j)
        if new in BUSY:
            self.busy.add(i)
        else:
            self.busy.discard(i)
        self._refresh(i)

    def by_rank(self) -> Generator[int, None, None]:
        """The ready ranks, smallest first; each costs a heap step, so a decision that stops
        after a few reads a few, however many tasks are ready."""
        heap, ready = self.heap, self.ready
        seen: list[int] = []
        if len(heap) > 2 * len(ready) + 64:  # mostly ranks that are no longer ready
            heap[:] = sorted(ready)
        try:
            while heap:
                rank = heapq.heappop(heap)
                if rank in ready and (not seen or seen[-1] != rank):  # a stale or twin entry
                    seen.append(rank)
                    yield rank
        finally:  # what was read and is still ready goes back, whether or not all was read
            for rank in seen:
                heapq.heappush(heap, rank)

    def _refresh(self, i: int) -> None:
        pending = self.state[i] == PENDING
        rank = self.plan.rank[i]
        if pending and not self.unmerged[i]:
            if rank not in self.ready:
                self.ready.add(rank)
                heapq.heappush(self.heap, rank)
        else:
            self.ready.discard(rank)
        if pending and self.bad[i]:
            self.blockable.add(i)
        else:
            self.blockable.discard(i)
