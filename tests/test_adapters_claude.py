"""The Claude Code adapter: its stream read from captured lines, its verdicts, its launch."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.agents.base import AgentEvent, Job
from podium.agents.claude import ClaudeAdapter, parse_line
from podium.agents.streamjson import judge
from podium.config import AgentConfig
from podium.plans.model import Task

NOW = 1_800_000_000.0  # 2027-01-15 08:00 UTC

# Captured from claude 2.1.197 against the scripted server (long fields trimmed).
TOOL_USE = (
    '{"type":"assistant","message":{"id":"msg_01Kump","type":"message","role":"assistant",'
    '"model":"claude-sonnet-4-5","content":[{"type":"tool_use","id":"toolu_01XM","name":"Write",'
    '"input":{"file_path":"/tmp/cap/repo/src/feature.py","content":"X = 42\\n"}}],'
    '"stop_reason":null,"usage":{"input_tokens":28976,"output_tokens":1,'
    '"cache_creation_input_tokens":0,"cache_read_input_tokens":0}},"parent_tool_use_id":null}'
)
TEXT = (
    '{"type":"assistant","message":{"id":"msg_01keOM","type":"message","role":"assistant",'
    '"model":"claude-sonnet-4-5","content":[{"type":"text","text":"Done."}],"stop_reason":null,'
    '"usage":{"input_tokens":29080,"output_tokens":1}}}'
)
SUCCESS = (
    '{"type":"result","subtype":"success","is_error":false,"api_error_status":null,'
    '"duration_ms":297,"num_turns":2,"result":"Done.","stop_reason":"end_turn",'
    '"total_cost_usd":0.17445300000000002,"usage":{"input_tokens":58056,'
    '"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":19,'
    '"service_tier":"standard"},"modelUsage":{"claude-sonnet-4-5":{"inputTokens":58056,'
    '"outputTokens":19,"costUSD":0.17445300000000002}},"permission_denials":[]}'
)
RETRY_429 = (
    '{"type":"system","subtype":"api_retry","attempt":1,"max_retries":1,'
    '"retry_delay_ms":2000,"error_status":429,"error":"rate_limit"}'
)
RETRY_500 = (
    '{"type":"system","subtype":"api_retry","attempt":1,"max_retries":1,'
    '"retry_delay_ms":609.4154366579726,"error_status":500,"error":"server_error"}'
)
FAILED_429 = (
    '{"type":"result","subtype":"success","is_error":true,"api_error_status":429,'
    '"num_turns":1,"result":"API Error: Request rejected (429) \\u00b7 Rate limited",'
    '"total_cost_usd":0,"usage":{"input_tokens":0,"output_tokens":0}}'
)
FAILED_500 = (
    '{"type":"result","subtype":"success","is_error":true,"api_error_status":500,'
    '"num_turns":1,"result":"API Error: 500 Internal Server Error (scripted error 500). This is a'
    ' server-side issue, usually temporary \\u2014 try again in a moment.","total_cost_usd":0,'
    '"usage":{"input_tokens":0,"output_tokens":0}}'
)
FAILED_DOWN = (
    '{"type":"result","subtype":"success","is_error":true,"api_error_status":null,'
    '"num_turns":1,"result":"API Error: Unable to connect to API (ConnectionRefused)",'
    '"total_cost_usd":0,"usage":{"input_tokens":0,"output_tokens":0}}'
)


def events(*lines: str) -> list[AgentEvent]:
    return [e for line in lines for e in parse_line(line, NOW)]


def test_parse_tool_call_and_text() -> None:
    assert events(TOOL_USE, TEXT) == [
        AgentEvent("tool", "Write /tmp/cap/repo/src/feature.py"),
        AgentEvent("text", "Done."),
    ]


def test_usage_comes_from_the_result_only_with_claude_s_own_cost() -> None:
    (usage,) = [e for e in events(TOOL_USE, TEXT, SUCCESS) if e.kind == "usage"]
    assert (usage.input_tokens, usage.output_tokens) == (58056, 19)
    assert usage.cost_usd == pytest.approx(0.174453)


def test_cache_tokens_count_as_input() -> None:
    line = '{"type":"result","is_error":false,"result":"ok","usage":{"input_tokens":10,'
    line += '"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":3}}'
    (usage, _) = events(line)
    assert (usage.input_tokens, usage.output_tokens, usage.cost_usd) == (115, 3, None)


def test_retry_on_429_carries_the_reset_time() -> None:
    assert events(RETRY_429) == [AgentEvent("rate_limit", "HTTP 429, retry 1/1", reset_at=NOW + 2)]
    assert events(RETRY_500) == [AgentEvent("text", "retrying after API error 500 (1/1)")]


def test_api_errors_become_error_events() -> None:
    kinds = [(e.kind, e.text, e.is_error) for e in events(FAILED_500)]
    assert ("error", "API error 500: Internal Server Error (scripted error 500).", False) in kinds
    assert kinds[-1][0] == "result" and kinds[-1][2] is True
    assert [e.kind for e in events(FAILED_429)] == ["usage", "error", "rate_limit", "result"]


def test_subscription_limit_event() -> None:
    line = '{"type":"rate_limit_event","rate_limit_info":{"status":"rejected",'
    line += '"resetsAt":1800003600,"rateLimitType":"five_hour"}}'
    assert events(line) == [
        AgentEvent("rate_limit", "usage limit reached (five_hour)", reset_at=1800003600)
    ]
    assert events(line.replace("rejected", "allowed_warning")) == []


@pytest.mark.parametrize(
    "line",
    ["", "   ", "{", "[1, 2]", '{"type": "result", "usage": "x", "result": 5}', '{"type": 3}'],
)
def test_parse_never_raises(line: str) -> None:
    assert all(isinstance(e, AgentEvent) for e in parse_line(line, NOW))


def test_plain_lines_are_text() -> None:
    assert events("Error: something odd") == [AgentEvent("text", "Error: something odd")]


def verdict(exit_code: int, *lines: str) -> tuple[bool, str]:
    v = judge("claude", exit_code, events(*lines), NOW)  # what ClaudeAdapter.verdict does
    return v.ok, v.reason


def test_verdicts() -> None:
    assert verdict(0, TOOL_USE, TEXT, SUCCESS) == (True, "")
    assert verdict(1, RETRY_429, FAILED_429) == (False, "claude: rate limited until 08:00 UTC")
    assert verdict(1, RETRY_500, FAILED_500)[1] == (
        "claude: API error 500: Internal Server Error (scripted error 500)."
    )
    assert verdict(1, FAILED_DOWN)[1] == (
        "claude: API Error: Unable to connect to API (ConnectionRefused)"
    )
    assert verdict(0, FAILED_500)[0] is False  # is_error decides, not the exit code
    assert verdict(0, TOOL_USE) == (False, "claude: ended without a final result")
    assert verdict(-9) == (False, "claude: exited with status -9")
    assert ClaudeAdapter().verdict(0, events(SUCCESS)).ok


def job(tmp_path: Path, config: AgentConfig | None = None, model: str | None = None) -> Job:
    task = Task("t1", "Add a feature")
    prompt = "-x looks like a flag"
    return Job(task, prompt, tmp_path / "p.md", tmp_path / "wt", tmp_path / "home", model, config)


def test_launch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-ant-secret")
    config = AgentConfig(
        base_url="http://127.0.0.1:9999",
        api_key_env="MY_KEY",
        model="claude-opus-4-1",
        args=("--allowedTools", "Bash"),
        env=(("CLAUDE_CODE_MAX_RETRIES", "0"),),
    )
    launch = ClaudeAdapter().launch(job(tmp_path, config))
    assert "sk-ant-secret" not in " ".join(launch.argv)
    assert launch.env["ANTHROPIC_API_KEY"] == "sk-ant-secret"
    assert launch.env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9999"
    assert launch.env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1"
    assert launch.env["DISABLE_TELEMETRY"] == launch.env["DISABLE_AUTOUPDATER"] == "1"
    assert launch.env["CLAUDE_CODE_MAX_RETRIES"] == "0"  # podium.toml's env wins
    assert launch.argv[:2] == ("claude", "-p")
    assert launch.argv[-4:] == ("--allowedTools", "Bash", "--", "-x looks like a flag")
    assert launch.argv[5:7] == ("--permission-mode", "acceptEdits")
    assert "stream-json" in launch.argv and "--verbose" in launch.argv
    assert launch.model == "claude-opus-4-1" and "claude-opus-4-1" in launch.argv
    assert not launch.inherit_env


def test_launch_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    launch = ClaudeAdapter().launch(job(tmp_path, None, model="haiku"))
    assert launch.model == "haiku"
    assert "ANTHROPIC_API_KEY" not in launch.env and "ANTHROPIC_BASE_URL" not in launch.env
    assert ClaudeAdapter().launch(job(tmp_path)).model == "claude-sonnet-4-5"
    config = AgentConfig(bin="/opt/claude/bin/claude")
    assert ClaudeAdapter().launch(job(tmp_path, config)).argv[0] == "/opt/claude/bin/claude"
