"""The Codex adapter: its `--json` stream read from captured lines, its verdicts, its launch."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import pytest

from podium.agents.base import AgentEvent, Job
from podium.agents.codex import CodexAdapter, parse_line
from podium.agents.streamjson import judge
from podium.config import AgentConfig
from podium.plans.model import Task

NOW = 1_800_000_000.0

# Captured from codex-cli 0.169.0 against the scripted server.
STARTED = '{"type":"thread.started","thread_id":"01a20748-24ea-7a71-8d8e-d6ad2c223ca5"}'
PATCH = (
    '{"type":"item.completed","item":{"id":"item_0","type":"file_change","changes":'
    '[{"path":"/tmp/cgq-cap/repo/src/feature.py","kind":"add"}],"status":"completed"}}'
)
MESSAGE = '{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"Done."}}'
COMPLETED = (
    '{"type":"turn.completed","usage":{"input_tokens":19564,"cached_input_tokens":0,'
    '"cache_write_input_tokens":0,"output_tokens":19,"reasoning_output_tokens":0}}'
)
RETRY_429 = (
    '{"type":"error","message":"Reconnecting... 1/2 (exceeded retry limit, last status: 429 Too'
    ' Many Requests, request id: req_019DjXTmelxBbfG2Gkb4sqof)"}'
)
FINAL_429 = (
    '{"type":"error","message":"exceeded retry limit, last status: 429 Too Many Requests,'
    ' request id: req_017XPyzx05QIbK5OrmsrUSee"}'
)
FAILED_429 = (
    '{"type":"turn.failed","error":{"message":"exceeded retry limit, last status: 429 Too Many'
    ' Requests, request id: req_017XPyzx05QIbK5OrmsrUSee"}}'
)
RETRY_500 = (
    '{"type":"error","message":"Reconnecting... 1/2 (We\\u2019re currently experiencing high'
    ' demand, which may cause temporary errors.)"}'
)
FAILED_500 = (
    '{"type":"turn.failed","error":{"message":"We\\u2019re currently experiencing high demand,'
    ' which may cause temporary errors."}}'
)
USAGE_LIMIT = (
    '{"type":"turn.failed","error":{"message":"You\\u2019ve hit your usage limit. Try again at'
    ' Jan 18th, 2027 8:23 AM."}}'
)
DOWN = (
    '{"type":"error","message":"Reconnecting... waiting for network (Connection failed: error'
    ' sending request)"}'
)
NOISE = "Reading additional input from stdin..."


def events(*lines: str) -> list[AgentEvent]:
    return [e for line in lines for e in parse_line(line, NOW)]


def test_parse_a_successful_turn() -> None:
    assert events(NOISE, STARTED, PATCH, MESSAGE, COMPLETED) == [
        AgentEvent("text", NOISE),
        AgentEvent("tool", "apply_patch add /tmp/cgq-cap/repo/src/feature.py"),
        AgentEvent("text", "Done."),
        AgentEvent("usage", input_tokens=19564, output_tokens=19),
        AgentEvent("result", "turn completed"),
    ]


def test_usage_is_the_sum_of_turns() -> None:
    usage = [e for e in events(COMPLETED, COMPLETED) if e.kind == "usage"]
    assert sum(e.input_tokens for e in usage) == 2 * 19564


def test_commands_and_other_items() -> None:
    line = '{"type":"item.completed","item":{"id":"i","type":"command_execution",'
    line += '"command":"bash -lc \'pytest -q\'","aggregated_output":"","exit_code":0}}'
    assert events(line) == [AgentEvent("tool", "shell bash -lc 'pytest -q'")]
    assert events('{"type":"item.completed","item":{"type":"reasoning","text":"hm"}}') == []


def test_429_retries_and_failure() -> None:
    got = events(RETRY_429, FINAL_429, FAILED_429)
    assert [e.kind for e in got] == ["rate_limit", "error", "error", "rate_limit", "result"]
    assert all(e.reset_at is None for e in got)  # Codex drops the server's reset headers
    assert got[-1].is_error


def test_usage_limit_message_gives_the_reset_time() -> None:
    limit = [e for e in events(USAGE_LIMIT) if e.kind == "rate_limit"]
    assert limit[0].reset_at == time.mktime((2027, 1, 18, 8, 23, 0, 0, 0, -1))


def test_reconnect_notices_are_text() -> None:
    assert [e.kind for e in events(RETRY_500, DOWN)] == ["text", "text"]


@pytest.mark.parametrize("line", ["", "{", "[]", '{"type":"turn.completed","usage":[1]}'])
def test_parse_never_raises(line: str) -> None:
    assert all(isinstance(e, AgentEvent) for e in parse_line(line, NOW))


def test_verdicts() -> None:
    assert judge("codex", 0, events(PATCH, MESSAGE, COMPLETED), NOW).ok
    failed = judge("codex", 1, events(RETRY_500, FAILED_500), NOW)
    assert failed.reason == (
        "codex: We’re currently experiencing high demand, which may cause temporary errors."
    )
    limited = judge("codex", 1, events(RETRY_429, FINAL_429, FAILED_429), NOW).reason
    assert limited.startswith("codex: rate limited: exceeded retry limit, last status: 429")
    assert judge("codex", 1, events(USAGE_LIMIT), NOW).reason.startswith(
        "codex: rate limited until 2027-01-18 "
    )
    assert judge("codex", -15, events(DOWN, DOWN), NOW).reason == "codex: exited with status -15"
    assert CodexAdapter().verdict(0, events(COMPLETED)).ok


def job(tmp_path: Path, config: AgentConfig | None = None) -> Job:
    task = Task("t1", "Add a feature")
    prompt = "--help is not a flag here"
    return Job(task, prompt, tmp_path / "p.md", tmp_path / "wt", tmp_path / "home", None, config)


def test_launch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-secret")
    config = AgentConfig(
        base_url="http://127.0.0.1:9999/v1",
        api_key_env="MY_KEY",
        args=("-c", "model_providers.podium.request_max_retries=0"),
        env=(("RUST_LOG", "warn"),),
    )
    launch = CodexAdapter().launch(job(tmp_path, config))
    assert "sk-secret" not in " ".join(launch.argv)
    assert launch.env["OPENAI_API_KEY"] == "sk-secret"
    assert launch.env["RUST_LOG"] == "warn"
    home = tmp_path / "home" / ".codex"
    assert launch.env["CODEX_HOME"] == str(home)
    assert launch.argv[:3] == ("codex", "exec", "--json")
    for flag in ("--ephemeral", "--skip-git-repo-check"):
        assert flag in launch.argv
    assert launch.argv[launch.argv.index("--sandbox") + 1] == "workspace-write"
    assert launch.argv[-4:] == (
        "-c",
        "model_providers.podium.request_max_retries=0",
        "--",
        "--help is not a flag here",
    )
    config_toml = tomllib.loads(launch.files[str(home / "config.toml")])
    assert config_toml["model"] == launch.model == "gpt-5.5"
    assert config_toml["model_provider"] == "podium"
    assert config_toml["check_for_update_on_startup"] is False
    assert config_toml["analytics"] == {"enabled": False}
    assert config_toml["features"] == {"plugins": False}
    provider = config_toml["model_providers"]["podium"]
    assert provider["base_url"] == "http://127.0.0.1:9999/v1"
    assert provider["env_key"] == "OPENAI_API_KEY" and provider["wire_api"] == "responses"
    assert "sk-secret" not in launch.files[str(home / "config.toml")]


def test_launch_defaults_to_openai(tmp_path: Path) -> None:
    launch = CodexAdapter().launch(job(tmp_path, AgentConfig(model="gpt-5-mini")))
    config_toml = tomllib.loads(next(iter(launch.files.values())))
    assert config_toml["model_providers"]["podium"]["base_url"] == "https://api.openai.com/v1"
    assert launch.model == "gpt-5-mini" and "gpt-5-mini" in launch.argv
