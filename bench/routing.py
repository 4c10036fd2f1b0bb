"""Routing benchmark: a simulated market of three model tiers and 500 tasks.

Run: python bench/routing.py   (exit 1 when the bandit misses its target)

Each task has a complexity, a role, owned files and an estimate; each attempt succeeds with a
probability that depends on the model tier, the complexity and the role, and costs the task's
tokens (drawn around its estimate) at the model's price from podium's price table. A failed
attempt escalates one tier (a failed top-tier attempt retries the top tier), up to three
attempts per task, and every attempt's cost counts. Three policies route the same tasks, with
the same random draws for the same task, attempt and tier: always the top model, the static
cascade, and the LinUCB bandit learning as it goes (its warm-up included). The figure is
cost per verified task, bandit over always-top; the success rates must stay within 2 points.
"""

from __future__ import annotations

import math
import random
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from podium.plans.model import MINUTES, Task
from podium.routing import router
from podium.routing.prices import builtin_prices

SEED = 2026
QUICK = "--quick" in sys.argv  # a small version, for tests/test_bench.py
TASKS = 60 if QUICK else 500
ATTEMPTS = 2  # podium's default max_attempts
TARGET_RATIO = 0.75
TARGET_POINTS = 2.0
EXTRA_SEEDS = (
    1 if QUICK else 10
)  # the same run on other seeds, to show the figure is not one lucky draw
SETTINGS = router.Settings(mode="bandit")

# P(an attempt is verified and merges) by tier and complexity, for a role with no shift.
SUCCESS = {
    "small": {"low": 0.90, "medium": 0.55, "high": 0.15},
    "medium": {"low": 0.96, "medium": 0.85, "high": 0.55},
    "large": {"low": 0.98, "medium": 0.96, "high": 0.93},
}
# Roles move every tier's odds: docs are easier, infra harder (log-odds added).
ROLE_SHIFT = {"docs": 1.0, "tests": 0.5, "backend": 0.0, "frontend": 0.0, "infra": -0.5}
ROLE_WEIGHTS = {"backend": 35, "frontend": 20, "tests": 20, "docs": 15, "infra": 10}
MIX = {"low": 40, "medium": 40, "high": 20}  # percent of tasks by complexity
HARDNESS = 0.8  # sigma of each task's own log-odds shift: a task that fails once may fail again
TOKEN_NOISE = 0.35  # sigma of the log-normal spread of actual tokens around the estimate


@dataclass(frozen=True)
class Sim:
    task: Task
    features: router.Features
    tokens: int  # what an attempt at this task actually uses
    hardness: float  # log-odds taken off every tier's chance on this task


@dataclass
class Tally:
    verified: int = 0
    cost: float = 0.0
    attempts: int = 0
    first: Counter[tuple[str, str]] = field(default_factory=Counter)  # (complexity, tier)


def market(seed: int) -> list[Sim]:
    rng = random.Random(seed)
    out = []
    for i in range(TASKS):
        complexity = rng.choices(list(MIX), weights=list(MIX.values()))[0]
        role = rng.choices(list(ROLE_WEIGHTS), weights=list(ROLE_WEIGHTS.values()))[0]
        minutes = MINUTES[complexity] * rng.choice((0.5, 0.75, 1.0, 1.5, 2.0))
        most = {"low": 3, "medium": 6, "high": 9}[complexity]
        files = tuple(f"src/m{i}_{k}.py" for k in range(rng.randint(1, most)))
        task = Task(
            f"t{i}",
            "simulated",
            files=files,
            role=role,
            complexity=complexity,
            estimated_minutes=minutes,
        )
        f = router.features_of(task)
        tokens = round(f.tokens * math.exp(rng.gauss(0.0, TOKEN_NOISE)))
        out.append(Sim(task, f, tokens, rng.gauss(0.0, HARDNESS)))
    return out


def success(tier: str, sim: Sim) -> float:
    p = SUCCESS[tier][sim.features.complexity]
    logit = math.log(p / (1 - p)) + ROLE_SHIFT[sim.task.role] - sim.hardness
    return 1 / (1 + math.exp(-logit))


def verified(seed: int, sim: Sim, attempt: int, tier: str) -> bool:
    """The same draw for the same task, attempt and tier under every policy."""
    return random.Random(f"{seed}/{sim.task.id}/{attempt}/{tier}").random() < success(tier, sim)


def attempt_cost(arm: router.Arm, sim: Sim) -> float:
    return router.expected_cost(arm, sim.features) * sim.tokens / sim.features.tokens


Pick = Callable[[router.Policy, Sim], router.Choice]


def simulate(
    seed: int, sims: list[Sim], arms: tuple[router.Arm, ...], pick: Pick, learn: bool
) -> Tally:
    tally, policy = Tally(), router.new_policy()
    for sim in sims:
        choice = pick(policy, sim)
        tally.first[sim.features.complexity, choice.tier] += 1
        for attempt in range(ATTEMPTS):
            arm = next(a for a in arms if a.model == choice.model)
            ok = verified(seed, sim, attempt, arm.tier)
            spent = attempt_cost(arm, sim)
            tally.cost += spent
            tally.attempts += 1
            if learn:
                policy = router.update(policy, choice, router.reward(ok, spent, sim.features, arms))
            if ok:
                tally.verified += 1
                break
            choice = router.escalate(choice, arms) or choice
    return tally


