"""Adapters are found through the `podium.adapters` entry-point group, built-ins included."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from functools import cache

from podium.agents.base import Adapter
from podium.errors import ConfigError

BUILTIN = {
    "command": "podium.agents.command:CommandAdapter",
    "claude": "podium.agents.claude:ClaudeAdapter",
    "codex": "podium.agents.codex:CodexAdapter",
    "gemini": "podium.agents.gemini:GeminiAdapter",
    "qwen": "podium.agents.qwen:QwenAdapter",
    "opencode": "podium.agents.opencode:OpencodeAdapter",
    "copilot": "podium.agents.copilot:CopilotAdapter",
    "aider": "podium.agents.aider:AiderAdapter",
}


@cache
def registry() -> dict[str, str]:
    """Agent name -> 'module:Class', built-ins first, then installed plug-ins."""
    from importlib.metadata import entry_points  # ~20 ms: only when a plug-in is asked for

    found = dict(BUILTIN)
    for ep in entry_points(group="podium.adapters"):
        found.setdefault(ep.name, ep.value)
    return found


class Known(Collection[str]):
    """Every agent name, sorted; a built-in's membership is answered without looking up the
    installed plug-ins (a plug-in cannot take a built-in's name)."""

    def __contains__(self, name: object) -> bool:
        return name in BUILTIN or name in registry()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(registry()))

    def __len__(self) -> int:
        return len(registry())


def names() -> list[str]:
    return sorted(registry())


def known() -> Known:
    """The agent names, for checking a plan: built-ins need no look-up of plug-ins."""
    return Known()


def get(name: str) -> Adapter:
    import importlib

    spec = BUILTIN.get(name) or registry().get(name)
    if spec is None:
        raise ConfigError(f"unknown agent {name!r} (known: {', '.join(names())})")
    module, _, attr = spec.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    adapter: Adapter = cls()
    return adapter
