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


def executor_findings(repo: Path) -> list[tuple[str, bool, str]]:
    """For `podium doctor`: with `[executor] kind = "temporal"`, is the service there, the
    remote reachable, and is any worker polling the task queue? Nothing for local."""
    import json
    import subprocess
    import sys
    from dataclasses import asdict
    from importlib.util import find_spec

    from podium.config import load_config

    try:
        settings = load_config(repo).executor
    except ConfigError:
        return []  # the config finding says it already
    if settings.kind != "temporal":
        return []
    if find_spec("temporalio") is None:
        return [("temporal", False, "the SDK is missing: pip install 'podium[temporal]'")]
    from podium.executors.temporal import remote_url

    argv = [sys.executable, "-m", "podium.executors.temporal_probe", json.dumps(asdict(settings))]
    argv.append(remote_url(repo, settings.remote))
    done = subprocess.run(argv, cwd=repo, capture_output=True, text=True, timeout=60)
    try:
        return [tuple(row) for row in json.loads(done.stdout)]
    except json.JSONDecodeError:
        return [("temporal", False, f"the probe failed: {done.stderr.strip()[-300:]}")]


__all__ = ["ExecutorConfig", "executor_findings", "serve_worker"]
