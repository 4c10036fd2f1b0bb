"""The merge step: build the merge in git's object store, gate exactly that tree, then
move the target with compare-and-swap. The target never points at an untested tree.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from podium import git
from podium.config import Config
from podium.landing import audit, testids
from podium.landing.commands import CheckResult
from podium.landing.gates import GateRun, no_worse, run_gate, unverified
from podium.runs import faults
from podium.runs.worktrees import WORKTREE_LOCK, link_shared

# "stale": a dependent started on a tree about to land, and that tree did not land.
Status = Literal["merged", "conflict", "gates_failed", "moved", "dirty", "stale"]


@dataclass(frozen=True)
class MergeOutcome:
    status: Status
    commit: str | None = None
    detail: str = ""
    conflicts: tuple[str, ...] = ()
    gates: tuple[CheckResult, ...] = ()


@dataclass(frozen=True)
class Member:
    """One verified attempt waiting to land: its commit and its commit message."""

    key: str  # run/task
    commit: str
    message: str


@dataclass
class MergeContext:
    """What stays the same across one run's merges."""

    repo: Path
    target: str  # branch name
    gates: Sequence[str]
    config: Config
    gate_dir: Path  # a detached worktree where gates run on merge results
    passed_trees: set[str] = field(default_factory=set)  # trees known to pass the gates
    baseline: dict[str, GateRun] | None = None  # each gate's result on the run's base
    gate_runs: int = 0  # how many times the gates ran on a tree (for the record and benches)
    # The evasion classes a member's task may commit (its `allow`), by member key.
    allows: Callable[[str], Collection[str]] = lambda key: ()


TRAILERS = ("Podium-Task:", "Podium-Attempt:", "Podium-Identity:")


def trailer_message(
    subject: str, body: str, run_id: str, task_id: str, attempt: int, identity: str = ""
) -> str:
    parts = [subject.strip().splitlines()[0] if subject.strip() else task_id]
    if body.strip():
        parts.append(body.strip())
    trailers = f"Podium-Task: {run_id}/{task_id}\nPodium-Attempt: {attempt}"
    if identity:
        trailers += f"\nPodium-Identity: {identity}"
    parts.append(trailers)
    return "\n\n".join(parts) + "\n"


def batch_message(members: Sequence[Member]) -> str:
    """One commit for several tasks: each task's message as a section, every trailer last."""
    if len(members) == 1:
        return members[0].message
    subjects, trailers = [], []
    for m in members:
        lines = m.message.strip().splitlines()
        subjects.append(f"- {lines[0]}")
        trailers += [ln for ln in lines if ln.startswith(TRAILERS)]
    head = f"podium: land {len(members)} tasks"
    return "\n\n".join([head, "\n".join(subjects), "\n".join(trailers)]) + "\n"


@dataclass(frozen=True)
class Combined:
    """The members that merge cleanly, stacked on the target, and those that conflict."""

    old: str
    tree: str | None  # None when no member merged
    members: tuple[Member, ...]
    conflicts: tuple[tuple[Member, MergeOutcome], ...]
    old_tree: str = ""  # the tree of `old`, when known


def combine(ctx: MergeContext, members: Sequence[Member]) -> Combined | MergeOutcome:
    """Merge each member in turn onto the target in git's object store; no worktree touched."""
    found = git.tip(ctx.repo, f"refs/heads/{ctx.target}")
    if found is None:
        return MergeOutcome("moved", detail=f"target branch {ctx.target!r} no longer exists")
    old, old_tree = found
    top, tree = old, None
    kept: list[Member] = []
    conflicts: list[tuple[Member, MergeOutcome]] = []
    last: Member | None = None  # merged into `tree`, not yet a commit: only the next needs one
    for m in members:
        if last is not None and tree is not None:
            top, last = git.commit_tree(ctx.repo, tree, [top], last.message), None
        merged, paths = git.merge_tree(ctx.repo, top, m.commit)
        faults.point("merge-tree-built")
        if merged is None:
            detail = conflict_detail(ctx.repo, top, m.commit, paths)
            conflicts.append((m, MergeOutcome("conflict", detail=detail, conflicts=tuple(paths))))
            continue
        tree, last = merged, m
        kept.append(m)
    return Combined(old, tree, tuple(kept), tuple(conflicts), old_tree)


def land(ctx: MergeContext, combined: Combined) -> MergeOutcome:
    """Gate the combined tree and publish it as one commit on the target."""
    assert combined.tree is not None
    if combined.tree == (combined.old_tree or git.tree_of(ctx.repo, combined.old)):
        return MergeOutcome("merged", commit=combined.old, detail="already in the target")
    new = git.commit_tree(ctx.repo, combined.tree, [combined.old], batch_message(combined.members))
    faults.point("merge-commit-made")
    screened, results = screen_and_gate(ctx, combined, new)
    if screened is not None and not screened.ok:
        detail = f"{screened.name}: {screened.detail}"
        return MergeOutcome("gates_failed", detail=detail, gates=(screened,))
    if screened is not None and screened.detail:  # passed, with warnings to show
        results = [screened, *results]
    if not all(r.ok for r in results):
        failed = next(r for r in results if not r.ok)
        where = "merged tree" if len(combined.members) == 1 else "merged tree of the batch"
        return MergeOutcome(
            "gates_failed",
            detail=f"{failed.name} on the {where}: {failed.detail}",
            gates=tuple(results),
        )
    faults.point("gates-passed")
    return publish(ctx, combined.old, new, tuple(results))


