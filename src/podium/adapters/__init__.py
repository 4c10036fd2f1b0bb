"""The old home of the adapters, kept so that code written against it goes on working.

The adapters now live in `podium.agents` (`podium.agents.base`, `podium.agents.registry`, one
module per CLI). This package re-exports the registry, and `podium.adapters.base`,
`podium.adapters.streamjson` and `podium.adapters.conformance` re-export their new modules.
"""

from podium.agents.registry import BUILTIN, get, names, registry

__all__ = ["BUILTIN", "get", "names", "registry"]
