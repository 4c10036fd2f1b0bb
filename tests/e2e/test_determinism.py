"""Same plan, same outcomes: the same decisions, byte for byte, on two fresh repositories."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import CALC, agent, make_repo


def plan() -> dict[str, object]:
    def t(
        id: str, after: list[str], prio: int, minutes: int, files: list[str]
    ) -> dict[str, object]:
        return {
            "id": id,
            "goal": id,
            "after": after,
            "priority": prio,
            "files": files,
            "estimated_minutes": minutes,
            "command": agent("write", f"out/{id}.txt", id),
        }

    return {
        "name": "det",
        "agent": "command",
        "max_parallel": 1,
        "gates": [],
        "tasks": [
            t("a", [], 2, 10, ["out/a.txt"]),
            t("b", [], 2, 30, ["out/b.txt"]),
            t("c", ["b"], 2, 30, ["out/c.txt"]),
            t("d", [], 1, 5, ["out/d.txt"]),
            t("e", ["a"], 3, 5, ["out/e.txt"]),
            t("f", ["c", "e"], 2, 5, ["out/f.txt"]),
        ],
    }


def decisions(repo: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    rows = db.execute("SELECT task_id, data FROM events WHERE kind='task.state' ORDER BY id")
    return [(task, json.loads(data)["to"]) for task, data in rows]


def test_same_plan_same_decisions(tmp_path: Path) -> None:
    logs = []
    for name in ("one", "two"):
        repo = make_repo(tmp_path / name, CALC)
        (repo / "plan.yaml").write_text(yaml.safe_dump(plan()))
        proc = subprocess.run(
            [sys.executable, "-m", "podium", "run", "plan.yaml", "--json"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        logs.append(decisions(repo))
    assert logs[0] == logs[1]
    starts = [task for task, to in logs[0] if to == "running"]
    # priority first (d), then the longest chain behind (b -> c -> f), then plan order.
    assert starts == ["d", "b", "c", "a", "e", "f"]
