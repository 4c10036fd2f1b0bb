"""The one user-facing error family: each carries the exit code the CLI returns."""

from __future__ import annotations


class PodiumError(Exception):
    """Something podium cannot go on with; the message says what and where."""

    exit_code = 2


class PlanError(PodiumError):
    """The plan file is invalid: message is `file:line:col: what is wrong`, one per line."""

    errors: list[str]

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors if errors is not None else [message]


class ConfigError(PodiumError):
    """podium.toml or a command-line option is invalid."""


class GitError(PodiumError):
    """A git command failed in a way podium cannot treat as an outcome."""

    exit_code = 1


class StateError(PodiumError):
    """The store refused a change: a stale version, an unknown run, a busy repository."""
