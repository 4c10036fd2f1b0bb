"""podium.toml edited in place: comments and order kept, one value changed, or a refusal."""

from __future__ import annotations

import pytest

from podium.evolve.changes import add_lessons, plan_edits
from podium.evolve.proposals import Proposal
from podium.evolve.tomledit import Unsupported, set_value

TOML = """# podium settings for calc
max_attempts = 2  # two tries

[timeouts]
# agents here are slow to start
silence = 60  # seconds
wall = 900

[worktrees]
shared = [".venv"]
"""


def test_a_value_is_replaced_on_its_line_with_its_comment() -> None:
    new = set_value(TOML, "timeouts", "silence", 200.0)
    assert new == TOML.replace("silence = 60  # seconds", "silence = 200.0  # seconds")


def test_a_missing_key_joins_its_table_and_a_missing_table_goes_at_the_end() -> None:
    assert set_value(TOML, "", "max_parallel", 3).startswith(
        "# podium settings for calc\nmax_attempts = 2  # two tries\nmax_parallel = 3\n\n[timeouts]"
    )
    assert set_value(TOML, "timeouts", "grace", 5).count("wall = 900\ngrace = 5\n") == 1
    assert set_value(TOML, "roles", "docs", "codex").endswith(
        '.venv"]\n\n[roles]\ndocs = "codex"\n'
    )
    assert set_value("", "roles", "my role", "codex") == '[roles]\n"my role" = "codex"\n'


def test_text_it_cannot_edit_with_certainty_is_refused() -> None:
    with pytest.raises(Unsupported):
        set_value("timeouts = { silence = 5 }\n", "timeouts", "silence", 10.0)
    with pytest.raises(Unsupported, match="several lines"):
        set_value('[retries]\nladder = [\n  "codex",\n]\n', "retries", "ladder", ["claude"])


def test_edits_carry_settings_and_lessons_with_a_diff() -> None:
    proposals = [
        Proposal("timeouts.silence", "t", (), "e", setting=("timeouts", "silence", 200.0)),
        Proposal("prompt.ownership", "t", (), "e", prompt_line="Keep to {files}."),
    ]
    edits = plan_edits(TOML, "", "", proposals)
    config, template = edits.files
    assert config.path == "podium.toml" and '+template = "podium-prompt.md"' in config.diff()
    assert template.old is None and template.diff().startswith(
        "--- /dev/null\n+++ b/podium-prompt.md"
    )
    assert template.new.endswith(
        "Lessons from earlier runs (podium evolve):\n- Keep to {{files}}.\n"
    )
    assert add_lessons(template.new, ["More."]).endswith("- Keep to {{files}}.\n- More.\n")
