"""Agents by name: the built-ins, and a helpful refusal for a name podium does not know."""

from __future__ import annotations

import pytest

from podium.agents import registry
from podium.agents.claude import ClaudeAdapter
from podium.errors import ConfigError


def test_every_builtin_agent_is_listed_in_order() -> None:
    assert set(registry.BUILTIN) <= set(registry.names())
    assert registry.names() == sorted(registry.names())


def test_a_name_gives_a_fresh_adapter_of_its_class() -> None:
    first, second = registry.get("claude"), registry.get("claude")
    assert isinstance(first, ClaudeAdapter) and first is not second


def test_an_unknown_agent_is_a_config_error_listing_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        registry.get("cursor")
    assert str(info.value) == f"unknown agent 'cursor' (known: {', '.join(registry.names())})"
    assert info.value.exit_code == 2