def merge_commit(ctx: MergeContext, commit: str, message: str) -> MergeOutcome:
    """Land one commit's changes on the target as one new commit, or say why not."""
    combined = combine(ctx, [Member("", commit, message)])
    if isinstance(combined, MergeOutcome):
        return combined
    if combined.conflicts:
        return combined.conflicts[0][1]
    return land(ctx, combined)


def screen_and_gate(
    ctx: MergeContext, combined: Combined, new: str
) -> tuple[CheckResult | None, list[CheckResult]]:
    """The screen and the gates of the tree about to land (`new`, checked out in the gate
    directory). The batch may not lose tests the target collects (`remove-tests`, judged on
    that tree; a member alone is judged with its task's `allow`). The tree's test ids come
    from the pytest gate's own run when it runs (`testids`), else from a collection beside
    the gates. The screen's result is None when there is nothing to screen."""
    assert combined.tree is not None
    against = audit.Against(ctx.repo, combined.old, tuple(ctx.gates), ctx.config)
    allows = [set(ctx.allows(m.key)) for m in combined.members]
    allow = set.intersection(*allows) if allows else set()
    if not audit.screens(against, allow):
        return None, gate_tree(ctx, combined.tree, new)
    prepare_gate_dir(ctx, new)
    timeout = ctx.config.wall_timeout
    gate = audit.collecting_gate(against)
    if gate is not None and combined.tree not in ctx.passed_trees:
        with tempfile.TemporaryDirectory(prefix="podium-ids-") as tmp:
            out = Path(tmp) / "ids"
            results = gate_tree(ctx, combined.tree, new, checked_out=True, ids=(gate, out))
            now = testids.read(out)  # None: the gate did not get to write them
        return audit.screen(ctx.gate_dir, against, allow, timeout, now), results
    with ThreadPoolExecutor(max_workers=1) as pool:  # the collection beside the gates
        screening = pool.submit(audit.screen, ctx.gate_dir, against, allow, timeout)
        results = gate_tree(ctx, combined.tree, new, checked_out=True)
        return screening.result(), results


def gate_tree(
    ctx: MergeContext,
    tree: str,
    commit: str,
    checked_out: bool = False,
    ids: tuple[str, Path] | None = None,
) -> list[CheckResult]:
    """Run the gates on a checkout of `commit` (made already when `checked_out`), unless this
    very tree already passed; `ids`: (gate, file) the gate writes its collected test ids to.

    Judged against the baseline: a gate failing there only blocks what makes it worse.
    """
    if not ctx.gates or tree in ctx.passed_trees:
        return []
    if not checked_out:
        prepare_gate_dir(ctx, commit)
    ctx.gate_runs += 1
    results = []
    for gate in ctx.gates:
        compare = ctx.config.compare.get(gate, ctx.config.baseline)
        out = ids[1] if ids is not None and ids[0] == gate else None
        run = run_gate(gate, ctx.gate_dir, ctx.config.wall_timeout, compare, out)
        base = (ctx.baseline or {}).get(gate)
        results.append(no_worse(run, base, compare, gate))
        if not results[-1].ok:
            break
    if all(r.ok for r in results) and not unverified(tuple(results)):
        ctx.passed_trees.add(tree)  # a tree let through unverified is gated (and said) again
    return results


def measure_baseline(ctx: MergeContext, commit: str) -> dict[str, GateRun]:
    """Run every gate once on the run's starting point."""
    if ctx.baseline is None:
        ctx.baseline = {}
        if ctx.gates:
            prepare_gate_dir(ctx, commit)
            for gate in ctx.gates:
                compare = ctx.config.compare.get(gate, ctx.config.baseline)
                ctx.baseline[gate] = run_gate(gate, ctx.gate_dir, ctx.config.wall_timeout, compare)
            against = audit.Against(ctx.repo, commit, tuple(ctx.gates), ctx.config)
            audit.remember(against, ctx.gate_dir, ctx.config.wall_timeout)  # what merges keep
            if all(r.result.ok for r in ctx.baseline.values()):
                ctx.passed_trees.add(git.tree_of(ctx.repo, commit))
    return ctx.baseline


def prepare_gate_dir(ctx: MergeContext, commit: str) -> None:
    if not (ctx.gate_dir / ".git").exists():
        ctx.gate_dir.parent.mkdir(parents=True, exist_ok=True)
        with WORKTREE_LOCK:  # not while an attempt's worktree is being added
            git.run(ctx.repo, "worktree", "add", "--quiet", "--detach", str(ctx.gate_dir), commit)
    else:
        git.run(ctx.gate_dir, "checkout", "--quiet", "--force", "--detach", commit)
        git.run(ctx.gate_dir, "clean", "-q", "-f", "-f", "-d", "-x")
    link_shared(ctx.repo, ctx.gate_dir, ctx.config)


