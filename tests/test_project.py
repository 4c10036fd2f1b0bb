"""`podium init` on real repositories: the gates it finds and the podium.toml it writes."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from podium.config import Config, load_config, parse_config
from podium.errors import PodiumError
from podium.project import detect_gates, init_repo, render_config

from conftest import make_repo


def test_a_python_project_with_ruff_and_pytest(calc_repo: Path) -> None:
    (calc_repo / "ruff.toml").write_text("line-length = 100\n")
    assert detect_gates(calc_repo) == ["ruff check .", "python -m pytest -q"]


def test_node_rust_and_go_projects(tmp_path: Path) -> None:
    scripts = {"scripts": {"test": "vitest", "build": "vite build", "lint": "eslint ."}}
    repo = make_repo(
        tmp_path / "poly",
        {"package.json": json.dumps(scripts), "Cargo.toml": "[package]\n", "go.mod": "module x\n"},
    )
    assert detect_gates(repo) == ["npm run lint", "npm run test", "cargo test", "go test ./..."]


def test_a_project_podium_knows_nothing_about_gets_no_gates(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "bare", {"README.md": "x\n", "package.json": ""})
    assert detect_gates(repo) == []


def test_the_written_config_reads_back_as_the_defaults_with_the_gates() -> None:
    text = render_config(["ruff check .", 'pytest -k "not slow"'])
    config = parse_config(tomllib.loads(text), "podium.toml")
    assert config == Config(gates=("ruff check .", 'pytest -k "not slow"'))
    assert not config.gate_attempts  # so the comment must not say "on every task's result"
    assert "the gates run on each merge, on exactly the merged tree" in text
    assert "also on each task's own\n# result with `[merge] gate_attempts = true`" in text


def test_init_writes_podium_toml_once_and_only_overwrites_when_forced(calc_repo: Path) -> None:
    path, gates = init_repo(calc_repo, force=False)
    assert path == calc_repo / "podium.toml"
    assert load_config(calc_repo).gates == tuple(gates) == ("python -m pytest -q",)
    path.write_text("gates = []\n")
    with pytest.raises(PodiumError, match=r"podium.toml already exists \(use --force"):
        init_repo(calc_repo, force=False)
    assert path.read_text() == "gates = []\n"
    init_repo(calc_repo, force=True)
    assert load_config(calc_repo).gates == ("python -m pytest -q",)
