"""From a history of attempts to concrete setting changes, each with its evidence. Pure.

The same `History` and `Settings` always give the same proposals, in the same order. A
proposal names the podium.toml setting it changes (`setting`) or the line it adds to the
prompt template (`prompt_line`); a flaky gate is advice only (podium has no setting for it).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from podium.evolve.facts import FAILURES, AttemptFact, History, Settings

MIN_RUNS = 2  # runs before `evolve` proposes anything
MIN_ATTEMPTS = 6  # attempts that ended for the agent's own doing (merged or failed)
MIN_ARM = 3  # decided attempts on an arm before its success rate is compared
MIN_KILLS = 2  # timeouts or violations before a change is proposed for them
LESSONS = "Lessons from earlier runs (podium evolve):"


@dataclass(frozen=True)
class Proposal:
    key: str  # what it changes: "roles.docs", "timeouts.silence", "prompt.ownership", ...
    title: str
    evidence: tuple[str, ...]
    effect: str  # what should get better
    setting: tuple[str, str, Any] | None = None  # (table, key, value); table "" = top level
    prompt_line: str = ""  # a line for the prompt template's lessons
    sources: tuple[str, ...] = ()  # run/task/aN of the attempts it comes from


@dataclass(frozen=True)
class Effect:
    key: str
    applied_at: float
    before: tuple[int, int]  # (hits, of)
    after: tuple[int, int]
    measure: str  # what hits count, e.g. "docs attempts merged"

    def describe(self) -> str:
        (hb, nb), (ha, na) = self.before, self.after
        if na == 0:
            return f"{self.key}: no attempts since applied ({self.measure}: {hb}/{nb} before)"
        return f"{self.key}: {self.measure}: {ha}/{na} since it was applied, {hb}/{nb} before"


@dataclass(frozen=True)
class Analysis:
    runs: tuple[str, ...]
    attempts: int  # decided attempts read
    proposals: tuple[Proposal, ...]
    effects: tuple[Effect, ...]
    too_little: str = ""  # why nothing is proposed, when history is too short


def analyse(history: History, settings: Settings) -> Analysis:
    decided = [a for a in history.attempts if a.decided]
    effects = tuple(judge(history, applied_key, at) for at, applied_key in _applied(history))
    if len(history.runs) < MIN_RUNS or len(decided) < MIN_ATTEMPTS:
        why = (
            f"too little history: {len(history.runs)} run(s) and {len(decided)} finished "
            f"attempt(s); evolve needs at least {MIN_RUNS} runs and {MIN_ATTEMPTS} attempts that "
            f"merged or failed ({max(0, MIN_RUNS - len(history.runs))} more run(s), "
            f"{max(0, MIN_ATTEMPTS - len(decided))} more attempt(s))"
        )
        return Analysis(history.runs, len(decided), (), effects, why)
    found: list[Proposal] = []
    for rule in RULES:
        found += rule(history, settings)
    return Analysis(history.runs, len(decided), tuple(found), effects)


# -- routing -----------------------------------------------------------------------------


def routing(history: History, s: Settings) -> list[Proposal]:
    """Per role: move it to the arm that succeeds clearly more often (or as often, cheaper)."""
    by_role: dict[str, list[AttemptFact]] = defaultdict(list)
    for a in history.attempts:
        if a.decided and a.role:
            by_role[a.role].append(a)
    out = []
    for role in sorted(by_role):
        proposal = _role_move(role, by_role[role], s)
        if proposal is not None:
            out.append(proposal)
    return out


def _role_move(role: str, attempts: list[AttemptFact], s: Settings) -> Proposal | None:
    """First between agents: another agent that lands the role's tasks clearly more often
    (or as often, cheaper) is proposed by its name alone, and the cascade picks its models.
    Else between the models of the agent the role runs on: an `agent:model`."""
    named = s.roles.get(role, "")  # what `[roles]` says now
    by_agent = _arm_move(role, attempts, named.partition(":")[0], lambda a: a.agent)
    if by_agent is not None:
        return by_agent
    usual = _usual(attempts, lambda a: a.agent)
    return _arm_move(role, [a for a in attempts if a.agent == usual], named, lambda a: a.arm)


def _usual(attempts: list[AttemptFact], arm_of: Callable[[AttemptFact], str]) -> str | None:
    """The arm the role's first attempts use most (ties: the first by name)."""
    firsts = sorted(arm_of(a) for a in attempts if a.n == 1)
    return max(sorted(set(firsts)), key=firsts.count) if firsts else None