def publish(ctx: MergeContext, old: str, new: str, gates: tuple[CheckResult, ...]) -> MergeOutcome:
    """Move the target from old to new (compare-and-swap); bring a checkout of it along."""
    ref = f"refs/heads/{ctx.target}"
    checkout = target_checkout(ctx.repo, ctx.target)
    if checkout is not None and not clean_for(ctx.repo, checkout, old, new):
        return MergeOutcome(
            "dirty",
            detail=f"{ctx.target!r} is checked out at {checkout} "
            "with local changes this merge would overwrite; nothing merged",
        )
    if not git.update_ref(ctx.repo, ref, new, old):
        return MergeOutcome("moved", detail=f"{ctx.target!r} moved while merging")
    faults.point("ref-updated")
    if checkout is not None:
        git.run(checkout, "read-tree", "-m", "-u", old, new, check=False)
        faults.point("checkout-synced")
    return MergeOutcome("merged", commit=new, detail=unverified(gates), gates=gates)


def target_checkout(repo: Path, target: str) -> Path | None:
    """The worktree that has the target checked out, if any. When a HEAD file names it,
    asked while no attempt's worktree is being added or removed: `git worktree list` fails
    on a half-written one ("failed to read .git/worktrees/X/locked"), and the merge queue
    would die of it."""
    if not git.may_be_checked_out(repo, target):
        return None
    with WORKTREE_LOCK:
        return git.checked_out_at(repo, target)


MANY_PATHS = 2_000  # past this, look at the whole checkout rather than name each path


def clean_for(repo: Path, checkout: Path, old: str, new: str) -> bool:
    """Whether the checkout has nothing of its own (staged, modified, untracked or ignored)
    at the paths that change from old to new, so that `read-tree -m -u old new` will go
    through. One `status` limited to those paths, which also refreshes their entries in the
    index, stands for a whole-index refresh and a dry-run `read-tree`."""
    paths = git.changed_files(repo, old, new)
    if not paths:
        return True
    spec = [f":(literal){p}" for p in paths] if len(paths) <= MANY_PATHS else []
    res = git.run(
        checkout,
        "status",
        "--porcelain",
        "-z",
        "--untracked-files=all",
        "--ignored",
        "--",
        *spec,
        check=False,
    )
    return res.code == 0 and not res.out.strip("\0")


def stack(ctx: MergeContext, commits: Sequence[str], message: str) -> str | None:
    """The target with each commit merged on in turn, as a commit: the tree the queue is
    about to land, for a dependent to start from. None when they do not merge cleanly."""
    top = git.rev(ctx.repo, f"refs/heads/{ctx.target}")
    for commit in commits:
        if top is None:
            return None
        tree, _ = git.merge_tree(ctx.repo, top, commit)
        top = git.commit_tree(ctx.repo, tree, [top], message) if tree is not None else None
    return top


def repair_checkout(repo: Path, target: str) -> bool:
    """After a crash between moving the target and updating its checkout, finish the update.

    Only when the checkout's index is exactly the tree of the commit before podium's last
    commit, so that nothing of the user's can be lost.
    """
    checkout = git.checked_out_at(repo, target)
    head = git.rev(repo, f"refs/heads/{target}")
    if checkout is None or head is None or git.rev(repo, f"{head}^") is None:
        return False
    if not git.out(repo, "log", "-1", "--format=%(trailers:key=Podium-Task,valueonly)", head):
        return False
    index_tree = git.out(checkout, "write-tree")
    if index_tree == git.tree_of(repo, head) or index_tree != git.tree_of(repo, f"{head}^"):
        return False
    git.run(checkout, "update-index", "-q", "--refresh", check=False)
    return git.run(checkout, "read-tree", "-m", "-u", f"{head}^", head, check=False).code == 0


def landed_tasks(repo: Path, base: str, target: str) -> list[str]:
    """`run/task` of every Podium-Task trailer on the target since base, oldest first."""
    text = git.out(
        repo,
        "log",
        "--reverse",
        "--format=%(trailers:key=Podium-Task,valueonly)",
        f"{base}..{target}",
    )
    return [line.strip() for line in text.splitlines() if line.strip()]


def attempt_log(repo: Path, base: str, head: str) -> str:
    """The subjects of the attempt's own commits, for the squashed commit's body."""
    return git.out(repo, "log", "--reverse", "--format=- %s", f"{base}..{head}")


def conflict_detail(repo: Path, target: str, commit: str, conflicts: Sequence[str]) -> str:
    """Which files conflict, and which tasks changed them on the target meanwhile."""
    base = git.out(repo, "merge-base", target, commit)
    text = git.out(
        repo,
        "log",
        "--format=%(trailers:key=Podium-Task,valueonly)",
        f"{base}..{target}",
        "--",
        *conflicts,
    )
    others = sorted({line.strip() for line in text.splitlines() if line.strip()})
    who = f" (changed there meanwhile by {', '.join(others)})" if others else ""
    return f"conflicts with the target in {', '.join(conflicts[:10])}{who}"
