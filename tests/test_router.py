"""The router: the cascade and escalation, LinUCB in a seeded synthetic world, the policy file."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.errors import StateError
from podium.plans.model import Task
from podium.routing import router
from podium.routing.policy import policy_json
from podium.routing.prices import Price

CLAUDE = router.arms_for(["claude"])
BANDIT = router.Settings(mode="bandit", alpha=0.5, warmup_per_arm=5, warmup_total=40)


def task(
    complexity: str = "medium",
    role: str = "",
    files: tuple[str, ...] = (),
    estimated_minutes: float | None = None,
    model: str | None = None,
) -> Task:
    return Task(
        "t",
        "do it",
        files=files,
        role=role,
        complexity=complexity,
        agent="claude",
        estimated_minutes=estimated_minutes,
        model=model,
    )


def feats(complexity: str = "medium", role: str = "backend") -> router.Features:
    return router.features_of(task(complexity, role, files=("a.py", "b.py")))


# -- the cascade and escalation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("complexity", "tier", "model"),
    [
        ("low", "small", "claude-haiku-4-5"),
        ("medium", "medium", "claude-sonnet-4-5"),
        ("high", "large", "claude-opus-4-1"),
    ],
)
def test_cascade_maps_complexity_to_tier(complexity: str, tier: str, model: str) -> None:
    choice = router.choose(router.new_policy(), feats(complexity), CLAUDE)
    assert (choice.agent, choice.model, choice.tier, choice.policy) == (
        "claude",
        model,
        tier,
        "cascade",
    )
    assert f"{complexity}-complexity tasks go to the {tier} tier" in choice.reason
    assert choice.scores == {}


def test_escalation_climbs_one_tier_at_a_time_then_stops() -> None:
    choice: router.Choice | None = router.choose(router.new_policy(), feats("low"), CLAUDE)
    seen = []
    while choice is not None:
        seen.append(choice.model)
        choice = router.escalate(choice, CLAUDE)
    assert seen == ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1"]
    up = router.escalate(router.choose(router.new_policy(), feats("low"), CLAUDE), CLAUDE)
    assert up is not None and up.policy == "escalation"
    assert "claude/claude-haiku-4-5 (small) failed" in up.reason
    assert "claude/claude-sonnet-4-5 (medium)" in up.reason


def test_escalation_skips_a_tier_with_the_same_model() -> None:
    codex = router.arms_for(["codex"])
    assert [a.tier for a in codex] == ["small", "medium"]  # gpt-5.5 serves medium and large
    medium = router.choose(router.new_policy(), feats("medium"), codex)
    assert medium.model == "gpt-5.5"
    assert router.escalate(medium, codex) is None


def test_cascade_takes_the_nearest_tier_configured() -> None:
    tiers = {"claude": {"medium": "claude-sonnet-4-5", "large": "claude-opus-4-1"}}
    arms = router.arms_for(["claude"], tiers)
    choice = router.choose(router.new_policy(), feats("low"), arms)
    assert choice.tier == "medium"
    assert "nearest tier configured is medium" in choice.reason


def test_route_keeps_a_model_the_plan_names() -> None:
    choice = router.route(task("low", model="claude-opus-4-1"), router.new_policy(), CLAUDE)
    assert (choice.model, choice.tier, choice.policy) == ("claude-opus-4-1", "large", "pinned")
    assert "plan names model claude-opus-4-1" in choice.reason
    sonnet = router.route(task("low", model="claude-sonnet-4-5"), router.new_policy(), CLAUDE)
    assert router.escalate(sonnet, CLAUDE) is None  # a pinned model stays pinned


def test_route_leaves_an_agent_without_tiers_to_its_own_model() -> None:
    command = Task("t", "x", agent="command", complexity="high")
    choice = router.route(command, router.new_policy(), router.arms_for(["command"]))
    assert (choice.agent, choice.model, choice.tier) == ("command", None, "large")


# -- features ------------------------------------------------------------------------------


def test_features_of_a_task() -> None:
    f = router.features_of(task("high", "Senior Backend Engineer", files=("a", "b", "c")))
    assert (f.role, f.complexity, f.scope, f.files) == ("backend", "high", None, 3)
    assert f.tokens == 40 * router.TOKENS_PER_MINUTE  # from the complexity's default minutes
    own = router.features_of(task("low", "QA", estimated_minutes=3.0), scope="small")
    assert (own.role, own.scope, own.tokens) == ("tests", "small", 3 * router.TOKENS_PER_MINUTE)
    assert router.features_of(task(role="poet")).role == "other"


@given(
    complexity=st.sampled_from(router.COMPLEXITIES),
    role=st.text(max_size=30),
    scope=st.one_of(st.none(), st.sampled_from(router.SCOPES), st.text(max_size=5)),
    files=st.integers(0, 500),
    minutes=st.one_of(st.none(), st.floats(0.0, 10_000.0)),
)
def test_vector_is_bounded_and_one_hot(
    complexity: str, role: str, scope: str | None, files: int, minutes: float | None
) -> None:
    t = task(complexity, role, files=tuple(map(str, range(files))), estimated_minutes=minutes)
    x = router.vector(router.features_of(t, scope))
    assert len(x) == len(router.FEATURE_NAMES)
    assert all(0.0 <= v <= 1.0 for v in x)
    named = dict(zip(router.FEATURE_NAMES, x, strict=True))
    assert sum(v for k, v in named.items() if k.startswith("complexity=")) == 1.0
    assert sum(v for k, v in named.items() if k.startswith("role=")) == 1.0


def test_reward_is_quality_times_one_minus_normalised_cost() -> None:
    f = feats("medium")
    top = router.expected_cost(CLAUDE[-1], f)
    assert router.reward(True, 0.0, f, CLAUDE) == 1.0
    assert router.reward(False, 0.01, f, CLAUDE) == 0.0
    assert router.reward(True, top, f, CLAUDE) == pytest.approx(1 - 1 / router.COST_SCALE)
    assert router.reward(True, 100 * top, f, CLAUDE) == 0.0


# -- LinUCB in a synthetic world -----------------------------------------------------------

# Two arms; every task is medium complexity, so the cascade sends all of them to the large
# arm. Docs tasks are easy for both arms, infra tasks are beyond the small one.
TWO = router.arms_for(
    ["claude"], {"claude": {"small": "claude-haiku-4-5", "large": "claude-opus-4-1"}}
)
P_SUCCESS = {
    ("docs", "small"): 0.95,
    ("docs", "large"): 0.97,
    ("infra", "small"): 0.1,
    ("infra", "large"): 0.95,
}


def play(seed: int, rounds: int) -> tuple[list[router.Choice], router.Policy]:
    rng, policy, choices = random.Random(seed), router.new_policy(), []
    for _ in range(rounds):
        f = feats("medium", rng.choice(("docs", "infra")))
        choice = router.choose(policy, f, TWO, BANDIT)
        arm = next(a for a in TWO if a.model == choice.model)
        merged = rng.random() < P_SUCCESS[f.role, arm.tier]
        policy = router.update(
            policy, choice, router.reward(merged, router.expected_cost(arm, f), f, TWO)
        )
        choices.append(choice)
    return choices, policy


def test_linucb_learns_the_cheap_arm_for_easy_tasks_and_the_strong_one_for_hard() -> None:
    choices, policy = play(seed=11, rounds=400)
    late = Counter((c.features.role, c.tier) for c in choices[-150:] if c.policy == "bandit")
    docs = late["docs", "small"] / (late["docs", "small"] + late["docs", "large"])
    infra = late["infra", "large"] / (late["infra", "small"] + late["infra", "large"])
    assert docs >= 0.9, late
    assert infra >= 0.9, late
    assert policy.total == 400


def test_warm_up_uses_the_cascade_until_every_arm_has_its_observations() -> None:
    choices, _ = play(seed=3, rounds=80)
    assert choices[0].policy == "warm-up"
    assert choices[0].tier == "large"  # medium complexity, no medium arm: the nearest above
    assert "warm-up: until every arm has 5 observations" in choices[0].reason
    assert set(choices[0].scores) == {a.key for a in TWO}  # scored, though not used
    first_bandit = next(i for i, c in enumerate(choices) if c.policy == "bandit")
    assert all(c.policy == "warm-up" for c in choices[:first_bandit])
    assert first_bandit == BANDIT.warmup_total  # the small arm never runs in warm-up


def test_same_seed_same_choices_byte_for_byte() -> None:
    (a, pa), (b, pb) = play(seed=5, rounds=150), play(seed=5, rounds=150)
    dump = [json.dumps(router.choice_json(c)) for c in a]
    assert dump == [json.dumps(router.choice_json(c)) for c in b]
    assert policy_json(pa) == policy_json(pb)


def test_ties_go_to_the_first_arm() -> None:
    cold = router.Settings(mode="bandit", warmup_per_arm=0)
    choice = router.choose(router.new_policy(), feats("high"), CLAUDE, cold)
    assert choice.policy == "bandit" and choice.model == "claude-haiku-4-5"


@given(reward=st.floats(0.0, 1.0), role=st.sampled_from(router.ROLES))
def test_an_observation_narrows_the_bonus(reward: float, role: str) -> None:
    f = feats("low", role)
    before = router.scores(router.new_policy(), f, CLAUDE, 1.0)
    choice = router.choose(router.new_policy(), f, CLAUDE)
    after = router.scores(router.update(router.new_policy(), choice, reward), f, CLAUDE, 1.0)
    key = f"claude/{choice.model}"
    assert after[key][1] < before[key][1]


# -- explain -------------------------------------------------------------------------------


def test_explain_gives_the_policy_the_arm_and_its_numbers() -> None:
    _, policy = play(seed=11, rounds=200)
    choice = router.choose(policy, feats("medium", "docs"), TWO, BANDIT)
    mean, bonus, ucb = choice.scores["claude/claude-haiku-4-5"]
    text = router.explain(choice)
    assert choice.policy == "bandit"
    assert (
        text.splitlines()[0] == "claude/claude-haiku-4-5, small tier, chosen by the bandit policy"
    )
    assert f"upper bound {ucb:.2f} (mean {mean:.2f} + {bonus:.2f})" in text
    assert f"claude/claude-haiku-4-5  {mean:.3f} + {bonus:.3f} = {ucb:.3f}  <- chosen" in text
    assert f"after {policy.count('claude/claude-haiku-4-5')} observations" in text
    assert "medium complexity, role docs, 2 files" in text


def test_a_recorded_choice_reads_back_equal() -> None:
    _, policy = play(seed=2, rounds=60)
    choice = router.choose(policy, feats("high", "infra"), TWO, BANDIT)
    back = router.choice_from_json(json.loads(json.dumps(router.choice_json(choice))))
    assert back == choice
    assert router.explain(back) == router.explain(choice)
    with pytest.raises(StateError, match="recorded routing choice cannot be read"):
        router.choice_from_json({"agent": "claude"})


# -- the policy file -----------------------------------------------------------------------


def test_policy_round_trips_through_its_file(tmp_path: Path) -> None:
    _, policy = play(seed=7, rounds=60)
    path = tmp_path / ".podium" / "routing" / "policy.json"
    router.save_policy(policy, path)
    assert router.load_policy(path) == policy
    assert [p.name for p in path.parent.iterdir()] == ["policy.json"]  # no temporary file left
    router.save_policy(router.load_policy(path), path)
    assert path.read_text() == policy_json(policy)


def test_no_policy_file_is_a_fresh_policy(tmp_path: Path) -> None:
    policy = router.load_policy(tmp_path / "policy.json", lam=2.0)
    assert (policy.total, policy.lam, policy.arms) == (0, 2.0, {})


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "is not valid JSON (line 1, column 2)"),
        ("[]", "is not a podium routing policy"),
        (
            '{"format": "podium-routing-policy", "version": 99}',
            "has version 99; this podium reads version 1",
        ),
        (
            '{"format": "podium-routing-policy", "version": 1, "features": ["x"]}',
            "was learned over other task features",
        ),
    ],
)
def test_an_unreadable_policy_file_is_a_clear_error(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "policy.json"
    path.write_text(text)
    with pytest.raises(StateError) as err:
        router.load_policy(path)
    assert str(err.value).startswith(f"{path}: the routing policy {says}")
    assert "delete the file" in str(err.value)


def test_a_policy_with_a_broken_matrix_is_refused(tmp_path: Path) -> None:
    _, policy = play(seed=7, rounds=20)
    data = json.loads(policy_json(policy))
    arm = next(iter(data["arms"]))
    data["arms"][arm]["A"][0][0] = -1.0
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(data))
    with pytest.raises(StateError, match=f"arm '{arm}': A is not symmetric positive definite"):
        router.load_policy(path)
    data["arms"][arm]["b"] = [1.0]
    path.write_text(json.dumps(data))
    with pytest.raises(StateError, match="b 15 numbers"):
        router.load_policy(path)


def test_prices_come_from_the_table_or_an_override() -> None:
    arms = router.arms_for(["claude"], prices={"claude-opus-4-1": Price(1.0, 2.0)})
    assert arms[-1].price == Price(1.0, 2.0)
    assert arms[0].price == Price(1.0, 5.0)
