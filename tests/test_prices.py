"""Prices as data: what tokens cost, what podium.toml may override, what a task will likely cost."""

from __future__ import annotations

import pytest

from podium.errors import ConfigError
from podium.routing.prices import (
    EXPECTED_TOKENS,
    Price,
    builtin_prices,
    cost,
    estimate,
    parse_prices,
    price_of,
)


def test_the_builtin_table_has_a_default_and_known_models() -> None:
    table = builtin_prices()
    assert table["default"] == Price(3.0, 15.0)
    assert table["claude-opus-4-1"] == Price(15.0, 75.0)


def test_a_model_not_listed_costs_the_default() -> None:
    assert price_of("some-new-model", {}) == builtin_prices()["default"]
    assert price_of(None, {}) == builtin_prices()["default"]


def test_overrides_replace_and_extend_the_table() -> None:
    mine = {"claude-opus-4-1": Price(1.0, 2.0), "local-llm": Price(0.0, 0.0)}
    assert price_of("claude-opus-4-1", mine) == Price(1.0, 2.0)
    assert cost("local-llm", 1_000_000, 1_000_000, mine) == 0.0


def test_cost_is_dollars_per_million_tokens() -> None:
    # haiku: $1/M in, $5/M out
    assert cost("claude-haiku-4-5", 2_000_000, 100_000) == pytest.approx(2.5)


def test_parse_prices_reads_podium_toml_tables() -> None:
    got = parse_prices({"my-model": {"input": 1, "output": "4.5"}, "free": {}}, "podium.toml")
    assert got == {"my-model": Price(1.0, 4.5), "free": Price(0.0, 0.0)}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (2.0, "podium.toml: prices.m must be a table of input and output"),
        ({"input": 1, "cached": 2}, "podium.toml: prices.m must be a table of input and output"),
        ({"input": "cheap"}, r"podium.toml: prices.m: input and output are \$/M tokens"),
    ],
)
def test_a_bad_price_entry_is_named(entry: object, message: str) -> None:
    with pytest.raises(ConfigError, match=f"^{message}$"):
        parse_prices({"m": entry}, "podium.toml")


def test_an_estimate_is_the_mean_of_past_attempts_when_there_are_some() -> None:
    assert estimate("high", "claude-opus-4-1", {}, [0.2, 0.4, 0.9]) == pytest.approx(0.5)


def test_without_history_an_estimate_prices_the_complexitys_expected_tokens() -> None:
    tokens_in, tokens_out = EXPECTED_TOKENS["high"]
    guess = estimate("high", "claude-haiku-4-5", {}, [])
    assert guess == pytest.approx((tokens_in * 1.0 + tokens_out * 5.0) / 1_000_000)
    assert estimate("low", "claude-haiku-4-5", {}, []) < guess
    assert estimate("unheard-of", "claude-haiku-4-5", {}, []) == estimate(
        "medium", "claude-haiku-4-5", {}, []
    )
