"""`podium worker`'s refusals before it serves anything, and `podium doctor`'s executor rows."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from podium.api.workers import executor_findings, serve_worker
from podium.config import ExecutorConfig
from podium.errors import ConfigError

TEMPORAL = ExecutorConfig(kind="temporal", remote="/srv/repo.git")


def test_an_unknown_agent_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    pytest.importorskip("temporalio")
    with pytest.raises(ConfigError) as raised:
        serve_worker(TEMPORAL, tmp_path, 1, ("claude", "no-such-agent"))
    message = str(raised.value)
    assert "'no-such-agent'" in message
    assert "claude" in message  # the known ones are listed


def test_a_worker_without_a_remote_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("temporalio")
    with pytest.raises(ConfigError, match="needs remote"):
        serve_worker(ExecutorConfig(kind="temporal"), tmp_path, 1)


def test_a_worker_without_the_sdk_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "temporalio", None)  # as if it were not installed
    with pytest.raises(ConfigError, match=r"podium\[temporal\]"):
        serve_worker(TEMPORAL, tmp_path, 1)


def test_doctor_has_nothing_to_say_about_the_local_executor(tmp_path: Path) -> None:
    assert executor_findings(tmp_path) == []
    (tmp_path / "podium.toml").write_text('[executor]\nkind = "local"\n')
    assert executor_findings(tmp_path) == []


def test_doctor_leaves_a_broken_config_to_the_config_row(tmp_path: Path) -> None:
    (tmp_path / "podium.toml").write_text('[executor]\nkind = "carrier-pigeon"\n')
    assert executor_findings(tmp_path) == []


def test_doctor_names_a_missing_sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "podium.toml").write_text('[executor]\nkind = "temporal"\nremote = "origin"\n')
    monkeypatch.setitem(sys.modules, "temporalio", None)
    [(name, ok, detail)] = executor_findings(tmp_path)
    assert (name, ok) == ("temporal", False)
    assert "pip install 'podium[temporal]'" in detail