def _arm_move(
    role: str, attempts: list[AttemptFact], named: str, arm_of: Callable[[AttemptFact], str]
) -> Proposal | None:
    """The arm (by `arm_of`) to move the role to, unless it is the one `named` already."""
    arms: dict[str, list[AttemptFact]] = defaultdict(list)
    for a in attempts:
        arms[arm_of(a)].append(a)
    usual = _usual(attempts, arm_of)
    stats = {arm: _rate(rows) for arm, rows in arms.items() if len(rows) >= MIN_ARM}
    if usual is None or usual not in stats:
        return None
    best = min(stats, key=lambda arm: (-stats[arm][0], _mean_cost(arms[arm]), arm))
    rate, cost = stats[best][0], _mean_cost(arms[best])
    now, now_cost = stats[usual][0], _mean_cost(arms[usual])
    if best in (usual, named):
        return None
    better = rate - now >= 0.3
    cheaper = rate >= now and cost < 0.7 * now_cost
    if not (better or cheaper):
        return None
    evidence = tuple(
        f"{arm}: {_count(arms[arm])} {role} attempts merged ({_pct(stats[arm][0])}), "
        f"mean cost ${_mean_cost(arms[arm]):.4f}{_models(arm, arms[arm])}"
        for arm in sorted(stats)
    )
    gain = f"from {_pct(now)} to about {_pct(rate)} of {role} attempts merging"
    if not better:
        gain = f"the same success rate at {_pct(1 - cost / now_cost)} less cost per attempt"
    return Proposal(
        f"roles.{role}",
        f"route {role} tasks to {best} (they run on {usual} now)",
        evidence,
        gain,
        setting=("roles", role, best),
        sources=_where(attempts),
    )


def _models(arm: str, rows: Sequence[AttemptFact]) -> str:
    """The models a whole agent's attempts ran on (nothing for an `agent:model` arm)."""
    models = sorted({a.model for a in rows if a.model})
    return f", on {', '.join(models)}" if models and ":" not in arm else ""


# -- retries -----------------------------------------------------------------------------


def retries(history: History, s: Settings) -> list[Proposal]:
    """One more attempt when tasks often land on their last allowed attempt and others run out."""
    tasks = _by_task(history.attempts)
    last_hope = [k for k, rows in tasks.items() if _merged_at(rows) == s.max_attempts]
    ran_out = [
        k
        for k, rows in tasks.items()
        if _merged_at(rows) is None and sum(r.outcome in FAILURES for r in rows) >= s.max_attempts
    ]
    if len(last_hope) < MIN_KILLS or not ran_out:
        return []
    evidence = (
        f"{len(last_hope)} tasks merged only on their attempt {s.max_attempts}, the last allowed: "
        + ", ".join(sorted(f"{r}/{t}" for r, t in last_hope)),
        f"{len(ran_out)} tasks failed after {s.max_attempts} attempts: "
        + ", ".join(sorted(f"{r}/{t}" for r, t in ran_out)),
    )
    return [
        Proposal(
            "max_attempts",
            f"allow {s.max_attempts + 1} attempts per task (now {s.max_attempts})",
            evidence,
            "tasks that need one more try land instead of failing",
            setting=("", "max_attempts", s.max_attempts + 1),
        )
    ]


