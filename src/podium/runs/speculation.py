"""Speculative dependents: a task may start before its dependencies land, on the tree that
the merge queue is about to land.

With `[merge] speculate = "verified"` a dependency counts as about to land once
its checks passed and it waits in the merge queue; with "finished", once its agent finished
(its checks still running); "off" waits for it to land. The dependent's attempt starts on the
target with those dependencies' verified commits merged on (`merge.stack`), and its start
event names the attempts that base holds (`on`), so that a resumed run knows them too.

Nothing unverified lands because of this: the dependent's own merge goes through merge-tree
and the gates on the real target, and the queue lets it in only after every attempt its base
held has landed, earlier or earlier in the same batch (`verdict`). When one of them will
never land (its gates failed, it conflicted, its checks failed), the dependent's attempt is
thrown away wherever it is: its agent stopped, or its merge answered "stale"; the task goes
back to pending, the thrown-away attempt not counted against `max_attempts`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any, Literal

from podium import git
from podium.landing import merge
from podium.landing.queue import Verdict
from podium.plans.model import Task
from podium.runs.lander import Lander
from podium.runs.setup import Attempt, RunSetup
from podium.scheduling import lifecycle
from podium.store import Store, TaskRow

Needs = tuple[tuple[str, int], ...]  # (dependency, its attempt) a base holds


@dataclass(frozen=True)
class Start:
    """Where a speculative attempt starts, and what its start event records."""

    base: str
    needs: Needs

    def event(self) -> dict[str, Any]:
        return {"on": [{"task": t, "attempt": n} for t, n in self.needs]}


class Speculation:
    def __init__(self, setup: RunSetup, store: Store, lander: Lander) -> None:
        self.s = setup
        self.lander = lander
        self.mode = setup.config.speculate
        self.rows: Mapping[str, TaskRow] = {}  # the engine's live view, set when it runs
        self.needs: dict[str, tuple[int, Needs]] = {}  # task -> (attempt, what its base held)
        self.stacks: dict[tuple[str, ...], str | None] = {}  # the last base built, by its parts
        for event in store.events(setup.run_id):
            on = event.data.get("on")
            if event.kind == "task.state" and event.task_id and isinstance(on, list):
                needs = tuple((d["task"], int(d["attempt"])) for d in on)
                self.needs[event.task_id] = (int(event.data["attempt"]), needs)

    def ahead(self) -> dict[str, Attempt]:
        """Tasks whose work is about to land, in queue order: their dependents may start."""
        if self.mode == "off":
            return {}
        if self.mode == "finished":
            return {**self.lander.queued, **self.lander.verifying}
        return dict(self.lander.queued)

    async def start_for(self, task: Task) -> Start | Literal["later"] | None:
        """Where a dependent starts now: None for the real target (its dependencies have all
        landed), a Start on the tree about to land, or "later" when it cannot start yet."""
        ahead = self.ahead()
        wanted = self._landing_above(task.id, ahead)
        if wanted is None:
            return "later"
        if not wanted:
            return None
        atts = [att for t, att in ahead.items() if t in wanted]
        base = await asyncio.to_thread(self._stack, tuple(a.head for a in atts))
        if base is None:  # they do not merge together: wait for them to land
            return "later"
        return Start(base, tuple((a.task.id, a.n) for a in atts))

    def _stack(self, heads: tuple[str, ...]) -> str | None:
        """The target with these commits merged on: built once for the dependents that start
        on the same commits while the target stays where it is."""
        ctx = self.lander.merge_ctx
        key = (git.rev(ctx.repo, f"refs/heads/{ctx.target}") or "", *heads)
        if key not in self.stacks:
            self.stacks = {key: merge.stack(ctx, heads, "podium: speculative base\n")}
        return self.stacks[key]

    def _landing_above(self, task_id: str, ahead: Mapping[str, Attempt]) -> set[str] | None:
        """The task's dependencies about to land, and theirs, transitively; None when one is
        neither landed nor about to land."""
        todo, seen, found = list(self.s.plan.task(task_id).after), set(), set()
        while todo:
            dep = todo.pop()
            if dep in seen or dep not in self.rows:
                continue
            seen.add(dep)
            if dep in ahead:
                found.add(dep)
                todo.extend(self.s.plan.task(dep).after)
            elif self.rows[dep].state != lifecycle.MERGED:
                return None
        return found

    def started(self, task_id: str, n: int, start: Start | None) -> None:
        if start is None:
            self.needs.pop(task_id, None)
        else:
            self.needs[task_id] = (n, start.needs)

    def verdict(self, member: merge.Member, earlier: Set[str]) -> Verdict:
        """May this member land now? Only after every attempt its base held has landed."""
        task_id = member.key.rpartition("/")[2]
        n, needs = self.needs.get(task_id, (0, ()))
        if not needs or self.rows[task_id].attempts != n:
            return ("ok", "")
        waits = False
        for dep, m in needs:
            row = self.rows[dep]
            if row.attempts != m or row.state not in (*lifecycle.BUSY, lifecycle.MERGED):
                return ("stale", f"its base held {dep}'s attempt {m}, which did not land")
            if row.state != lifecycle.MERGED and f"{self.s.run_id}/{dep}" not in earlier:
                waits = True
        return ("wait", "") if waits else ("ok", "")

    def built_on(self, task_id: str, n: int) -> list[str]:
        """The tasks whose current attempt's base holds this attempt."""
        return [
            t
            for t, (m, needs) in self.needs.items()
            if (task_id, n) in needs and self.rows[t].attempts == m
        ]
