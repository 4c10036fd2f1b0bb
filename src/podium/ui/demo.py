"""`podium demo`: a small repository, a plan with dependencies, a real run, a summary."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from podium import api
from podium.ui import render

REPO_FILES = {
    "inventory/__init__.py": "",
    "inventory/stock.py": (
        "def total(items):\n"
        '    """Sum of quantity over (name, quantity) pairs."""\n'
        "    return sum(q for _, q in items)\n"
    ),
    "tests/test_stock.py": (
        "from inventory.stock import total\n\n\n"
        "def test_total():\n    assert total([('a', 2), ('b', 3)]) == 5\n"
    ),
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    "README.md": "# inventory\n\nA tiny package that podium's demo improves.\n",
}

AGENTS = ("claude", "gemini")  # two real agent CLIs, speaking two different model APIs
KEY_ENV = "PODIUM_DEMO_KEY"


def script(*files: tuple[str, str]) -> str:
    """The lines that tell podium's scripted model server what this task's model does."""
    steps = [{"write_file": {"path": path, "content": text}} for path, text in files]
    return "PODIUM-SCRIPT: " + json.dumps([*steps, {"text": "Done."}])


def demo_plan(python: str) -> dict[str, object]:
    """Six tasks in three waves, shared between the two agents; each says what its model does."""

    def task(
        id: str, agent: str, goal: str, files: list[tuple[str, str]], **extra: object
    ) -> dict[str, object]:
        return {
            "id": id,
            "goal": goal,
            "agent": agent,
            "files": [f for f, _ in files],
            "description": f"PODIUM-TAG: {id}\n{script(*files)}",
            **extra,
        }

    restock = "def restock(items, n):\n    return [(name, q + n) for name, q in items]\n"
    low = "def low(items, limit=2):\n    return [name for name, q in items if q < limit]\n"
    return {
        "name": "inventory-demo",
        "agent": AGENTS[0],
        "max_parallel": 3,
        "gates": [f"{python} -m pytest -q -p no:cacheprovider"],
        "tasks": [
            task(
                "restock",
                "claude",
                "Add a restock helper with a test",
                [
                    ("inventory/restock.py", restock),
                    (
                        "tests/test_restock.py",
                        "from inventory.restock import restock\n\n\n"
                        "def test_restock():\n    assert restock([('a', 1)], 2) == [('a', 3)]\n",
                    ),
                ],
                checks=[{"path_exists": "inventory/restock.py"}],
            ),
            task(
                "lowstock",
                "gemini",
                "Report items that run low, with a test",
                [
                    ("inventory/low.py", low),
                    (
                        "tests/test_low.py",
                        "from inventory.low import low\n\n\n"
                        "def test_low():\n    assert low([('a', 1), ('b', 5)]) == ['a']\n",
                    ),
                ],
            ),
            task(
                "money",
                "gemini",
                "Add the stock's value",
                [
                    (
                        "inventory/value.py",
                        "def value(items, prices):\n"
                        "    return sum(q * prices[name] for name, q in items)\n",
                    )
                ],
                checks=[{"file_contains": {"path": "inventory/value.py", "text": "def value"}}],
            ),
            task(
                "report",
                "claude",
                "A stock report using restock and low",
                [
                    (
                        "inventory/report.py",
                        "from inventory.low import low\n"
                        "from inventory.restock import restock\n\n\ndef report(items):\n"
                        "    return {'low': low(items), 'after_restock': restock(items, 1)}\n",
                    )
                ],
                after=["restock", "lowstock"],
                checks=[{"command": f"{python} -c 'import inventory.report'"}],
            ),
            task(
                "cli",
                "gemini",
                "A command line entry point",
                [
                    (
                        "inventory/__main__.py",
                        "from inventory.report import report\n\n"
                        "print(report([('apples', 1), ('pears', 4)]))\n",
                    )
                ],
                after=["report"],
                checks=[{"command": f"{python} -m inventory"}],
            ),
            task(
                "docs",
                "claude",
                "Document the package",
                [("docs/usage.md", "# Usage\n\n`python -m inventory` prints a stock report.\n")],
                after=["report", "money"],
                checks=[{"file_contains": {"path": "docs/usage.md", "text": "python -m"}}],
            ),
        ],
    }


def make_repo(where: Path) -> Path:
    repo = where / "inventory"
    if repo.exists():
        shutil.rmtree(repo)
    for name, text in REPO_FILES.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env_git = ["git", "-c", "user.name=podium demo", "-c", "user.email=demo@localhost"]
    subprocess.run([*env_git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*env_git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*env_git, "commit", "-qm", "inventory: first version"], cwd=repo, check=True)
    return repo


def missing_agents() -> list[str]:
    os.environ.setdefault(KEY_ENV, "sk-podium-demo")
    return [
        name
        for name in AGENTS
        if not api.agent(name).available().usable
        and "not authenticated" not in api.agent(name).available().why
    ]


def run_demo(where: Path | None, keep: bool) -> int:
    from podium.errors import PodiumError
    from podium.testing import ScriptedServer

    missing = missing_agents()
    if missing:
        raise PodiumError(
            f"the demo drives real agent CLIs and {', '.join(missing)} is not installed: run "
            f"`podium agents install {' '.join(AGENTS)}` (podium finds them there from any "
            "repository; scripts/demo does it)"
        )
    if importlib.util.find_spec("pytest") is None:  # the demo's gate: without it, none
        raise PodiumError(
            f"the demo's gate runs the demo repository's tests with pytest, which {sys.executable} "
            "cannot import: `pip install pytest` into that environment (scripts/demo does it)"
        )
    base = Path(where) if where else Path(tempfile.mkdtemp(prefix="podium-demo-"))
    repo = make_repo(base)
    plan = repo.parent / "demo-plan.yaml"
    plan.write_text(yaml.safe_dump(demo_plan(sys.executable), sort_keys=False))
    os.environ[KEY_ENV] = "sk-podium-demo"
    with ScriptedServer() as server:
        (repo / "podium.toml").write_text(
            "".join(
                f'[agents.{name}]\nbase_url = "{server.url}"\napi_key_env = "{KEY_ENV}"\n'
                for name in AGENTS
            )
        )
        print(
            f"demo repository: {repo}\nplan: {plan}\nmodel: podium's scripted model server "
            f"at {server.url} (no provider is called)\n"
        )
        row = api.run_plan(plan, report=render.progress_line, cwd=repo)
        served = server.usage()
    return summarize(repo, row.id, served, base, keep or where is not None)


def summarize(repo: Path, run_id: str, served: dict[str, Any], base: Path, keep: bool) -> int:
    with api.reader(repo) as reader:
        record = reader.record(run_id)
    data = render.status_data(record)
    print("\n" + render.status_text(data))
    attempts = [a for t in data["tasks"] for a in t["attempt_list"]]
    tokens = sum(a["input_tokens"] + a["output_tokens"] for a in attempts)
    cost = sum(a["cost_usd"] for a in attempts)
    total = served.get("total", {})
    print(
        f"\ntokens recorded by podium: {tokens:,} (the model server served "
        f"{total.get('input_tokens', 0) + total.get('output_tokens', 0):,}); "
        f"cost at list prices: ${cost:.4f}"
    )
    code = record.exit_code
    log = subprocess.run(
        ["git", "log", "--oneline", "main"], cwd=repo, capture_output=True, text=True
    ).stdout
    print(f"\nmain now:\n{log}")
    if keep:
        print(f"kept: {repo}  (try: cd {repo} && podium status && podium report)")
    if shutil.which("podium") is None:
        print(
            "`podium` is not on PATH: scripts/demo links it into ~/.local/bin; or install it "
            "with `pipx install PATH-TO-PODIUM` (or `pip install --user PATH-TO-PODIUM`)"
        )
    else:
        shutil.rmtree(base, ignore_errors=True)
    return code