def ladder(history: History, s: Settings) -> list[Proposal]:
    """A retry ladder when retries on another arm recover clearly more often than on the same."""
    if s.ladder:
        return []
    same: list[AttemptFact] = []
    moved: dict[str, list[AttemptFact]] = defaultdict(list)
    for rows in _by_task(history.attempts).values():
        for prev, nxt in itertools.pairwise(rows):
            if prev.outcome in FAILURES and nxt.decided:
                (same if nxt.arm == prev.arm else moved[nxt.arm]).append(nxt)
    rated = {arm: _rate(rows)[0] for arm, rows in moved.items() if len(rows) >= MIN_ARM}
    if len(same) < MIN_ARM or not rated:
        return []
    best = min(rated, key=lambda arm: (-rated[arm], arm))
    if rated[best] - _rate(same)[0] < 0.3:
        return []
    evidence = (
        f"retries on the same agent and model: {_count(same)} merged",
        f"retries on {best}: {_count(moved[best])} merged",
    )
    return [
        Proposal(
            "retries.ladder",
            f"retry failed attempts on {best}",
            evidence,
            f"retries merging {_pct(rated[best])} of the time instead of {_pct(_rate(same)[0])}",
            setting=("retries", "ladder", [best]),
            sources=_where([*same, *moved[best]]),
        )
    ]


# -- timeouts ----------------------------------------------------------------------------


def timeouts(history: History, s: Settings) -> list[Proposal]:
    out = []
    for kind, current, text in (
        ("silence", s.silence, "silence timeout"),
        ("wall", s.wall, "wall-clock timeout"),
    ):
        proposal = _timeout(history, kind, current, text)
        if proposal is not None:
            out.append(proposal)
    return out


def _timeout(history: History, kind: str, current: float, text: str) -> Proposal | None:
    """A longer timeout when it killed attempts whose tasks then succeeded on a later one."""
    killed = [a for a in history.attempts if text in a.reason]
    if len(killed) < MIN_KILLS:
        return None
    tasks = _by_task(history.attempts)
    rescued = [
        r
        for a in killed
        for r in tasks[(a.run_id, a.task_id)]
        if r.n > a.n and r.outcome == "merged" and r.seconds is not None
    ]
    if not rescued:
        return None
    limits = sorted({_limit(a, kind) or current for a in killed})
    longest = max(r.seconds or 0.0 for r in rescued)
    value = _nice(max(2 * max(limits), 1.5 * longest))
    if value <= current:
        return None
    done = [a.seconds for a in history.attempts if a.outcome == "merged" and a.seconds is not None]
    evidence = (
        f"{len(killed)} attempts killed by the {text} ({', '.join(_secs(x) for x in limits)}): "
        + ", ".join(a.where for a in killed),
        f"{len({(r.run_id, r.task_id) for r in rescued})} of their tasks then merged on a later "
        f"attempt taking {', '.join(_secs(r.seconds or 0.0) for r in rescued)}",
        f"merged attempts took {_secs(min(done))} to {_secs(max(done))} (median "
        f"{_secs(sorted(done)[len(done) // 2])}) over {len(done)} attempts",
    )
    return Proposal(
        f"timeouts.{kind}",
        f"raise the {kind} timeout to {_secs(value)} (now {_secs(current)})",
        evidence,
        f"no more good attempts killed by the {text}; a hung agent is killed after {_secs(value)}",
        setting=("timeouts", kind, value),
        sources=_where(killed),
    )


# -- rate limits -------------------------------------------------------------------------


def caps(history: History, s: Settings) -> list[Proposal]:
    """A cap per agent below the concurrency at which it kept hitting rate limits."""
    by_agent: dict[str, list[Any]] = defaultdict(list)
    for limit in history.limits:
        by_agent[limit.agent].append(limit)
    out = []
    for agent in sorted(by_agent):
        hits = by_agent[agent]
        runs = sorted({h.run_id for h in hits})
        if len(hits) < MIN_KILLS:
            continue
        peak = min(h.running for h in hits)
        value = max(1, peak - 1)
        if s.caps.get(agent, s.max_parallel) <= value:
            continue
        evidence = (
            f"{len(hits)} rate limits on {agent} in runs {', '.join(runs)}, with "
            f"{', '.join(str(h.running) for h in hits)} of its attempts running at the time",
        )
        out.append(
            Proposal(
                f"caps.{agent}",
                f"run at most {value} {agent} attempts at once",
                evidence,
                f"fewer attempts lost to {agent}'s rate limits and their cool-downs",
                setting=("caps", agent, value),
            )
        )
    return out


