"""Adapters are found through the `podium.adapters` entry-point group, built-ins included."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

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
    found = dict(BUILTIN)
    for ep in entry_points(group="podium.adapters"):
        found.setdefault(ep.name, ep.value)
    return found


def names() -> list[str]:
    return sorted(registry())


def get(name: str) -> Adapter:
    import importlib

    spec = registry().get(name)
    if spec is None:
        raise ConfigError(f"unknown agent {name!r} (known: {', '.join(names())})")
    module, _, attr = spec.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    adapter: Adapter = cls()
    return adapter
