"""`podium report`: the page of a real run, drawn by headless Chromium and kept as a screenshot."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from podium.api import Reader
from podium.store import Event, Store
from podium.ui import report

from conftest import CALC, PYTHON, agent, make_repo

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "bench" / "out"
# Only headless use: the headless shell (fewer packages) or the full browser, or PODIUM_CHROMIUM.
CHROMIUM = os.environ.get("PODIUM_CHROMIUM") or next(
    (p for p in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium") if Path(p).exists()),
    "/usr/bin/chromium-headless-shell",
)
PLANNING_USD = 0.25


def task(id: str, ops: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": id, "goal": f"do {id}", "agent": "command", "command": agent(*ops), **extra}


def sample_plan() -> dict[str, Any]:
    """Three waves; a retry, a failed check, a blocked task; sleeps to show parallelism."""
    return {
        "name": "sample",
        "agent": "command",
        "max_parallel": 3,
        "budget_usd": 3.0,
        "gates": [f"{PYTHON} -c 'import calc.core'"],
        "tasks": [
            task("models", ["sleep", "1.2", "write", "calc/models.py", "M = 1\\n"],
                 checks=[{"path_exists": "calc/models.py"}]),
            task("utils", ["sleep", "0.6", "write", "calc/utils.py", "U = 1\\n"]),
            task("flaky", ["say", "trying", "sleep", "0.3", "exit", "3"]),
            task("api", ["sleep", "0.8", "write", "calc/api.py", "A = 1\\n"], after=["models"],
                 checks=[{"command": f"{PYTHON} -c 'import calc.api'"}]),
            task("cli", ["sleep", "0.5", "write", "calc/cli.py", "C = 1\\n"], after=["utils"],
                 checks=[{"file_contains": {"path": "calc/cli.py", "text": "main"}}]),
            task("docs", ["write", "docs/x.md", "x\\n"], after=["flaky"]),
            task("release", ["sleep", "0.4", "write", "notes/r.md", "r\\n"],
                 after=["api", "utils"]),
        ],
    }  # fmt: skip


def isolate(mp: pytest.MonkeyPatch, home: Path) -> None:
    """What conftest's isolated_home does, for a fixture that outlives one test."""
    mp.setenv("HOME", str(home))
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    (home / ".gitconfig").write_text("[user]\n\tname = Test\n\temail = test@example.com\n")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real run of the sample plan; the command agent reports no usage, so the costs of
    priced agents are written into its attempts afterwards (tokens and dollars, as an
    adapter's usage events would have)."""
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, tmp_path_factory.mktemp("home"))
        path = make_repo(tmp_path_factory.mktemp("report") / "calc", CALC)
        (path / "plan.yaml").write_text(yaml.safe_dump(sample_plan(), sort_keys=False))
        proc = subprocess.run(
            [sys.executable, "-m", "podium", "run", "plan.yaml"],
            cwd=path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        store = Store(path / ".podium" / "podium.db")
        for i, a in enumerate(store.attempts("r1")):
            model = "openrouter/anthropic/claude-sonnet-4.5" if i % 2 else "opus-4"
            tokens = {"input_tokens": 4000 + 900 * i, "output_tokens": 600 + 150 * i}
            store.update_attempt(
                "r1", a.task_id, a.n, model=model, cost_usd=0.1 + 0.07 * i, **tokens
            )
        planning = {"cost_usd": PLANNING_USD, "input_tokens": 9000, "output_tokens": 800}
        store.add_event("r1", None, 1.0, "run.coordination", planning)  # as `podium -g` records
        store.close()
        yield path


def test_phases_follow_the_state_events() -> None:
    def ev(i: int, task: str, at: float, to: str, **data: Any) -> Event:
        return Event(i, "r1", task, at, "task.state", {"to": to, **data})

    events = [
        ev(1, "a", 0.0, "running", attempt=1),
        ev(2, "b", 0.5, "running", attempt=1),
        ev(3, "a", 1.0, "pending"),
        ev(4, "a", 1.5, "running", attempt=2),
        ev(5, "a", 2.0, "verifying"),
        ev(6, "a", 3.0, "merging"),
        ev(7, "a", 3.5, "merged"),
    ]
    got = [(p.task, p.n, p.kind, p.start, p.end) for p in report.phases(events, end=9.0)]
    assert got == [
        ("a", 1, "agent", 0.0, 1.0),
        ("b", 1, "agent", 0.5, 9.0),  # still running when the events end
        ("a", 2, "agent", 1.5, 2.0),
        ("a", 2, "verify", 2.0, 3.0),
        ("a", 2, "merge", 3.0, 3.5),
    ]


def test_pack_reuses_the_lowest_free_slot() -> None:
    spans = [(0.0, 4.0), (1.0, 2.0), (2.0, 3.0), (3.5, 5.0), (4.0, 6.0), (0.5, 1.5)]
    assert report.pack(spans) == [0, 2, 1, 1, 0, 1]
    assert report.pack([]) == []


def test_layout_puts_waves_in_columns_and_children_near_parents() -> None:
    deps = {"a": (), "b": (), "c": ("b",), "d": ("a",), "e": ("c", "d")}
    assert report.layout(deps) == {
        "a": (0, 0),
        "b": (0, 1),
        "d": (1, 0),  # beside a
        "c": (1, 1),  # beside b
        "e": (2, 0),
    }


def test_report_data_of_a_real_run(repo: Path) -> None:
    with Reader(repo / ".podium" / "podium.db") as reader:
        record = reader.record("r1")
    data = report.report_data(record)
    attempts = list(record.attempts)
    tasks = {t["id"]: t for t in data["tasks"]}
    assert {t: v["state"] for t, v in tasks.items()} == {
        "models": "merged", "utils": "merged", "flaky": "failed", "api": "merged",
        "cli": "failed", "docs": "blocked", "release": "merged",
    }  # fmt: skip
    assert [a["result"] for a in tasks["flaky"]["attempts"]] == ["agent_failed"] * 2
    assert tasks["cli"]["checks"][0]["ok"] is False
    assert tasks["models"]["checks"][0]["checks"][0] == {
        "name": "path_exists calc/models.py", "ok": True, "detail": ""
    }  # fmt: skip
    for merged in ("models", "utils", "api", "release"):  # gated in the merge queue
        assert tasks[merged]["merges"][-1]["status"] == "merged"
        assert [b["status"] for b in tasks[merged]["batches"]] == ["merged"]
    # Parallel, and never more agents at once than max_parallel. The timeline may show more
    # rows: a task waiting in the merge queue holds no slot (its dependents may start).
    assert data["slots"] >= 2
    edges = sorted(
        [(a.started_at, 1) for a in attempts]
        + [(a.finished_at or a.started_at, -1) for a in attempts]
    )
    running = [0]
    for _, step in edges:
        running.append(running[-1] + step)
    assert 2 <= max(running) <= 3
    assert (tasks["release"]["wave"], tasks["docs"]["wave"]) == (2, 1)
    total = sum(a.cost_usd for a in attempts)
    for key in ("task", "agent", "model"):
        assert sum(r["cost"] for r in data["costs"][key]) == pytest.approx(total)
    assert [r["name"] for r in data["costs"]["agent"]] == ["command"]
    assert data["coordination"] == {"calls": 1, "cost": PLANNING_USD}


def test_the_report_command_writes_one_self_contained_file(repo: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "podium", "report"], cwd=repo, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    page = (repo / ".podium" / "reports" / "r1.html").read_text()
    assert "wrote" in proc.stdout and "r1.html" in proc.stdout
    assert not re.search(r"<link|<img|\bsrc=|url\((?!#)|@import|fetch\(", page)
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {"http://www.w3.org/2000/svg"}
    bad = subprocess.run(
        [sys.executable, "-m", "podium", "report", "r9"], cwd=repo, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "no run 'r9' (known: r1)" in bad.stderr


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs chromium-headless-shell")
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}",
    ]  # fmt: skip
    env = {**os.environ, "HOME": str(profile)}
    return subprocess.run(
        [CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_chromium_draws_the_timeline_and_the_graph(repo: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert (
        subprocess.run(
            [sys.executable, "-m", "podium", "report", "-o", str(page)], cwd=repo
        ).returncode
        == 0
    )
    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile").stdout
    assert 'data-drawn="yes"' in dom  # the script ran to its end
    store = Store(repo / ".podium" / "podium.db")
    attempts = {(a.task_id, str(a.n)) for a in store.attempts("r1")}
    store.close()
    timeline = dom.split('id="timeline"')[1].split('id="timeline-legend"')[0]
    bars = re.findall(
        r'<rect class="bar (\w+)"[^>]*data-task="([^"]+)" data-attempt="(\d+)"', timeline
    )
    assert {(task, n) for _, task, n in bars} == attempts  # every attempt is on the timeline
    assert {kind for kind, _, _ in bars} == {"agent", "verify", "merge"}
    graph = dom.split('id="graph"')[1].split("</svg>")[0]
    assert len(re.findall(r'<g class="node" data-task="', graph)) == 7
    edges = re.findall(r'data-from="([^"]+)" data-to="([^"]+)"', graph)
    assert sorted(edges) == sorted(
        [("models", "api"), ("utils", "cli"), ("flaky", "docs"), ("api", "release"),
         ("utils", "release")]
    )  # fmt: skip
    assert dom.count('<details class="task"') == 7 and "does not contain 'main'" in dom
    assert dom.count("on the combined tree (1 gate)") == 4  # the four merged tasks
    shot = SHOTS / "report.png"
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot.unlink(missing_ok=True)
    chromium(
        f"--screenshot={shot}", "--window-size=1400,1000", page.as_uri(), profile=tmp_path / "p2"
    )
    assert shot.stat().st_size > 20_000
    shutil.copy(page, SHOTS / "report.html")
    print(f"report screenshot: {shot} (page: {SHOTS / 'report.html'})")


MEASURE = """<script>
for (const box of document.querySelectorAll("#costs > div[data-costs]")) {
  const t = box.querySelector("table");
  box.setAttribute("data-fits", t.scrollWidth <= box.clientWidth ? "yes" : "no");
  box.setAttribute("data-inside", box.getBoundingClientRect().right <= innerWidth ? "yes" : "no");
}
</script></body>"""


def test_the_total_counts_planning_and_every_cost_table_fits_at_1200px(
    repo: Path, tmp_path: Path
) -> None:
    """The cards' total is what `podium cost` calls the total (agents + planning), money has
    one precision, and the cost tables (long model names included) fit a 1200 px window."""
    page = tmp_path / "report.html"
    done = subprocess.run([sys.executable, "-m", "podium", "report", "-o", str(page)], cwd=repo)
    assert done.returncode == 0
    measured = tmp_path / "measured.html"
    measured.write_text(page.read_text().replace("</body>", MEASURE, 1))
    dom = chromium(
        "--window-size=1200,900", "--dump-dom", measured.as_uri(), profile=tmp_path / "profile"
    ).stdout
    assert 'data-drawn="yes"' in dom
    for key in ("task", "agent", "model"):
        found = re.search(rf'data-costs="{key}" data-fits="(\w+)" data-inside="(\w+)"', dom)
        assert found and found.groups() == ("yes", "yes"), (key, found and found.groups())
    with Reader(repo / ".podium" / "podium.db") as reader:
        record = reader.record("r1")
    total = sum(a.cost_usd for a in record.attempts) + PLANNING_USD
    assert f"<b>${total:.4f} of $3.0000</b>" in dom
    assert f"(planning ${PLANNING_USD:.4f} included)" in dom
    assert f"planning: ${PLANNING_USD:.4f} (1 call, not in the tables above)" in dom
    amounts = re.findall(r"\$\d+\.(\d+)", dom.split('id="costs"')[1])
    assert amounts and {len(cents) for cents in amounts} == {4}
    cost = subprocess.run(
        [sys.executable, "-m", "podium", "cost", "r1"], cwd=repo, capture_output=True, text=True
    ).stdout
    assert f"${total:.4f} in all" in cost
