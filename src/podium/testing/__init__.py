"""A scripted model server that real agent CLIs can talk to on 127.0.0.1 (stdlib only).

It speaks the Anthropic Messages, OpenAI Chat Completions, OpenAI Responses and Gemini APIs,
answers from a script of rules, and counts tokens. See docs/scripted-server.md.

Names are imported lazily so `import podium.testing` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from podium.testing.script import Script, ScriptError, load_script
    from podium.testing.server import ScriptedServer

__all__ = ["Script", "ScriptError", "ScriptedServer", "load_script"]


def __getattr__(name: str) -> Any:
    if name == "ScriptedServer":
        from podium.testing.server import ScriptedServer

        return ScriptedServer
    if name in ("Script", "ScriptError", "load_script"):
        from podium.testing import script

        return getattr(script, name)
    raise AttributeError(f"module 'podium.testing' has no attribute {name!r}")
