"""Prices as data: tokens to dollars when an agent does not say what it cost."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from podium.errors import ConfigError


@dataclass(frozen=True)
class Price:
    input: float  # $ per million input tokens
    output: float  # $ per million output tokens


@cache
def builtin_prices() -> dict[str, Price]:
    text = files("podium").joinpath("data/prices.toml").read_text(encoding="utf-8")
    return parse_prices(tomllib.loads(text), "podium's price table")


def parse_prices(data: dict[str, Any], where: str) -> dict[str, Price]:
    out: dict[str, Price] = {}
    for model, entry in data.items():
        if not isinstance(entry, dict) or set(entry) - {"input", "output"}:
            raise ConfigError(f"{where}: prices.{model} must be a table of input and output")
        try:
            out[model] = Price(float(entry.get("input", 0.0)), float(entry.get("output", 0.0)))
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: prices.{model}: input and output are $/M tokens") from None
    return out


def price_of(model: str | None, overrides: dict[str, Price]) -> Price:
    table = {**builtin_prices(), **overrides}
    return table.get(model or "", table["default"])


def cost(
    model: str | None,
    input_tokens: int,
    output_tokens: int,
    overrides: dict[str, Price] | None = None,
) -> float:
    price = price_of(model, overrides or {})
    return (input_tokens * price.input + output_tokens * price.output) / 1_000_000


# Tokens an attempt of each complexity is expected to use when podium has no history yet.
EXPECTED_TOKENS = {"low": (20_000, 2_000), "medium": (60_000, 6_000), "high": (150_000, 15_000)}


def estimate(
    complexity: str, model: str | None, overrides: dict[str, Price], history: Sequence[float]
) -> float:
    """Expected dollars for one attempt: the mean of past attempts like it, else a guess from
    the complexity's expected tokens at the model's price."""
    if history:
        return sum(history) / len(history)
    tokens_in, tokens_out = EXPECTED_TOKENS.get(complexity, EXPECTED_TOKENS["medium"])
    return cost(model, tokens_in, tokens_out, overrides)
