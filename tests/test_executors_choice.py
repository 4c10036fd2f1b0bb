"""Which executor runs a run's attempts: `[executor] kind`, and whether its attempts outlive
the coordinator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from podium.config import Config, ExecutorConfig, load_config
from podium.errors import ConfigError
from podium.executors.choice import INSTALL, check_installed, executor_for, reattaches
from podium.executors.local import LocalExecutor

from conftest import git, make_repo


def test_the_default_is_the_local_executor(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    executor = executor_for(repo, load_config(repo))
    assert isinstance(executor, LocalExecutor)
    assert executor.repo == repo
    assert not reattaches(executor)


def test_kind_temporal_gives_an_executor_that_reattaches(tmp_path: Path) -> None:
    pytest.importorskip("temporalio")
    from podium.executors.temporal import TemporalExecutor

    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    (repo / "podium.toml").write_text('[executor]\nkind = "temporal"\nremote = "origin"\n')
    executor = executor_for(repo, load_config(repo))
    assert isinstance(executor, TemporalExecutor)
    assert reattaches(executor)
    # workers know no remote names of ours: the name became its URL
    assert executor.remote == str(tmp_path / "remote.git")


def test_kind_temporal_without_the_sdk_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "temporalio", None)  # as if it were not installed
    config = Config(executor=ExecutorConfig(kind="temporal", remote="origin"))
    with pytest.raises(ConfigError) as raised:
        executor_for(tmp_path, config)
    assert INSTALL in str(raised.value)
    with pytest.raises(ConfigError):
        check_installed()


def test_check_installed_passes_with_the_sdk() -> None:
    pytest.importorskip("temporalio")
    check_installed()


def test_an_object_without_the_flag_does_not_reattach() -> None:
    class Plain:
        pass

    class Flagged:
        reattaches = True

    assert not reattaches(Plain())  # type: ignore[arg-type]
    assert reattaches(Flagged())  # type: ignore[arg-type]
