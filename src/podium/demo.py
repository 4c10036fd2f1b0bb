"""`podium demo`: a small repository, a plan with dependencies, a real run, a summary."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from podium import api, render

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

EDITOR = '''"""The demo's stand-in agent: applies the edits listed in its prompt file."""
import json, sys
from pathlib import Path

root, prompt = Path(sys.argv[1]), Path(sys.argv[2]).read_text()
for line in prompt.splitlines():
    if line.startswith("EDIT "):
        edit = json.loads(line[5:])
        path = root / edit["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(edit["text"])
        print(f"wrote {edit['path']}")
'''


def edit(path: str, text: str) -> str:
    import json

    return "EDIT " + json.dumps({"path": path, "text": text})


def demo_plan(python: str) -> dict[str, object]:
    """Six tasks in three waves; each says exactly what its stand-in agent writes."""

    def task(
        id: str, goal: str, files: list[str], edits: list[str], **extra: object
    ) -> dict[str, object]:
        return {
            "id": id,
            "goal": goal,
            "description": "\n".join(edits),
            "files": files,
            "command": [python, "tools/edit.py", "{worktree}", "{prompt_file}"],
            **extra,
        }

    return {
        "name": "inventory-demo",
        "agent": "command",
        "max_parallel": 3,
        "gates": [f"{python} -m pytest -q -p no:cacheprovider"],
        "tasks": [
            task(
                "restock",
                "Add a restock helper",
                ["inventory/restock.py", "tests/test_restock.py"],
                [
                    edit(
                        "inventory/restock.py",
                        "def restock(items, n):\n    return [(name, q + n) for name, q in items]\n",
                    ),
                    edit(
                        "tests/test_restock.py",
                        "from inventory.restock import restock\n\n\n"
                        "def test_restock():\n    assert restock([('a', 1)], 2) == [('a', 3)]\n",
                    ),
                ],
                checks=[{"path_exists": "inventory/restock.py"}],
            ),
            task(
                "lowstock",
                "Report items that run low",
                ["inventory/low.py", "tests/test_low.py"],
                [
                    edit(
                        "inventory/low.py",
                        "def low(items, limit=2):\n"
                        "    return [name for name, q in items if q < limit]\n",
                    ),
                    edit(
                        "tests/test_low.py",
                        "from inventory.low import low\n\n\n"
                        "def test_low():\n    assert low([('a', 1), ('b', 5)]) == ['a']\n",
                    ),
                ],
            ),
            task(
                "money",
                "Add prices and a stock value",
                ["inventory/value.py"],
                [
                    edit(
                        "inventory/value.py",
                        "def value(items, prices):\n"
                        "    return sum(q * prices[name] for name, q in items)\n",
                    )
                ],
                checks=[{"file_contains": {"path": "inventory/value.py", "text": "def value"}}],
            ),
            task(
                "report",
                "A stock report using restock and low",
                ["inventory/report.py"],
                [
                    edit(
                        "inventory/report.py",
                        "from inventory.low import low\n"
                        "from inventory.restock import restock\n\n\n"
                        "def report(items):\n    return {'low': low(items), "
                        "'after_restock': restock(items, 1)}\n",
                    )
                ],
                after=["restock", "lowstock"],
                checks=[{"command": f"{python} -c 'import inventory.report'"}],
            ),
            task(
                "cli",
                "A command line entry point",
                ["inventory/__main__.py"],
                [
                    edit(
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
                "Document the package",
                ["README.md", "docs/**"],
                [edit("docs/usage.md", "# Usage\n\n`python -m inventory` prints a report.\n")],
                after=["report", "money"],
                checks=[{"file_contains": {"path": "docs/usage.md", "text": "python -m"}}],
            ),
        ],
    }


def make_repo(where: Path) -> Path:
    repo = where / "inventory"
    if repo.exists():
        shutil.rmtree(repo)
    for name, text in {**REPO_FILES, "tools/edit.py": EDITOR}.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env_git = ["git", "-c", "user.name=podium demo", "-c", "user.email=demo@localhost"]
    subprocess.run([*env_git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*env_git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*env_git, "commit", "-qm", "inventory: first version"], cwd=repo, check=True)
    return repo


def run_demo(where: Path | None, keep: bool) -> int:
    base = Path(where) if where else Path(tempfile.mkdtemp(prefix="podium-demo-"))
    repo = make_repo(base)
    plan = repo.parent / "demo-plan.yaml"
    plan.write_text(yaml.safe_dump(demo_plan(sys.executable), sort_keys=False))
    print(f"demo repository: {repo}\nplan: {plan}\n")
    row = api.run_plan(plan, report=render.progress_line, cwd=repo)
    store = api.open_store(repo)
    print("\n" + render.status_text(render.status_data(store, row.id)))
    code = api.exit_code(store, row.id)
    store.close()
    log = subprocess.run(
        ["git", "log", "--oneline", "main"], cwd=repo, capture_output=True, text=True
    ).stdout
    print(f"\nmain now:\n{log}")
    if keep or where:
        print(f"kept: {repo}")
    else:
        shutil.rmtree(base, ignore_errors=True)
    return code
