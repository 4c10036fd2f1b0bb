"""`podium worker`: serve attempts for coordinators through Temporal (podium[temporal])."""

from __future__ import annotations

from pathlib import Path

from podium.config import ExecutorConfig, check_executor
from podium.errors import ConfigError


def serve_worker(
    settings: ExecutorConfig, home: Path, slots: int, agents: tuple[str, ...] = ()
) -> None:
    """Run a worker until SIGINT or SIGTERM; its agents stop with it."""
    import asyncio

    from podium.agents import registry
    from podium.executors.choice import check_installed

    check_installed()
    unknown = [a for a in agents if a not in registry.names()]
    if unknown:
        known = ", ".join(registry.names())
        raise ConfigError(f"--agents: unknown agent {unknown[0]!r} (known: {known})")
    check_executor(settings, "worker")
    from podium.executors.temporal_worker import WorkerOptions, serve

    asyncio.run(serve(WorkerOptions(settings, home, slots, agents)))


__all__ = ["ExecutorConfig", "serve_worker"]
