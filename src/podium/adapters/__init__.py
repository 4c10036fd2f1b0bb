"""Adapters are found through the `podium.adapters` entry-point group, built-ins included."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from podium.adapters.base import Adapter
from podium.errors import ConfigError

BUILTIN = {
    "command": "podium.adapters.command:CommandAdapter",
    "claude": "podium.adapters.claude:ClaudeAdapter",
    "codex": "podium.adapters.codex:CodexAdapter",
    "gemini": "podium.adapters.gemini:GeminiAdapter",
    "qwen": "podium.adapters.qwen:QwenAdapter",
    "opencode": "podium.adapters.opencode:OpencodeAdapter",
    "copilot": "podium.adapters.copilot:CopilotAdapter",
    "aider": "podium.adapters.aider:AiderAdapter",
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
