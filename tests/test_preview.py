"""`podium run --dry-run`'s shape of a plan: waves, the critical path, serialized pairs."""

from __future__ import annotations

from podium.plans.model import Plan, Task
from podium.scheduling.preview import preview


def test_preview_of_a_small_plan() -> None:
    plan = Plan(
        "p",
        (
            Task("models", "m", files=("src/models.py",), complexity="low"),
            Task("api", "a", files=("src/api.py",), after=("models",), complexity="high"),
            Task("cli", "c", files=("src/*.py",)),
            Task("docs", "d", files=("docs/**",), after=("api",)),
        ),
    )
    shape = preview(plan)
    assert shape.waves == (("models", "cli"), ("api",), ("docs",))
    assert shape.critical_path == ("models", "api", "docs")
    assert shape.critical_minutes == 10 + 40 + 20
    assert ("api", "cli") in shape.serialized or ("cli", "api") in shape.serialized
    assert not any("docs" in pair for pair in shape.serialized)