def policies(arms: tuple[router.Arm, ...]) -> dict[str, tuple[Pick, bool]]:
    top = arms[-1]

    def always_top(policy: router.Policy, sim: Sim) -> router.Choice:
        return router.Choice(top.agent, top.model, top.tier, "cascade", sim.features)

    def cascade(policy: router.Policy, sim: Sim) -> router.Choice:
        return router.choose(policy, sim.features, arms)

    def bandit(policy: router.Policy, sim: Sim) -> router.Choice:
        return router.choose(policy, sim.features, arms, SETTINGS)

    return {
        "always-top": (always_top, False),
        "cascade": (cascade, False),
        "bandit": (bandit, True),
    }


def run(seed: int, arms: tuple[router.Arm, ...]) -> dict[str, Tally]:
    sims = market(seed)
    return {
        name: simulate(seed, sims, arms, pick, learn)
        for name, (pick, learn) in policies(arms).items()
    }


def per_verified(t: Tally) -> float:
    return t.cost / max(t.verified, 1)


def print_market(arms: tuple[router.Arm, ...]) -> None:
    print(f"market: {TASKS} tasks, seed {SEED}; complexity mix (%) {MIX}; roles {ROLE_WEIGHTS}")
    print(f"up to {ATTEMPTS} attempts a task, each failure one tier up (the top tier retries)")
    print(f"{'tier':<7}{'model':<19}{'$/M in':>7}{'$/M out':>8}   P(verified) low / medium / high")
    for arm in arms:
        rates = " / ".join(f"{SUCCESS[arm.tier][c]:.0%}" for c in router.COMPLEXITIES)
        price = f"{arm.price.input:>7.2f}{arm.price.output:>8.2f}"
        print(f"{arm.tier:<7}{arm.model:<19}{price}   {rates}")
    print(f"role shifts (log-odds, every tier): {ROLE_SHIFT}")
    print(f"task hardness: log-odds ~ N(0, {HARDNESS}) off every tier; tokens ±{TOKEN_NOISE} (log)")
    s = SETTINGS
    print(
        f"bandit: alpha {s.alpha}, warm-up {s.warmup_per_arm} per arm or {s.warmup_total} in all,"
        f" reward cost scale {router.COST_SCALE}"
    )


def print_results(tallies: dict[str, Tally]) -> None:
    print(f"\n{'policy':<12}{'verified':>9}{'success':>9}{'attempts':>9}{'cost $':>9}{'$/task':>9}")
    for name, t in tallies.items():
        rate = f"{t.verified / TASKS:>9.1%}"
        print(
            f"{name:<12}{t.verified:>9}{rate}{t.attempts:>9}{t.cost:>9.2f}{per_verified(t):>9.3f}"
        )
    print("($/task: cost per verified task)")
    for name in ("cascade", "bandit"):
        first = tallies[name].first
        rows = [
            f"{c} " + "/".join(str(first[c, tier]) for tier in router.TIERS)
            for c in router.COMPLEXITIES
        ]
        print(f"first tier chosen, small/medium/large ({name}): {', '.join(rows)}")


def verdict(t: dict[str, Tally]) -> tuple[float, float, bool]:
    ratio = per_verified(t["bandit"]) / per_verified(t["always-top"])
    gap = 100 * (t["always-top"].verified - t["bandit"].verified) / TASKS
    return ratio, gap, ratio <= TARGET_RATIO and gap <= TARGET_POINTS


def main() -> int:
    arms = router.arms_for(["claude"], prices=builtin_prices())
    print_market(arms)
    tallies = run(SEED, arms)
    print_results(tallies)
    others = [verdict(run(SEED + k, arms)) for k in range(1, EXTRA_SEEDS + 1)]
    ratios, gaps = [r for r, _, _ in others], [g for _, g, _ in others]
    print(
        f"other seeds ({EXTRA_SEEDS}): bandit/always-top {min(ratios):.2f}-{max(ratios):.2f},"
        f" success gap <= {max(gaps):.1f} pts, {sum(ok for *_, ok in others)} meet the target"
    )
    ratio, _, ok = verdict(tallies)
    a, b = (tallies[name].verified / TASKS for name in ("bandit", "always-top"))
    print(
        f"routing: bandit cost/verified = {ratio:.2f}× always-top, success {a:.1%} vs {b:.1%}"
        f" (target <= {TARGET_RATIO}×, within {TARGET_POINTS:.0f} pts) "
        f"{'quick, no verdict' if QUICK else 'OK' if ok else 'FAIL'}"
    )
    return 0 if ok or QUICK else 1


if __name__ == "__main__":
    sys.exit(main())
