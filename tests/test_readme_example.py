"""The README's example plan runs as written, on the repository in examples/rate-limiting/."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import git

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "rate-limiting"


def readme_plan() -> str:
    text = (ROOT / "README.md").read_text()
    found = re.search(r"\nA plan \(.*?\):\n\n```yaml\n(.*?)```", text, re.S)
    assert found, "README.md has no example plan"
    return found.group(1)


def test_the_readme_plan_is_the_example_plan() -> None:
    assert readme_plan() == (EXAMPLE / "plan.yaml").read_text()


def test_the_readme_plan_runs_as_written(tmp_path: Path) -> None:
    repo = tmp_path / "rate-limiting"
    shutil.copytree(EXAMPLE, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "example")
    python_with_pytest = str(Path(sys.executable).parent)  # the gate's `python -m pytest`
    env = {**os.environ, "PATH": f"{python_with_pytest}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        [sys.executable, "-m", "podium", "run", "plan.yaml", "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    states = {t["id"]: t["state"] for t in json.loads(proc.stdout)["tasks"]}
    assert states == {"middleware": "merged", "docs": "merged"}
    assert "RATE_LIMIT_PER_MINUTE = 60" in git(repo, "show", "main:src/app/settings.py")
    assert "# Rate limits" in git(repo, "show", "main:docs/rate-limits.md")