# -- prompt ------------------------------------------------------------------------------

OUTSIDE = re.compile(r"changed files outside its `files`: (.*)")


def prompt_lessons(history: History, s: Settings) -> list[Proposal]:
    """A template line per failure class that keeps coming back, unless it is there already."""
    out = []
    for key, lead, match, line in LESSON_CLASSES:
        hits = [a for a in history.attempts if match(a)]
        # there already: the fixed sentence, or the line an earlier `--apply` wrote (worded)
        written = [str(a.values.get(f"prompt.{key}") or lead) for a in history.applied]
        if len(hits) < MIN_KILLS or any(w in s.prompt for w in (lead, *written)):
            continue
        sentence = line(hits)
        out.append(
            Proposal(
                f"prompt.{key}",
                f"tell agents: {sentence}",
                (f"{len(hits)} attempts failed so: " + ", ".join(a.where for a in hits),),
                f"fewer attempts refused for {key.replace('-', ' ')}",
                prompt_line=sentence,
                sources=_where(hits),
            )
        )
    return out


def _outside_paths(hits: Sequence[AttemptFact]) -> str:
    paths: list[str] = []
    for a in hits:
        found = OUTSIDE.search(a.reason)
        for path in found.group(1).split(", ") if found else ():
            if path.strip() and path.strip() not in paths:
                paths.append(path.strip())
    return ", ".join(sorted(paths)[:8])


def _failed_checks(hits: Sequence[AttemptFact]) -> str:
    names = sorted({a.reason.partition(":")[0] for a in hits})
    return "; ".join(names[:5])


LESSON_CLASSES: tuple[
    tuple[str, str, Callable[[AttemptFact], bool], Callable[[Sequence[AttemptFact]], str]], ...
] = (
    (
        "ownership",
        "Change only the paths you own",
        lambda a: "outside its `files`" in a.reason,
        lambda hits: (
            "Change only the paths you own; earlier attempts were refused for "
            f"editing {_outside_paths(hits)}."
        ),
    ),
    (
        "no-changes",
        "An attempt that changes no files",
        lambda a: "changed no files" in a.reason,
        lambda hits: (
            "An attempt that changes no files is refused: make the change in the "
            "working tree before you finish."
        ),
    ),
    (
        "evasions",
        "Do not weaken, skip or delete tests",
        lambda a: a.reason.startswith(("evasion", "audit")),
        lambda hits: (
            "Do not weaken, skip or delete tests or checks to make them pass; "
            "such changes are refused."
        ),
    ),
    (
        "failing-checks",
        "Run the task's checks yourself",
        lambda a: (
            a.outcome == "checks_failed"
            and a.reason.startswith(("path_exists", "glob_exists", "file_contains", "command"))
        ),
        lambda hits: (
            "Run the task's checks yourself before you finish; these kept failing: "
            f"{_failed_checks(hits)}."
        ),
    ),
)


# -- gates -------------------------------------------------------------------------------


def flaky_gates(history: History, s: Settings) -> list[Proposal]:
    """A gate that failed and then passed on the same attempt's commit (podium does not record
    the merged tree itself, so the attempt is the nearest sign of 'the same tree')."""
    seen: dict[tuple[str, str, int, str], list[bool]] = defaultdict(list)
    for g in sorted(history.gates, key=lambda g: g.at):
        seen[(g.run_id, g.task_id, g.n, g.gate)].append(g.ok)
    flips: dict[str, list[str]] = defaultdict(list)
    for (run, task, n, gate), results in seen.items():
        if any(not a and b for a, b in itertools.pairwise(results)):
            flips[gate].append(f"{run}/{task}/a{n}")
    return [
        Proposal(
            f"gates.flaky.{gate}",
            f"gate `{gate}` looks flaky",
            (f"failed, then passed on the same commit: {', '.join(sorted(where))}",),
            "fix or quarantine its flaky tests; podium has no setting that retries a gate",
            sources=tuple(sorted(where)),
        )
        for gate, where in sorted(flips.items())
    ]


