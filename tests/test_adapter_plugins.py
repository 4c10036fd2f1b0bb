"""Third-party adapters come in through the `podium.adapters` entry points, like the built-ins;
the conformance check holds every built-in adapter and the documented example to the seam."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from podium.agents import registry
from podium.agents.conformance import check_adapter

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "adapter-plugin"


@pytest.mark.parametrize("name", registry.names())
def test_builtin_adapters_conform(name: str) -> None:
    assert check_adapter(registry.get(name)) == []


def install_without_pip(site: Path) -> None:
    """What `pip install` leaves behind that podium looks at: the code and its entry points."""
    shutil.copytree(EXAMPLE / "podium_shout", site / "podium_shout")
    info = site / "podium_shout-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: podium-shout\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[podium.adapters]\nshout = podium_shout:ShoutAdapter\n")


def test_example_plugin_runs_a_task_through_its_entry_point(
    calc_repo: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    install_without_pip(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    agents = subprocess.run(
        [sys.executable, "-m", "podium", "agents", "--json"],
        cwd=calc_repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert any(r["agent"] == "shout" and r["usable"] for r in json.loads(agents.stdout))
    conform = subprocess.run(
        [sys.executable, "-m", "podium.agents.conformance", "shout"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert conform.returncode == 0, conform.stdout
    plan = {
        "name": "plugin",
        "agent": "shout",
        "gates": [],
        "tasks": [{"id": "hi", "goal": "Say hi\nWRITE hi.txt hello there", "files": ["hi.txt"]}],
    }
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    run = subprocess.run(
        [sys.executable, "-m", "podium", "run", "plan.yaml", "--json"],
        cwd=calc_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    task = json.loads(run.stdout)["tasks"][0]
    assert task["state"] == "merged" and task["attempt_list"][0]["output_tokens"] == 10
    assert (calc_repo / "hi.txt").read_text() == "HELLO THERE\n"


def test_a_plugin_written_against_the_old_adapter_paths_still_loads(tmp_path: Path) -> None:
    """The adapters moved to `podium.agents`; `podium.adapters.*` stays as a re-export."""
    site = tmp_path / "site"
    install_without_pip(site)
    module = site / "podium_shout" / "__init__.py"
    old = module.read_text().replace("podium.agents.base", "podium.adapters.base")
    assert "podium.adapters.base" in old
    module.write_text(old)
    conform = subprocess.run(
        [sys.executable, "-m", "podium.adapters.conformance", "shout"],
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    assert conform.returncode == 0, conform.stdout + conform.stderr
    assert "ok shout" in conform.stdout
