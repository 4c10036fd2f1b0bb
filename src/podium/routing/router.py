"""Which agent and model a task runs on: a static cascade by default, LinUCB on request.

Pure functions over frozen values: `choose` picks an arm for a task's `Features`, `escalate`
moves a failed attempt one tier up, `update` folds an attempt's reward into the `Policy`. Each
`Choice` carries its features, its scores and one sentence of reason, so that `explain` can say
later why that model ran. The policy's state and its JSON file live in `routerpolicy`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from podium.errors import StateError
from podium.plans.model import Task, estimate_minutes
from podium.routing.policy import Policy, estimate, observe, read_policy, save_policy
from podium.routing.prices import Price, price_of

__all__ = ["Policy", "save_policy"]

How = Literal["cascade", "bandit", "warm-up", "escalation", "pinned", "role"]
TIERS = ("small", "medium", "large")
TIER_OF = {"low": "small", "medium": "medium", "high": "large"}
COMPLEXITIES = ("low", "medium", "high")
SCOPES = ("small", "medium", "large")
DEFAULT_TIERS: dict[str, dict[str, str]] = {
    "claude": {
        "small": "claude-haiku-4-5",
        "medium": "claude-sonnet-4-5",
        "large": "claude-opus-4-1",
    },
    "codex": {"small": "gpt-5-mini", "medium": "gpt-5.5", "large": "gpt-5.5"},
    "gemini": {"small": "gemini-2.5-flash", "medium": "gemini-2.5-pro", "large": "gemini-2.5-pro"},
    "qwen": {
        "small": "qwen3-coder-flash",
        "medium": "qwen3-coder-plus",
        "large": "qwen3-coder-plus",
    },
    "opencode": {"small": "gpt-5-mini", "medium": "gpt-5.5", "large": "gpt-5.5"},
    "copilot": {"small": "gpt-5-mini", "medium": "gpt-4.1", "large": "gpt-5.5"},
    "aider": {"small": "gpt-5-mini", "medium": "gpt-5.5", "large": "gpt-5.5"},
}
# A role is bucketed by the first word that starts with one of these stems; else "other".
ROLE_STEMS: dict[str, tuple[str, ...]] = {
    "backend": ("back", "api", "server", "database", "db", "data", "model"),
    "frontend": ("front", "ui", "ux", "web", "css", "design"),
    "tests": ("test", "qa", "quality", "verif"),
    "docs": ("doc", "writ", "readme", "tutorial"),
    "infra": ("devops", "infra", "ops", "ci", "deploy", "build", "release", "secur"),
}
ROLES = (*ROLE_STEMS, "other")
TOKENS_PER_MINUTE = 5_000  # an agent's tokens (input + output) per estimated minute of work
INPUT_SHARE = 0.85  # agents mostly read: the share of tokens priced as input
COST_SCALE = 3.0  # reward cost = cost / (COST_SCALE × the dearest arm's expected cost)
FEATURE_NAMES = (
    "bias",
    *(f"complexity={c}" for c in COMPLEXITIES),
    *(f"scope={s}" for s in SCOPES),
    *(f"role={r}" for r in ROLES),
    "log files",
    "log tokens",
)


@dataclass(frozen=True)
class Features:
    role: str  # one of ROLES
    complexity: str  # low | medium | high
    scope: str | None  # small | medium | large, or not given
    files: int  # owned paths
    tokens: int  # estimated tokens, input and output

    def describe(self) -> str:
        role = "" if self.role == "other" else f"{self.role} "
        return f"{self.complexity}-complexity {role}tasks"


@dataclass(frozen=True)
class Arm:
    agent: str
    model: str
    tier: str  # small | medium | large
    price: Price

    @property
    def key(self) -> str:
        return f"{self.agent}/{self.model}"


@dataclass(frozen=True)
class Settings:
    mode: Literal["cascade", "bandit"] = "cascade"
    alpha: float = 0.5  # exploration: the weight of the confidence width in the upper bound
    warmup_per_arm: int = 5  # the cascade decides until every arm has this many observations
    warmup_total: int = 60  # ... or until the policy has this many in all


@dataclass(frozen=True)
class Choice:
    agent: str
    model: str | None
    tier: str
    policy: How
    features: Features
    scores: dict[str, tuple[float, float, float]] = field(
        default_factory=dict
    )  # (mean, bonus, ucb)
    reason: str = ""


def role_bucket(role: str) -> str:
    for word in re.split(r"[^a-z0-9]+", role.lower()):
        for bucket, stems in ROLE_STEMS.items():
            if word and word.startswith(stems):
                return bucket
    return "other"


def features_of(task: Task, scope: str | None = None) -> Features:
    """A task's routing features; tokens come from its estimated minutes (or complexity)."""
    complexity = task.complexity if task.complexity in COMPLEXITIES else "medium"
    tokens = round(estimate_minutes(replace(task, complexity=complexity)) * TOKENS_PER_MINUTE)
    scope = scope if scope in SCOPES else None
    return Features(role_bucket(task.role), complexity, scope, len(task.files), tokens)