RULES: tuple[Callable[[History, Settings], list[Proposal]], ...] = (
    routing,
    retries,
    ladder,
    timeouts,
    caps,
    prompt_lessons,
    flaky_gates,
)


# -- judging applied changes -------------------------------------------------------------


def _applied(history: History) -> list[tuple[float, str]]:
    return [(a.at, key) for a in history.applied for key in a.keys]


def judge(history: History, key: str, at: float) -> Effect:
    """How the thing a change was for went before and after it was applied."""
    hit, pick, measure = _measure(key)
    rows = [a for a in history.attempts if a.decided and pick(a)]
    before = [a for a in rows if a.started_at < at]
    after = [a for a in rows if a.started_at >= at]
    count = (sum(map(hit, before)), len(before)), (sum(map(hit, after)), len(after))
    return Effect(key, at, count[0], count[1], measure)


def _measure(
    key: str,
) -> tuple[Callable[[AttemptFact], bool], Callable[[AttemptFact], bool], str]:
    """(what counts as a hit, which attempts count, in words) for a proposal's key."""
    head, _, rest = key.partition(".")
    merged: Callable[[AttemptFact], bool] = lambda a: a.outcome == "merged"  # noqa: E731
    if head == "roles":
        return merged, lambda a: a.role == rest, f"{rest} attempts merged"
    if head == "timeouts":
        text = "silence timeout" if rest == "silence" else "wall-clock timeout"
        return lambda a: text in a.reason, lambda a: True, f"attempts killed by the {text}"
    if head == "prompt":
        for name, _, match, _ in LESSON_CLASSES:
            if name == rest:
                return match, lambda a: True, f"attempts refused for {name.replace('-', ' ')}"
    if head == "caps":
        return lambda a: a.outcome == "rate_limited", lambda a: a.agent == rest, "rate limited"
    return merged, lambda a: True, "attempts merged"


# -- small helpers -----------------------------------------------------------------------


def _by_task(attempts: Iterable[AttemptFact]) -> dict[tuple[str, str], list[AttemptFact]]:
    out: dict[tuple[str, str], list[AttemptFact]] = defaultdict(list)
    for a in sorted(attempts, key=lambda a: (a.run_id, a.task_id, a.n)):
        out[(a.run_id, a.task_id)].append(a)
    return out


def _merged_at(rows: Sequence[AttemptFact]) -> int | None:
    return next((r.n for r in rows if r.outcome == "merged"), None)


def _rate(rows: Sequence[AttemptFact]) -> tuple[float, int]:
    return sum(r.outcome == "merged" for r in rows) / len(rows), len(rows)


def _count(rows: Sequence[AttemptFact]) -> str:
    return f"{sum(r.outcome == 'merged' for r in rows)}/{len(rows)}"


def _mean_cost(rows: Sequence[AttemptFact]) -> float:
    return sum(r.cost_usd for r in rows) / len(rows) if rows else 0.0


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def _limit(a: AttemptFact, kind: str) -> float | None:
    return a.silence if kind == "silence" else a.wall


def _secs(x: float) -> str:
    return f"{x:g}s" if x < 10 else f"{round(x)}s"


def _nice(x: float) -> float:
    """Round up to a figure a person would write: 1, 2, 5 times a power of ten; at least 1."""
    if x <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for step in (1, 2, 5, 10):
        if step * power >= x:
            return float(step * power)
    return float(10 * power)


def _where(rows: Iterable[AttemptFact]) -> tuple[str, ...]:
    return tuple(sorted({a.where for a in rows}))
