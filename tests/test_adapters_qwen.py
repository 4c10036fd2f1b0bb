"""The Qwen Code adapter: stream-json read from captured lines, verdicts, launch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podium.agents.base import AgentEvent, Job
from podium.agents.qwen import QwenAdapter, parse_line
from podium.agents.streamjson import judge
from podium.config import AgentConfig
from podium.plans.model import Task

NOW = 1_800_000_000.0

# Captured from qwen 0.15.10 against the scripted server (ids trimmed).
TOOL = (
    '{"type":"assistant","uuid":"46a3","session_id":"c87a","parent_tool_use_id":null,'
    '"message":{"id":"46a3","type":"message","role":"assistant","model":"fake-model","content":'
    '[{"type":"tool_use","id":"call_01KpDuUuVbDrk8VYsJaFMWAg","name":"write_file","input":'
    '{"file_path":"/tmp/cgq-cap/repo/src/feature.py","content":"X = 42\\n"}}],'
    '"stop_reason":"tool_use","usage":{"input_tokens":19684,"output_tokens":18,'
    '"cache_read_input_tokens":0,"total_tokens":19702}}}'
)
TOOL_RESULT = (
    '{"type":"user","uuid":"4186","session_id":"c87a","parent_tool_use_id":null,"message":'
    '{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_01KpDuUuVbDrk8VYsJaFMWAg",'
    '"is_error":false,"content":"Successfully created and wrote to new file."}]}}'
)
SUCCESS = (
    '{"type":"result","subtype":"success","uuid":"5209","session_id":"c87a","is_error":false,'
    '"duration_ms":720,"duration_api_ms":337,"num_turns":2,"result":"Done.","usage":'
    '{"input_tokens":39471,"output_tokens":20,"cache_read_input_tokens":0,"total_tokens":39491},'
    '"permission_denials":[]}'
)
LIMITED = (
    '{"type":"result","subtype":"success","uuid":"a125","session_id":"203e","is_error":false,'
    '"duration_ms":75941,"num_turns":1,"result":"[API Error: 429 Rate limit reached for'
    " requests]\\nPossible quota limitations in place or slow response times detected. Please"
    ' wait and try again later.","usage":{"input_tokens":0,"output_tokens":0,'
    '"cache_read_input_tokens":0},"permission_denials":[]}'
)
SERVER_ERROR = (
    '{"type":"result","subtype":"success","uuid":"1ce8","session_id":"4e92","is_error":false,'
    '"duration_ms":74482,"num_turns":1,"result":"[API Error: 500 Internal Server Error (scripted'
    ' error 500)]","usage":{"input_tokens":0,"output_tokens":0},"permission_denials":[]}'
)
DOWN = (
    '{"type":"result","subtype":"success","uuid":"0663","session_id":"b2de","is_error":false,'
    '"duration_ms":234,"num_turns":1,"result":"[API Error: Connection error. (cause: fetch'
    ' failed)]","usage":{"input_tokens":0,"output_tokens":0},"permission_denials":[]}'
)


def events(*lines: str) -> list[AgentEvent]:
    return [e for line in lines for e in parse_line(line, NOW)]


def test_parse_a_successful_run() -> None:
    assert events(TOOL, TOOL_RESULT, SUCCESS) == [
        AgentEvent("tool", "write_file /tmp/cgq-cap/repo/src/feature.py"),
        AgentEvent("usage", input_tokens=39471, output_tokens=20),
        AgentEvent("result", "Done."),
    ]


def test_api_error_text_marks_the_result_as_failed() -> None:
    got = events(LIMITED)
    assert [e.kind for e in got] == ["usage", "error", "rate_limit", "result"]
    assert got[1].text == "API error 429: Rate limit reached for requests"
    assert got[2].reset_at is None and got[-1].is_error
    assert [e.kind for e in events(SERVER_ERROR)] == ["usage", "error", "result"]


def test_a_reply_that_merely_mentions_an_api_error_is_fine() -> None:
    line = SUCCESS.replace('"Done."', '"Handled the [API Error: 500 x] case."')
    assert not events(line)[-1].is_error


@pytest.mark.parametrize("line", ["", "{", '{"type":"result","result":["x"],"is_error":"yes"}'])
def test_parse_never_raises(line: str) -> None:
    assert all(isinstance(e, AgentEvent) for e in parse_line(line, NOW))


def test_verdicts_despite_exit_0() -> None:
    assert judge("qwen", 0, events(TOOL, SUCCESS), NOW).ok
    assert judge("qwen", 0, events(LIMITED), NOW).reason == (
        "qwen: rate limited: API error 429: Rate limit reached for requests"
    )
    assert judge("qwen", 0, events(SERVER_ERROR), NOW).reason == (
        "qwen: API error 500: Internal Server Error (scripted error 500)"
    )
    assert judge("qwen", 0, events(DOWN), NOW).reason == (
        "qwen: API error: Connection error. (cause: fetch failed)"
    )
    assert not QwenAdapter().verdict(0, events(DOWN)).ok


def job(tmp_path: Path, config: AgentConfig | None = None, prompt: str = "Add it") -> Job:
    task = Task("t1", "Add a feature")
    return Job(task, prompt, tmp_path / "p.md", tmp_path / "wt", tmp_path / "home", None, config)


def test_launch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-secret")
    config = AgentConfig(
        base_url="http://127.0.0.1:9999/v1",
        api_key_env="MY_KEY",
        model="fake-model",
        args=("--max-session-turns", "20"),
        env=(("QWEN_CODE_MAX_OUTPUT_TOKENS", "8000"),),
    )
    launch = QwenAdapter().launch(job(tmp_path, config))
    assert "sk-secret" not in " ".join(launch.argv)
    assert launch.env["OPENAI_API_KEY"] == "sk-secret"
    assert launch.env["OPENAI_BASE_URL"] == "http://127.0.0.1:9999/v1"
    assert launch.env["QWEN_CODE_MAX_OUTPUT_TOKENS"] == "8000"
    assert launch.argv[launch.argv.index("--auth-type") + 1] == "openai"
    assert launch.argv[launch.argv.index("--approval-mode") + 1] == "yolo"
    assert launch.argv[launch.argv.index("--output-format") + 1] == "stream-json"
    assert launch.argv[-3:] == ("--max-session-turns", "20", "Add it")
    assert launch.model == "fake-model"
    settings = json.loads(launch.files[str(tmp_path / "home" / ".qwen" / "settings.json")])
    assert settings["privacy"]["usageStatisticsEnabled"] is False
    assert settings["telemetry"]["enabled"] is False
    assert settings["general"]["enableAutoUpdate"] is False
    assert settings["model"]["generationConfig"]["maxRetries"] == 0


def test_a_prompt_starting_with_a_dash_stays_a_prompt(tmp_path: Path) -> None:
    launch = QwenAdapter().launch(job(tmp_path, prompt="-v everything"))
    assert launch.argv[-1] == " -v everything"
    assert launch.model == "qwen3-coder-plus"
