"""Where agent CLIs are found: PATH first, then podium's tools directory (real executables)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from podium.agents import tools


def executable(folder: Path, name: str, mode: int = 0o755) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\necho hi\n")
    path.chmod(mode)
    return path


def test_tools_dir_is_podium_tools_dir_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_TOOLS_DIR", str(tmp_path / "mine"))
    assert tools.tools_dir() == tmp_path / "mine"


def test_tools_dir_expands_a_tilde(monkeypatch: pytest.MonkeyPatch, isolated_home: Path) -> None:
    monkeypatch.setenv("PODIUM_TOOLS_DIR", "~/agents")
    assert tools.tools_dir() == isolated_home / "agents"


def test_tools_dir_defaults_under_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PODIUM_TOOLS_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert tools.tools_dir() == tmp_path / "data" / "podium" / "tools"


def test_tools_dir_falls_back_to_local_share(
    monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    monkeypatch.delenv("PODIUM_TOOLS_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert tools.tools_dir() == isolated_home / ".local" / "share" / "podium" / "tools"


def test_a_cli_only_in_the_tools_bin_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_TOOLS_DIR", str(tmp_path / "tools"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    fake = executable(tmp_path / "tools" / "bin", "podium-fake-cli")
    assert tools.find("podium-fake-cli") == str(fake)


def test_path_wins_over_the_tools_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODIUM_TOOLS_DIR", str(tmp_path / "tools"))
    executable(tmp_path / "tools" / "bin", "podium-fake-cli")
    on_path = executable(tmp_path / "path", "podium-fake-cli")
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    assert tools.find("podium-fake-cli") == str(on_path)


def test_a_cli_nowhere_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODIUM_TOOLS_DIR", str(tmp_path / "tools"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert tools.find("podium-fake-cli") is None


def test_a_file_that_is_not_executable_is_not_a_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_TOOLS_DIR", str(tmp_path / "tools"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    executable(tmp_path / "tools" / "bin", "podium-fake-cli", mode=0o644)
    assert tools.find("podium-fake-cli") is None


def test_a_path_is_taken_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    fake = executable(tmp_path / "elsewhere", "my-claude")
    assert tools.find(str(fake)) == str(fake)


def test_not_installed_names_the_install_command_and_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_TOOLS_DIR", str(tmp_path / "tools"))
    line = tools.not_installed("codex")
    assert "podium agents install codex" in line
    assert str(tmp_path / "tools" / "bin") in line
    assert "[agents.codex] bin" in line


def test_the_installer_is_an_executable_script() -> None:
    script = tools.installer()
    assert script is not None
    assert script.name == "install-agents"
    assert os.access(script, os.X_OK)


def test_every_installable_cli_is_a_known_agent() -> None:
    from podium.agents import registry

    assert set(tools.INSTALLABLE) <= set(registry.names())
