"""`podium evolve` on histories made by real `podium run`s of command-agent plans: it proposes
from evidence, `--apply` writes podium.toml (and the template), and the next run behaves so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_core_loop import run_podium as podium

from conftest import agent, git


def configure(repo: Path, toml: str) -> None:
    (repo / "podium.toml").write_text(toml)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "podium settings")


def run_plan(repo: Path, name: str, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    plan = {"name": name, "agent": "command", "max_parallel": 2, "tasks": tasks}
    (repo / f"{name}.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    proc = podium(repo, "run", f"{name}.yaml", "--json")
    assert proc.returncode in (0, 1), proc.stderr
    status: dict[str, Any] = json.loads(proc.stdout)
    return status


def evolve_json(repo: Path, *args: str) -> dict[str, Any]:
    proc = podium(repo, "evolve", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def docs_task(id: str) -> dict[str, Any]:
    """A docs task that only the model `good` can do."""
    ops = ["need-model", "good", "write", f"docs/{id}.md", f"{id}\\n"]
    return {"id": id, "goal": f"document {id}", "role": "docs", "files": [f"docs/{id}.md"],
            "command": agent(*ops)}  # fmt: skip


def test_docs_failing_on_one_arm_move_to_the_one_that_lands_them(calc_repo: Path) -> None:
    configure(
        calc_repo, '# our settings\nmax_attempts = 2\n\n[retries]\nladder = ["command:good"]\n'
    )
    run_plan(calc_repo, "docs1", [docs_task("guide"), docs_task("faq")])
    run_plan(calc_repo, "docs2", [docs_task("howto"), docs_task("intro")])

    data = evolve_json(calc_repo)
    (role,) = [p for p in data["proposals"] if p["key"] == "roles.docs"]
    assert role["setting"] == ["roles", "docs", "command:good"]
    assert any("command: 0/4 docs attempts merged" in e for e in role["evidence"])
    assert any("command:good: 4/4" in e for e in role["evidence"])
    assert '+docs = "command:good"' in data["files"][0]["diff"]

    proc = podium(calc_repo, "evolve", "--apply")
    assert proc.returncode == 0, proc.stderr
    toml = (calc_repo / "podium.toml").read_text()
    assert toml.startswith("# our settings\n") and '[roles]\ndocs = "command:good"\n' in toml
    git(calc_repo, "commit", "-qam", "podium evolve")

    status = run_plan(calc_repo, "docs3", [docs_task("api")])
    assert status["tasks"][0]["state"] == "merged"
    explained = podium(calc_repo, "explain", "api")
    assert "chosen by the role policy" in explained.stdout
    assert "[roles] docs = 'command:good'" in explained.stdout

    later = evolve_json(calc_repo)
    (effect,) = [e for e in later["effects"] if e["key"] == "roles.docs"]
    assert effect["before"] == [4, 8] and effect["after"] == [1, 1]
    assert not [p for p in later["proposals"] if p["key"] == "roles.docs"]


def test_attempts_the_silence_timeout_killed_ask_for_a_longer_one(calc_repo: Path) -> None:
    configure(calc_repo, "max_attempts = 2\n\n[timeouts]\nsilence = 2  # seconds\n")
    for run in ("slow1", "slow2"):
        tasks = [
            {"id": f"{run}-{i}", "goal": "write slowly", "files": [f"out/{run}-{i}.txt"],
             "command": agent("first-attempt-hang", "write", f"out/{run}-{i}.txt", "x\\n")}
            for i in (1, 2)
        ]  # fmt: skip
        run_plan(calc_repo, run, tasks)

    data = evolve_json(calc_repo)
    (silence,) = [p for p in data["proposals"] if p["key"] == "timeouts.silence"]
    table, key, value = silence["setting"]
    assert (table, key) == ("timeouts", "silence") and value >= 4
    assert silence["evidence"][0].startswith("4 attempts killed by the silence timeout (2s)")
    assert "of their tasks then merged on a later attempt taking" in silence["evidence"][1]
    assert f"-silence = 2  # seconds\n+silence = {value:.1f}  # seconds" in data["files"][0]["diff"]


def stray_task(id: str) -> dict[str, Any]:
    ops = ["write", f"notes/{id}.md", "n\\n", "write", "README.md", f"{id} was here\\n"]
    return {"id": id, "goal": f"note {id}", "files": [f"notes/{id}.md"], "command": agent(*ops)}


def test_repeated_ownership_violations_become_a_line_of_the_prompt(calc_repo: Path) -> None:
    configure(calc_repo, "max_attempts = 1\n")
    run_plan(calc_repo, "stray1", [stray_task("a"), stray_task("b"), stray_task("c")])
    run_plan(calc_repo, "stray2", [stray_task("d"), stray_task("e"), stray_task("f")])

    proc = podium(calc_repo, "evolve")
    assert proc.returncode == 0, proc.stderr
    line = "Change only the paths you own; earlier attempts were refused for editing README.md."
    assert f"tell agents: {line}" in proc.stdout
    assert (
        "+++ b/podium-prompt.md" in proc.stdout and '+template = "podium-prompt.md"' in proc.stdout
    )
    assert not (calc_repo / "podium-prompt.md").exists()  # a report writes nothing

    assert podium(calc_repo, "evolve", "--apply").returncode == 0
    git(calc_repo, "add", "-A")
    git(calc_repo, "commit", "-qm", "podium evolve")
    status = run_plan(calc_repo, "stray3", [stray_task("g")])
    prompt = calc_repo / ".podium" / "logs" / status["run"] / "g" / "a1.prompt.md"
    assert prompt.read_text().endswith(f"Lessons from earlier runs (podium evolve):\n- {line}\n")
    assert "Change only these paths (globs): notes/g.md." in prompt.read_text()


def test_too_little_history_proposes_nothing_and_says_why(calc_repo: Path) -> None:
    proc = podium(calc_repo, "evolve")
    assert proc.returncode == 0, proc.stderr
    assert "nothing proposed: too little history: 0 run(s)" in proc.stdout
    assert not (calc_repo / ".podium").exists()

    run_plan(calc_repo, "one", [stray_task("a")])
    data = evolve_json(calc_repo, "--apply")
    assert data["proposals"] == [] and not data["applied"]
    assert "1 more run(s)" in data["too_little"]
    assert not (calc_repo / "podium.toml").exists()


@pytest.mark.parametrize(
    ("template", "toml", "args", "message"),
    [
        ("{goal}\n{gaol}\n", '[prompt]\ntemplate = "prompt.md"\n', (), "prompt.md:2:1: unknown"),
        ("{goal!r}\n", '[prompt]\ntemplate = "prompt.md"\n', (), "placeholder {goal!r}"),
        ("{goal\n", '[prompt]\ntemplate = "prompt.md"\n', (), "prompt.md:1: "),
        ("", '[prompt]\ntemplate = "missing.md"\n', (), "template 'missing.md'"),
        ("", "[roles]\ndocs = 3\n", (), "[roles]: docs must be"),
        ("", "", ("--runs", "0"), "--runs"),
    ],
)
def test_bad_input_is_a_located_error_and_writes_nothing(
    calc_repo: Path, template: str, toml: str, args: tuple[str, ...], message: str
) -> None:
    (calc_repo / "prompt.md").write_text(template)
    (calc_repo / "podium.toml").write_text(toml)
    proc = podium(calc_repo, "evolve", "--apply", *args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (calc_repo / "podium.toml").read_text() == toml
    assert not (calc_repo / ".podium").exists()


def test_apply_refuses_a_podium_toml_changed_since_it_was_read(calc_repo: Path) -> None:
    from podium.api.evolve import apply_evolution, evolve
    from podium.errors import StateError

    configure(calc_repo, "max_attempts = 1\n")
    run_plan(calc_repo, "stray1", [stray_task("a"), stray_task("b"), stray_task("c")])
    run_plan(calc_repo, "stray2", [stray_task("d"), stray_task("e"), stray_task("f")])
    evolution = evolve(calc_repo)
    (calc_repo / "podium.toml").write_text("max_attempts = 3\n")  # someone else's edit
    with pytest.raises(StateError, match=r"podium\.toml changed since `podium evolve` read it"):
        apply_evolution(calc_repo, evolution, now=5000.0)
    assert (calc_repo / "podium.toml").read_text() == "max_attempts = 3\n"
    assert not (calc_repo / "podium-prompt.md").exists()
    assert not (calc_repo / ".podium" / "evolve").exists()
