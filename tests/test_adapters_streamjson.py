"""Helpers shared by the JSON-lines adapters: reset times, API errors, availability."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from podium.agents import streamjson as sj
from podium.config import AgentConfig

NOW = datetime(2027, 1, 15, 8, 0, 0, tzinfo=UTC).timestamp()


def local(year: int, month: int, day: int, hour: int, minute: int) -> float:
    return time.mktime((year, month, day, hour, minute, 0, 0, 0, -1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Claude AI usage limit reached|1800003600", 1800003600.0),
        ("limit resets at 2027-01-15T12:30:00Z", NOW + 4.5 * 3600),
        ("[API Error: Quota exceeded\nSuggested retry after 3600s.]", NOW + 3600),
        ("Please retry after 1.5s", NOW + 1.5),
        ("quota resets in 2h 3m", NOW + 2 * 3600 + 180),
        ("rate limited until 12:30 UTC", NOW + 4.5 * 3600),
        ("rate limited until 07:30 UTC", NOW + 23.5 * 3600),  # already past today: tomorrow
        ("Try again later.", None),
        ("exceeded retry limit, last status: 429 Too Many Requests", None),
        ("Retrying after 5015ms...", None),  # a backoff, not a reset
    ],
)
def test_reset_time(text: str, expected: float | None) -> None:
    assert sj.reset_time(text, NOW) == expected


def test_reset_time_in_local_time_as_codex_prints_it() -> None:
    now = local(2027, 1, 15, 8, 0)
    said = "You’ve hit your usage limit. Try again at 9:06 AM."
    assert sj.reset_time(said, now) == local(2027, 1, 15, 9, 6)
    said = "You’ve hit your usage limit. Try again at Jan 18th, 2027 8:23 PM."
    assert sj.reset_time(said, now) == local(2027, 1, 18, 20, 23)


def test_describe_reset() -> None:
    assert sj.describe_reset(NOW + 4.5 * 3600, NOW) == "until 12:30 UTC"
    assert sj.describe_reset(NOW + 3 * 86400, NOW) == "until 2027-01-18 08:00 UTC"


def test_tool_event_picks_the_telling_argument() -> None:
    assert sj.tool_event("Bash", {"command": "make test", "timeout": 5}).text == "Bash make test"
    assert sj.tool_event("shell", {"command": ["git", "status"]}).text == "shell git status"
    assert sj.tool_event("TodoWrite", {"todos": []}).text == "TodoWrite"
    assert sj.tool_event("x", "not a dict").text == "x"


def fake_cli(tmp_path: Path, name: str, output: str, code: int = 0) -> str:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\necho '{output}'\nexit {code}\n")
    path.chmod(0o755)
    return str(path)


def test_availability(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("MY_KEY", raising=False)
    missing = AgentConfig(bin=str(tmp_path / "nope"))
    why = sj.check("claude", missing, (2, 1), "ANTHROPIC_API_KEY").why
    assert why.startswith("not installed (`podium agents install claude`")
    old = AgentConfig(bin=fake_cli(tmp_path, "old", "2.0.9 (Claude Code)"))
    got = sj.check("claude", old, (2, 1), "ANTHROPIC_API_KEY")
    assert (got.usable, got.version, got.why) == (
        False,
        "2.0.9",
        "too old: 2.0.9, podium needs 2.1 or newer",
    )
    good = fake_cli(tmp_path, "good", "2.1.197 (Claude Code)")
    got = sj.check("claude", AgentConfig(bin=good), (2, 1), "ANTHROPIC_API_KEY")
    assert got.why == "not authenticated: set ANTHROPIC_API_KEY or [agents.claude] api_key_env"
    named = AgentConfig(bin=good, api_key_env="MY_KEY")
    got = sj.check("claude", named, (2, 1), "ANTHROPIC_API_KEY")
    assert got.why == "not authenticated: set MY_KEY ([agents.claude] api_key_env)"
    monkeypatch.setenv("MY_KEY", "k")
    assert sj.check("claude", named, (2, 1), "ANTHROPIC_API_KEY").usable
    broken = AgentConfig(bin=fake_cli(tmp_path, "broken", "segfault", code=3))
    assert "--version` failed: segfault" in sj.check("claude", broken, (2, 1), "X").why


def test_version_is_probed_once_per_binary(tmp_path: Path) -> None:
    path = fake_cli(tmp_path, "cli", "codex-cli 0.169.0")
    assert sj.probe_version(path) == ("0.169.0", "")
    Path(path).write_text("#!/bin/sh\necho 9.9.9\n")
    assert sj.probe_version(path) == ("0.169.0", "")
