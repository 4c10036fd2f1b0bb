"""The bandit's learned state: the ridge arithmetic, and a policy file podium cannot trust."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from podium.errors import StateError
from podium.routing.policy import (
    Policy,
    cholesky,
    estimate,
    observe,
    policy_json,
    read_policy,
    save_policy,
)

FEATURES = ("bias", "size")


def test_an_unseen_arm_is_the_prior_and_knows_nothing() -> None:
    policy = Policy(FEATURES, lam=2.0)
    stats = policy.stats("claude/opus")
    assert stats.a == ((2.0, 0.0), (0.0, 2.0)) and stats.b == (0.0, 0.0)
    assert (policy.count("claude/opus"), policy.total) == (0, 0)
    assert estimate(stats, (1.0, 0.0)) == (0.0, pytest.approx(math.sqrt(0.5)))


def test_observations_move_the_estimate_toward_the_reward_and_narrow_it() -> None:
    policy = Policy(("bias",), lam=1.0)
    for _ in range(3):
        policy = observe(policy, "arm", (1.0,), 1.0)
    mean, width = estimate(policy.stats("arm"), (1.0,))
    assert mean == pytest.approx(3 / 4)  # b / (λ + n)
    assert width == pytest.approx(math.sqrt(1 / 4))
    assert (policy.count("arm"), policy.total) == (3, 3)


def test_observe_leaves_the_old_policy_as_it_was() -> None:
    before = Policy(FEATURES)
    after = observe(before, "a", (1.0, 0.5), 1.0)
    assert before.arms == {} and after.count("a") == 1


def test_a_feature_vector_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="feature vector has 3 components, the policy 2"):
        observe(Policy(FEATURES), "a", (1.0, 2.0, 3.0), 1.0)


def test_cholesky_refuses_a_matrix_that_is_not_positive_definite() -> None:
    low = cholesky(((4.0, 2.0), (2.0, 3.0)))
    assert low == [[2.0, 0.0], [1.0, pytest.approx(math.sqrt(2.0))]]
    with pytest.raises(ValueError, match="not positive definite"):
        cholesky(((1.0, 2.0), (2.0, 1.0)))


def test_the_file_keeps_one_line_per_vector(tmp_path: Path) -> None:
    policy = observe(Policy(FEATURES), "claude/haiku", (1.0, 0.5), 0.8)
    text = policy_json(policy)
    assert '"b": [ 0.8, 0.4 ]' in text
    assert "[ 2.0, 0.5 ],\n    [ 0.5, 1.25 ]" in text
    path = tmp_path / "routing" / "policy.json"
    save_policy(policy, path)
    assert read_policy(path, FEATURES) == policy


def test_a_missing_file_is_a_fresh_policy(tmp_path: Path) -> None:
    assert read_policy(tmp_path / "none.json", FEATURES, lam=0.5) == Policy(FEATURES, 0.5)


def good() -> dict[str, Any]:
    return json.loads(policy_json(observe(Policy(FEATURES), "c/m", (1.0, 1.0), 1.0)))


def broken(tmp_path: Path, data: object) -> str:
    path = tmp_path / "policy.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    with pytest.raises(StateError) as info:
        read_policy(path, FEATURES)
    message = str(info.value)
    assert message.startswith(f"{path}: the routing policy ")
    assert message.endswith("or run with --routing cascade")
    return message


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: "{\n  nope", "is not valid JSON (line 2, column 3)"),
        (lambda d: [], 'is not a podium routing policy (no "format": "podium-routing-policy")'),
        (lambda d: {**d, "version": 9}, "has version 9; this podium reads version 1"),
        (lambda d: {**d, "features": ["bias"]}, "was learned over other task features"),
        (lambda d: {**d, "lambda": 0}, "has lambda 0; it must be a number above 0"),
        (lambda d: {**d, "lambda": True}, "has lambda True; it must be a number above 0"),
        (lambda d: {**d, "arms": []}, 'has no "arms" table'),
        (lambda d: {**d, "arms": {"c/m": 1}}, "arm 'c/m' is not a table of n, A and b"),
        (
            lambda d: {**d, "arms": {"c/m": {**d["arms"]["c/m"], "n": -1}}},
            "arm 'c/m': n must be a whole number >= 0, got -1",
        ),
        (
            lambda d: {**d, "arms": {"c/m": {**d["arms"]["c/m"], "b": [1]}}},
            "arm 'c/m': A must be 2x2 and b 2 numbers",
        ),
        (
            lambda d: {**d, "arms": {"c/m": {**d["arms"]["c/m"], "A": [[1, 0], [0, "x"]]}}},
            "arm 'c/m': A must be 2x2 numbers",
        ),
        (
            lambda d: {**d, "arms": {"c/m": {**d["arms"]["c/m"], "A": [[1, 2], [0, 1]]}}},
            "arm 'c/m': A is not symmetric positive definite",
        ),
        (
            lambda d: {**d, "arms": {"c/m": {**d["arms"]["c/m"], "A": [[1, 2], [2, 1]]}}},
            "arm 'c/m': A is not symmetric positive definite",
        ),
    ],
)
def test_a_policy_file_podium_cannot_trust_says_why(tmp_path: Path, change: Any, says: str) -> None:
    assert says in broken(tmp_path, change(good()))
