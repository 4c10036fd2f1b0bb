"""The aider adapter: lines aider 0.86.2 printed (with its analytics log on stdout)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podium.agents.aider import AiderAdapter, context_files, parse_line
from podium.agents.base import AgentEvent, Job
from podium.config import AgentConfig
from podium.plans.model import Task

NOW = 1_795_418_400.0
SECRET = "sk-very-secret"

# Captured: `aider ... --analytics-log /dev/stdout --message ...` creating notes.txt.
SESSION = """\
{"event": "launched", "properties": {}, "user_id": "fa3db290-a639-4d09-b480-d12f3c66c8c6", "time": 1795418956}
Analytics have been permanently disabled.

Update git name with: git config user.name "Your Name"
Aider v0.86.2
Model: openai/fake-model with diff edit format
Git repo: .git with 1 files
Repo-map: disabled
{"event": "message_send_starting", "properties": {}, "user_id": "fa3db290-a639-4d09-b480-d12f3c66c8c6", "time": 1795418961}
notes.txt
```
<<<<<<< SEARCH
=======
hello world
>>>>>>> REPLACE
```

Tokens: 2.7k sent, 18 received. Cost: $0.0084 message, $0.0084 session.
{"event": "message_send", "properties": {"main_model": "openai/fake-model", "weak_model": "openai/fake-model", "editor_model": "openai/fake-model", "edit_format": "diff", "prompt_tokens": 2696, "completion_tokens": 18, "total_tokens": 2714, "cost": 0.008357999999999999, "total_cost": 0.008357999999999999}, "user_id": "fa3db290-a639-4d09-b480-d12f3c66c8c6", "time": 1795418962}
Applied edit to notes.txt
{"event": "exit", "properties": {"reason": "Completed --message"}, "user_id": "fa3db290-a639-4d09-b480-d12f3c66c8c6", "time": 1795418962}
"""  # noqa: E501 (lines as aider printed them)
RATE_LIMITED = [
    "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for",
    "requests",
    "The API provider has rate limited you. Try again later or check your quotas.",
    "Retrying in 0.2 seconds...",
]
REFUSED = "litellm.InternalServerError: InternalServerError: OpenAIException - Connection "
BAD_REQUEST = "litellm.BadRequestError: OpenAIException - bad thing"


def events(lines: list[str]) -> list[AgentEvent]:
    return [e for line in lines for e in parse_line(line, NOW)]


def test_a_session_gives_exact_usage_the_edit_and_the_text() -> None:
    found = events(SESSION.splitlines())
    assert [e for e in found if e.kind == "usage"] == [
        AgentEvent("usage", input_tokens=2696, output_tokens=18, cost_usd=0.008357999999999999)
    ]
    assert [e for e in found if e.kind == "tool"] == [AgentEvent("tool", "edit notes.txt")]
    texts = [e.text for e in found if e.kind == "text"]
    assert "Tokens: 2.7k sent, 18 received. Cost: $0.0084 message, $0.0084 session." in texts
    assert not any(t.startswith("{") for t in texts)  # analytics events are not text
    assert AiderAdapter().verdict(0, found).ok


def test_api_errors_and_rate_limits() -> None:
    limited = events(RATE_LIMITED)
    assert [e.kind for e in limited] == ["error", "rate_limit", "text", "text", "text"]
    assert limited[1].reset_at is None and "Rate limit reached" in limited[1].text
    assert parse_line(REFUSED, NOW) == [AgentEvent("error", REFUSED.strip())]
    assert parse_line(BAD_REQUEST, NOW) == [AgentEvent("error", BAD_REQUEST)]
    later = parse_line("litellm.RateLimitError: Please try again in 20s.", NOW)
    assert later[1].reset_at == NOW + 20


def test_verdict_fails_an_api_error_even_with_exit_status_0() -> None:
    adapter = AiderAdapter()
    refused = adapter.verdict(0, events([BAD_REQUEST]))
    assert not refused.ok and refused.reason == f"aider: {BAD_REQUEST}"
    limited = adapter.verdict(0, events(RATE_LIMITED))
    assert not limited.ok and limited.reason.startswith(
        "aider: rate limited: litellm.RateLimitError"
    )
    # A retry that went through: the edit was applied after the error.
    assert adapter.verdict(0, events([*RATE_LIMITED, "Applied edit to notes.txt"])).ok
    assert adapter.verdict(1, []).reason == "aider: exited with status 1"
    assert adapter.verdict(0, []).ok  # nothing applied: the engine sees no change and fails it


def job(tmp_path: Path, files: tuple[str, ...] = (), config: AgentConfig | None = None) -> Job:
    task = Task(id="feature", goal="Add a feature", files=files)
    worktree = tmp_path / "wt"
    return Job(
        task, "-Add a feature\n", tmp_path / "p.md", worktree, tmp_path / "home", None, config
    )


def test_launch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_GATEWAY_KEY", SECRET)
    (tmp_path / "wt" / "src").mkdir(parents=True)
    (tmp_path / "wt" / "src" / "app.py").write_text("X = 1\n")
    config = AgentConfig(
        base_url="http://127.0.0.1:8080",
        api_key_env="MY_GATEWAY_KEY",
        model="qwen3-coder",
        args=("--edit-format", "whole"),
        env=(("AIDER_DARK_MODE", "1"),),
    )
    files = ("src/app.py", "src/new.py", "src/*.py", "src")
    launch = AiderAdapter().launch(job(tmp_path, files, config))
    argv = launch.argv
    assert not any(SECRET in arg for arg in argv)
    assert launch.env == {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "OPENAI_API_KEY": SECRET,
        "OPENAI_API_BASE": "http://127.0.0.1:8080/v1",
        "AIDER_DARK_MODE": "1",
    }
    assert argv[0] == "aider" and argv[argv.index("--model") + 1] == "openai/qwen3-coder"
    assert launch.model == "qwen3-coder"
    for flag in ("--no-stream", "--yes-always", "--no-auto-commits", "--analytics-disable"):
        assert flag in argv
    assert argv[argv.index("--analytics-log") + 1] == "/dev/stdout"
    assert argv[argv.index("--map-tokens") + 1] == "0"
    home = tmp_path / "home"
    assert argv[argv.index("--chat-history-file") + 1].startswith(str(home))
    assert argv[argv.index("--input-history-file") + 1].startswith(str(home))
    # podium.toml args come after podium's (the last --edit-format wins), then the prompt as
    # one argument, then the literal files that exist.
    assert argv[-4:] == ("--edit-format", "whole", "--message=-Add a feature\n", "src/app.py")
    metadata = argv[argv.index("--model-metadata-file") + 1]
    info = json.loads(launch.files[metadata])["openai/qwen3-coder"]
    assert info["litellm_provider"] == "openai" and info["input_cost_per_token"] > 0
    assert launch.files[str(home / ".aider/caches/model_prices_and_context_window.json")] == "{}"


def test_launch_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    launch = AiderAdapter().launch(job(tmp_path))
    assert "OPENAI_API_BASE" not in launch.env and "OPENAI_API_KEY" not in launch.env
    assert launch.model == "gpt-5.5"
    metadata = launch.argv[launch.argv.index("--model-metadata-file") + 1]
    info = json.loads(launch.files[metadata])["openai/gpt-5.5"]
    assert (info["input_cost_per_token"], info["output_cost_per_token"]) == (1.25e-6, 1e-5)


def test_context_files_are_existing_literal_files(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("a\n")
    (tmp_path / "b[1].md").write_text("b\n")
    outside = str(tmp_path / "docs" / "a.md")
    owned = ["docs/a.md", "docs", "docs/*.md", "b[1].md", "new/c.md", "docs/?.md", outside]
    owned += ["docs/../docs/a.md"]
    assert context_files(owned, tmp_path) == ["docs/a.md"]


def fake_cli(tmp_path: Path, version: str) -> str:
    path = tmp_path / f"aider-{version}"
    path.write_text(f"#!/bin/sh\necho 'aider {version}'\n")
    path.chmod(0o755)
    return str(path)


def test_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = AiderAdapter()
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert adapter.available(AgentConfig(bin=str(tmp_path / "nope"))).why.startswith(
        "not installed"
    )
    unkeyed = adapter.available(AgentConfig(bin=fake_cli(tmp_path, "0.86.2")))
    assert unkeyed.why == "not authenticated: set OPENAI_API_KEY or [agents.aider] api_key_env"
    monkeypatch.setenv("GATEWAY", SECRET)
    assert adapter.available(
        AgentConfig(bin=fake_cli(tmp_path, "0.86.2"), api_key_env="GATEWAY")
    ).usable
    old = adapter.available(AgentConfig(bin=fake_cli(tmp_path, "0.85.1"), api_key_env="GATEWAY"))
    assert not old.usable and old.why.startswith("too old: 0.85.1")
