"""The Gemini CLI adapter: stream-json read from captured lines, verdicts, launch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podium.agents.base import AgentEvent, Job
from podium.agents.gemini import GeminiAdapter, api_error, judge, parse_line
from podium.config import AgentConfig
from podium.plans.model import Task

NOW = 1_800_000_000.0

# Captured from gemini 0.61.0 against the scripted server (stats trimmed).
INIT = (
    '{"type":"init","timestamp":"2026-11-23T07:23:05.191Z",'
    '"session_id":"0d2a4326-fd46-4f39-97ca-16ff4a0afe28","model":"gemini-2.5-flash"}'
)
USER = '{"type":"message","timestamp":"2026-11-23T07:23:05.193Z","role":"user","content":"Go"}'
TOOL = (
    '{"type":"tool_use","timestamp":"2026-11-23T07:23:05.621Z","tool_name":"write_file",'
    '"tool_id":"write_file__write_file_1795418585389_0","parameters":'
    '{"file_path":"/tmp/cgq-cap/repo/src/feature.py","content":"X = 42\\n"}}'
)
TOOL_RESULT = (
    '{"type":"tool_result","timestamp":"2026-11-23T07:23:05.890Z",'
    '"tool_id":"write_file__write_file_1795418585389_0","status":"success"}'
)
TEXT = (
    '{"type":"message","timestamp":"2026-11-23T07:23:05.960Z","role":"assistant",'
    '"content":"Done.","delta":true}'
)
SUCCESS = (
    '{"type":"result","timestamp":"2026-11-23T07:23:05.963Z","status":"success","stats":'
    '{"total_tokens":24580,"input_tokens":24560,"output_tokens":20,"cached":0,"input":24560,'
    '"duration_ms":773,"tool_calls":1}}'
)
ZERO = '"stats":{"total_tokens":0,"input_tokens":0,"output_tokens":0,"cached":0,"input":0}}'
QUOTA = (
    '{"type":"result","timestamp":"2026-11-23T07:31:54.115Z","status":"error","error":'
    '{"type":"unknown","message":"[API Error: Quota exceeded for requests per day\\nSuggested'
    " retry after 3600s.]\\nPlease wait and try again later. To increase your limits, request a"
    ' quota increase through AI Studio, or switch to another /auth method"},' + ZERO
)
SERVER_ERROR = (
    '{"type":"result","timestamp":"2026-11-23T07:25:20.811Z","status":"error","error":'
    '{"type":"unknown","message":"[API Error: {\\"error\\":{\\"code\\":500,\\"message\\":'
    '\\"Internal Server Error (scripted error 500)\\",\\"status\\":\\"INTERNAL\\"}}]"},' + ZERO
)
DOWN = (
    '{"type":"result","timestamp":"2026-11-23T07:25:29.645Z","status":"error","error":'
    '{"type":"unknown","message":"[API Error: exception TypeError: fetch failed sending'
    ' request]"},' + ZERO
)
STDERR = "Attempt 1 failed: Quota exceeded"


def events(*lines: str) -> list[AgentEvent]:
    return [e for line in lines for e in parse_line(line, NOW)]


def test_parse_a_successful_run() -> None:
    assert events(INIT, USER, TOOL, TOOL_RESULT, TEXT, SUCCESS) == [
        AgentEvent("tool", "write_file /tmp/cgq-cap/repo/src/feature.py"),
        AgentEvent("text", "Done."),
        AgentEvent("usage", input_tokens=24560, output_tokens=20),
        AgentEvent("result", "success"),
    ]


def test_quota_error_is_a_rate_limit_with_its_reset() -> None:
    got = events(STDERR, QUOTA)
    assert [e.kind for e in got] == ["text", "usage", "error", "rate_limit", "result"]
    assert got[3].reset_at == NOW + 3600
    assert got[-1].is_error


def test_server_error_is_not_a_rate_limit() -> None:
    got = events(SERVER_ERROR)
    assert [e.kind for e in got] == ["usage", "error", "result"]
    assert got[1].text == "API error 500: Internal Server Error (scripted error 500)"


def test_error_events_by_severity() -> None:
    line = '{"type":"error","timestamp":"t","severity":"%s","message":"Loop detected"}'
    assert events(line % "error") == [AgentEvent("error", "Loop detected")]
    assert events(line % "warning") == [AgentEvent("text", "Loop detected")]


@pytest.mark.parametrize("line", ["", "{", '{"type":"result","stats":7,"error":"x"}'])
def test_parse_never_raises(line: str) -> None:
    assert all(isinstance(e, AgentEvent) for e in parse_line(line, NOW))


def test_verdicts_use_exit_codes_too() -> None:
    assert judge(0, events(TOOL, SUCCESS), NOW).ok
    assert (
        judge(173, events(QUOTA), NOW).reason == "gemini: rate limited until 09:00 UTC (HTTP 429)"
    )
    assert judge(244, events(SERVER_ERROR), NOW).reason == (
        "gemini: API error 500: Internal Server Error (scripted error 500)"
    )
    assert judge(1, events(DOWN), NOW).reason == (
        "gemini: API error: exception TypeError: fetch failed sending request"
    )
    assert judge(41, [], NOW).reason == "gemini: exited with status 41 (authentication failed)"
    assert judge(53, [], NOW).reason == "gemini: exited with status 53 (turn limit reached)"
    assert judge(0, events(TOOL), NOW).reason == "gemini: ended without a final result"
    assert GeminiAdapter().verdict(0, events(SUCCESS)).ok


def job(tmp_path: Path, config: AgentConfig | None = None) -> Job:
    task = Task("t1", "Add a feature")
    prompt = "-- a prompt that looks like flags --yolo"
    return Job(task, prompt, tmp_path / "p.md", tmp_path / "wt", tmp_path / "home", None, config)


def test_launch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "AIza-secret")
    config = AgentConfig(
        base_url="http://127.0.0.1:9999",
        api_key_env="MY_KEY",
        model="gemini-2.5-flash",
        args=("--include-directories", "../docs"),
        env=(("GEMINI_CLI_TRUST_WORKSPACE", "false"),),
    )
    launch = GeminiAdapter().launch(job(tmp_path, config))
    assert "AIza-secret" not in " ".join(launch.argv)
    assert launch.env["GEMINI_API_KEY"] == "AIza-secret"
    assert launch.env["GOOGLE_GEMINI_BASE_URL"] == "http://127.0.0.1:9999"
    assert launch.env["GEMINI_CLI_TRUST_WORKSPACE"] == "false"  # podium.toml's env wins
    assert launch.env["TMPDIR"] == str(tmp_path / "home" / "tmp")
    assert launch.argv[-1] == "--prompt=-- a prompt that looks like flags --yolo"
    assert launch.argv[-3:-1] == ("--include-directories", "../docs")
    assert launch.argv[launch.argv.index("--approval-mode") + 1] == "yolo"
    assert launch.argv[launch.argv.index("--output-format") + 1] == "stream-json"
    assert launch.model == "gemini-2.5-flash" and "gemini-2.5-flash" in launch.argv
    settings = json.loads(launch.files[str(tmp_path / "home" / ".gemini" / "settings.json")])
    assert settings["security"]["auth"]["selectedType"] == "gemini-api-key"
    assert settings["privacy"]["usageStatisticsEnabled"] is False
    assert settings["telemetry"]["enabled"] is False
    assert settings["general"]["enableAutoUpdate"] is False
    assert str(tmp_path / "home" / "tmp" / ".keep") in launch.files


def test_launch_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    launch = GeminiAdapter().launch(job(tmp_path))
    assert launch.model == "gemini-2.5-pro"
    assert "GEMINI_API_KEY" not in launch.env and "GOOGLE_GEMINI_BASE_URL" not in launch.env
    assert launch.env["GEMINI_CLI_TRUST_WORKSPACE"] == "true"


def test_api_error_forms() -> None:
    assert api_error("[API Error: 429 Slow down]\nPossible quota limits") == (429, "Slow down")
    body = '[API Error: {"error":{"code":500,"message":"Boom","status":"INTERNAL"}}]'
    assert api_error(body) == (500, "Boom")
    assert api_error("[API Error: Connection error. (cause: fetch failed)]") == (
        None,
        "Connection error. (cause: fetch failed)",
    )
    assert api_error("all fine") is None