def vector(f: Features) -> tuple[float, ...]:
    """The bandit's x: a bias, one-hot complexity, scope and role, then two scaled counts."""
    one_hot = [
        *(float(f.complexity == c) for c in COMPLEXITIES),
        *(float(f.scope == s) for s in SCOPES),
        *(float(f.role == r) for r in ROLES),
    ]
    files = min(1.0, math.log1p(f.files) / math.log1p(32))
    tokens = min(1.0, max(0.0, (math.log10(max(f.tokens, 1)) - 4.0) / 2.0))  # 10k → 0, 1M → 1
    return (1.0, *one_hot, files, tokens)


def arms_for(
    agents: Sequence[str],
    tiers: Mapping[str, Mapping[str, str]] = DEFAULT_TIERS,
    prices: Mapping[str, Price] | None = None,
) -> tuple[Arm, ...]:
    """The arms of these agents, in agent then tier order; one arm per distinct model."""
    arms: list[Arm] = []
    for agent in agents:
        seen: set[str] = set()
        for tier in TIERS:
            model = tiers.get(agent, {}).get(tier)
            if model and model not in seen:
                seen.add(model)
                arms.append(Arm(agent, model, tier, price_of(model, dict(prices or {}))))
    return tuple(arms)


def expected_cost(arm: Arm, f: Features) -> float:
    blended = INPUT_SHARE * arm.price.input + (1 - INPUT_SHARE) * arm.price.output
    return f.tokens * blended / 1_000_000


def reward(merged: bool, cost_usd: float, f: Features, arms: Sequence[Arm]) -> float:
    """quality × (1 − normalised cost); quality is 1 for a verified and merged attempt."""
    top = max((expected_cost(arm, f) for arm in arms), default=0.0)
    spent = min(1.0, max(0.0, cost_usd) / (COST_SCALE * top)) if top > 0 else 0.0
    return (1.0 if merged else 0.0) * (1.0 - spent)


def cascade(f: Features, arms: Sequence[Arm], how: How = "cascade", why: str = "") -> Choice:
    """The first arm of the complexity's tier; else the nearest tier above, then below."""
    want = TIERS.index(TIER_OF[f.complexity])
    order = [*TIERS[want:], *reversed(TIERS[:want])]
    arm = min(arms, key=lambda a: order.index(a.tier))
    reason = f"{how}: {why}{f.complexity}-complexity tasks go to the {TIER_OF[f.complexity]} tier"
    if arm.tier != TIER_OF[f.complexity]:
        reason += f"; the nearest tier configured is {arm.tier}"
    return Choice(arm.agent, arm.model, arm.tier, how, f, reason=f"{reason}, {arm.key}")


def scores(
    policy: Policy, f: Features, arms: Sequence[Arm], alpha: float
) -> dict[str, tuple[float, float, float]]:
    """Per arm: (θᵀx, α·sqrt(xᵀA⁻¹x), their sum), LinUCB's upper bound."""
    x = vector(f)
    out: dict[str, tuple[float, float, float]] = {}
    for arm in arms:
        mean, width = estimate(policy.stats(arm.key), x)
        out[arm.key] = (mean, alpha * width, mean + alpha * width)
    return out


def choose(
    policy: Policy, f: Features, arms: Sequence[Arm], settings: Settings = Settings()
) -> Choice:
    """The arm for a task: the cascade, or LinUCB's best upper bound after its warm-up."""
    if not arms:
        raise ValueError("choose needs at least one arm")
    if settings.mode == "cascade":
        return cascade(f, arms)
    table = scores(policy, f, arms, settings.alpha)
    short = [a for a in arms if policy.count(a.key) < settings.warmup_per_arm]
    if short and policy.total < settings.warmup_total:
        n, key = settings.warmup_per_arm, short[0].key
        why = f"until every arm has {n} observations ({key} has {policy.count(key)}), "
        return replace(cascade(f, arms, "warm-up", why), scores=table)
    best = max(arms, key=lambda a: table[a.key][2])  # max keeps the first of equal bounds
    mean, bonus, ucb = table[best.key]
    reason = (
        f"bandit: {best.key} has the best upper bound {ucb:.2f} (mean {mean:.2f} + {bonus:.2f})"
        f" for {f.describe()} after {policy.count(best.key)} observations"
    )
    return Choice(best.agent, best.model, best.tier, "bandit", f, table, reason)


