"""Which executor carries a run's attempts out: `[executor] kind` (or `--executor`)."""

from __future__ import annotations

from pathlib import Path

from podium.config import Config
from podium.errors import ConfigError
from podium.executors.base import Executor

INSTALL = "pip install 'podium[temporal]'"


def executor_for(repo: Path, config: Config, slots: int = 1) -> Executor:
    if config.executor.kind == "temporal":
        check_installed()
        from podium.executors.temporal import TemporalExecutor

        return TemporalExecutor(repo, config)
    from podium.executors.local import LocalExecutor

    return LocalExecutor(repo, parallel=slots > 1)


def check_installed() -> None:
    from importlib.util import find_spec

    if find_spec("temporalio") is None:
        raise ConfigError(f"the temporal executor needs the Temporal SDK: {INSTALL}")


def reattaches(executor: Executor) -> bool:
    """Does an attempt under way survive its coordinator (and can be waited for again)?"""
    return bool(getattr(executor, "reattaches", False))
