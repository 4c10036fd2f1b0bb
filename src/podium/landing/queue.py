"""The merge queue: verified tasks land in batches; a batch whose gates fail is bisected.

Modelled on bors and Zuul. Tasks verified close together are stacked on the target and
gated once; if the gates pass the whole batch lands as one commit. If they fail, the batch
is split in two and each half tried again (first half first), down to the single task that
breaks the build, which alone fails. Nothing untested is ever published.

The queue waits for a batch to fill only when that can pay: there are gates to share and
another task is about to come (its checks are running, or its agent finished or is due to).
A member that was built on a tree about to land (a speculative dependent) is asked about
first (`verdict`): it goes in only after what its tree contained has landed, earlier or
earlier in the same batch; if that will never land, its outcome is "stale" and it is tried
again from the real target.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Set
from dataclasses import dataclass
from typing import Literal

from podium.landing import merge
from podium.landing.merge import Combined, Member, MergeContext, MergeOutcome

Verdict = tuple[Literal["ok", "wait", "stale"], str]  # and why, for "stale"
STALLED = 0.5  # seconds to wait, when every member waits for another, before asking again


def always_ok(member: Member, earlier: Set[str]) -> Verdict:
    return ("ok", "")


@dataclass
class Entry:
    member: Member
    done: asyncio.Future[MergeOutcome]


class MergeQueue:
    def __init__(
        self,
        ctx: MergeContext,
        base: str,
        batch: int,
        wait: float,
        record: Callable[[str, dict[str, object]], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.base = base  # the run's starting commit, where the baseline is measured
        self.batch = max(1, batch)
        self.wait = wait
        self.record = record or (lambda kind, data: None)
        self.waiting: deque[Entry] = deque()
        self.retry: deque[list[Entry]] = deque()  # halves of failed batches, in order
        self.wake = asyncio.Event()
        self.busy_upstream: Callable[[], int] = lambda: 0  # tasks about to come: verifying
        # May this member go in now, after the members `earlier` in the same batch?
        self.verdict: Callable[[Member, Set[str]], Verdict] = always_ok
        self.stalled = False  # every member of the last batch waited for another

    def poke(self) -> None:
        """Something a waiting member depends on was settled: look again."""
        self.wake.set()

    async def submit(self, member: Member) -> MergeOutcome:
        entry = Entry(member, asyncio.get_running_loop().create_future())
        self.waiting.append(entry)
        self.wake.set()
        return await entry.done

    async def serve(self) -> None:
        """Land what is submitted, forever (the engine cancels this task at the end)."""
        await asyncio.to_thread(merge.measure_baseline, self.ctx, self.base)
        while True:
            if self.stalled:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=STALLED)
            batch = self.retry.popleft() if self.retry else await self._next_batch()
            await self._try(batch)

    async def _next_batch(self) -> list[Entry]:
        while not self.waiting:
            self.wake.clear()
            await self.wake.wait()
        deadline = time.monotonic() + self.wait
        # A batch shares gate runs: with no gates, or nothing about to be verified, go now.
        while self.ctx.gates and len(self.waiting) < self.batch and self.busy_upstream() > 0:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=left)
            except TimeoutError:
                break
        return [self.waiting.popleft() for _ in range(min(self.batch, len(self.waiting)))]

    def _admit(self, batch: list[Entry]) -> list[Entry]:
        """The members that may go in now, in order; the others wait or are stale."""
        ready: list[Entry] = []
        held: list[Entry] = []
        earlier: set[str] = set()
        for entry in batch:
            kind, why = self.verdict(entry.member, earlier)
            if kind == "ok":
                ready.append(entry)
                earlier.add(entry.member.key)
            elif kind == "wait":
                held.append(entry)
            else:
                entry.done.set_result(MergeOutcome("stale", detail=why))
        self.waiting.extendleft(reversed(held))
        self.stalled = not ready and bool(held)
        return ready

    async def _combine(self, batch: list[Entry]) -> tuple[Combined | MergeOutcome, list[Entry]]:
        """Stack the batch; a member whose base needs one that conflicted waits for it."""
        while True:
            combined = await asyncio.to_thread(merge.combine, self.ctx, [e.member for e in batch])
            if isinstance(combined, MergeOutcome):
                return combined, batch
            earlier: set[str] = set()
            out: set[str] = set()
            for m in combined.members:
                if self.verdict(m, earlier)[0] != "ok":
                    out.add(m.key)
                earlier.add(m.key)
            if not out:
                return combined, batch
            self.waiting.extendleft(reversed([e for e in batch if e.member.key in out]))
            batch = [e for e in batch if e.member.key not in out]

    async def _try(self, batch: list[Entry]) -> None:
        batch = self._admit(batch)
        if not batch:
            return
        combined, batch = await self._combine(batch)
        if isinstance(combined, MergeOutcome):  # the target vanished: nothing can land
            for entry in batch:
                entry.done.set_result(combined)
            return
        by_key = {e.member.key: e for e in batch}
        kept = [by_key[m.key] for m in combined.members]
        clashes = [(by_key[m.key], outcome) for m, outcome in combined.conflicts]
        if not kept:  # they conflict with the target itself
            for entry, outcome in clashes:
                entry.done.set_result(outcome)
            return
        outcome = await self._land(combined)
        self.record(
            "merge.batch",
            {
                "tasks": [e.member.key for e in kept],
                "status": outcome.status,
                "gate_runs": self.ctx.gate_runs,
            },
        )
        self._settle_clashes(clashes, landed=outcome.status == "merged")
        if outcome.status == "gates_failed" and len(kept) > 1:
            half = len(kept) // 2
            self.retry.extendleft([kept[half:], kept[:half]])  # first half is tried first
        elif outcome.status == "moved":
            self.retry.appendleft(kept)
        else:
            for entry in kept:
                entry.done.set_result(outcome)

    def _settle_clashes(self, clashes: list[tuple[Entry, MergeOutcome]], landed: bool) -> None:
        """A task that conflicted inside a batch needs a fresh attempt only once the work it
        conflicts with has landed; otherwise it goes back to the front of the queue."""
        if landed:
            for entry, outcome in clashes:
                entry.done.set_result(outcome)
        else:
            self.waiting.extendleft(entry for entry, _ in reversed(clashes))

    async def _land(self, combined: Combined) -> MergeOutcome:
        return await asyncio.to_thread(merge.land, self.ctx, combined)