def route(
    task: Task, policy: Policy, arms: Sequence[Arm], settings: Settings = Settings()
) -> Choice:
    """`choose` for a task, unless the plan names its model or its agent has no tiers."""
    f = features_of(task)
    own = [arm for arm in arms if arm.agent == task.agent]
    if task.model:
        tier = next((a.tier for a in own if a.model == task.model), TIER_OF[f.complexity])
        why = f"pinned: the plan names model {task.model} for this task"
        return Choice(task.agent, task.model, tier, "pinned", f, reason=why)
    if not arms:
        why = f"cascade: agent {task.agent} has no model tiers; it runs its own default model"
        return Choice(task.agent, None, TIER_OF[f.complexity], "cascade", f, reason=why)
    return choose(policy, f, arms, settings)


def role_rule(
    roles: Mapping[str, tuple[str, str | None]], role: str
) -> tuple[str, tuple[str, str | None]] | None:
    """podium.toml's `[roles]` entry for a task's role: its exact name, else its bucket."""
    for key in (role.strip().lower(), role_bucket(role)):
        if key and key in roles:
            return key, roles[key]
    return None


def by_role(task: Task, rule: tuple[str, tuple[str, str | None]], arms: Sequence[Arm]) -> Choice:
    """The choice a `[roles]` entry makes: its agent, its model or the complexity's tier."""
    f = features_of(task)
    key, (agent, model) = rule
    why = f"[roles] {key} = {agent + (':' + model if model else '')!r} in podium.toml; "
    own = [arm for arm in arms if arm.agent == agent]
    if model is None and own:
        return cascade(f, own, "role", why)
    tier = next((a.tier for a in own if a.model == model), TIER_OF[f.complexity])
    what = f"model {model}" if model else "its own default model"
    return Choice(agent, model, tier, "role", f, reason=f"role: {why}{agent} runs {what}")


def escalate(choice: Choice, arms: Sequence[Arm]) -> Choice | None:
    """The same agent one tier up (skipping tiers with the same model); None at the top and
    for a model the plan pinned."""
    pinned = choice.policy == "pinned" or choice.tier not in TIERS
    above = () if pinned else TIERS[TIERS.index(choice.tier) + 1 :]
    for arm in sorted(arms, key=lambda a: TIERS.index(a.tier)):
        if arm.agent == choice.agent and arm.tier in above and arm.model != choice.model:
            reason = (
                f"escalation: the attempt on {choice.agent}/{choice.model} ({choice.tier}) "
                f"failed; the next tier up is {arm.key} ({arm.tier})"
            )
            return Choice(arm.agent, arm.model, arm.tier, "escalation", choice.features, {}, reason)
    return None


def update(policy: Policy, choice: Choice, value: float) -> Policy:
    """The policy after an attempt on `choice` earned `value` (see `reward`)."""
    if choice.model is None:
        return policy
    key = f"{choice.agent}/{choice.model}"
    return observe(policy, key, vector(choice.features), value)


def new_policy(lam: float = 1.0) -> Policy:
    return Policy(FEATURE_NAMES, lam)


def load_policy(path: Path, lam: float = 1.0) -> Policy:
    """The policy at `path` (`.podium/routing/policy.json`), or a fresh one when none is saved."""
    return read_policy(path, FEATURE_NAMES, lam)


def explain(choice: Choice) -> str:
    """A few lines for `podium explain TASK`: what ran, why, and every arm's numbers."""
    f = choice.features
    who = f"{choice.agent}/{choice.model}" if choice.model else f"{choice.agent} (its own model)"
    scope = f"scope {f.scope}, " if f.scope else ""
    lines = [
        f"{who}, {choice.tier} tier, chosen by the {choice.policy} policy",
        f"why: {choice.reason}",
        f"task: {f.complexity} complexity, role {f.role}, {scope}{f.files} files, "
        f"about {f.tokens:,} tokens",
    ]
    if choice.scores:
        width = max(len(arm) for arm in choice.scores)
        lines.append(f"{'arm':<{width}}  mean + bonus = upper bound")
        for arm, (mean, bonus, ucb) in choice.scores.items():
            mark = "  <- chosen" if arm == who else ""
            lines.append(f"{arm:<{width}}  {mean:.3f} + {bonus:.3f} = {ucb:.3f}{mark}")
    return "\n".join(lines)


def choice_json(choice: Choice) -> dict[str, Any]:
    """The choice as JSON-ready data, to record with the attempt."""
    data = asdict(choice)
    data["scores"] = {arm: list(v) for arm, v in choice.scores.items()}
    return data


def choice_from_json(data: Mapping[str, Any]) -> Choice:
    try:
        scores = {
            str(k): (float(v[0]), float(v[1]), float(v[2])) for k, v in data["scores"].items()
        }
        return Choice(
            str(data["agent"]),
            None if data["model"] is None else str(data["model"]),
            str(data["tier"]),
            data["policy"],
            Features(**data["features"]),
            scores,
            str(data["reason"]),
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise StateError(f"a recorded routing choice cannot be read ({exc!r})") from None
