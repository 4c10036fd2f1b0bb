"""The Copilot CLI adapter: lines Copilot 1.0.102 printed (BYOK) against the scripted server."""

from __future__ import annotations

import io
import json
import sys
import uuid
from pathlib import Path

import pytest

from podium.agents.base import AgentEvent, Job
from podium.agents.copilot import CopilotAdapter, copy_usage, main, parse_line, relay
from podium.config import AgentConfig
from podium.plans.model import Task

SECRET = "sk-very-secret"

# Captured from `copilot -p ... --output-format json` creating notes.txt, then failing.
MESSAGE = (
    '{"type":"assistant.message","data":{"messageId":"aa30f799-cc24-464c-94d5-05cdbd3af64e",'
    '"originatingMessageId":"ab01cfd9-d891-4064-9a19-902f92b8ee0f","model":"gpt-4.1","content":'
    '"Done.","toolRequests":[],"interactionId":"2590da62-952e-42d8-a328-170928c90084","turnId":'
    '"1","rte":false,"apiCallId":"chatcmpl-01qlPAm5V6zzKRT5beR5QpRc"},"id":'
    '"39cba5bc-56de-4c27-b471-63abf9566948","timestamp":"2026-11-23T07:27:55.338Z","parentId":'
    '"8bec6c54-d537-45ac-931b-0c40b19ccd4e"}'
)
TOOL_START = (
    '{"type":"tool.execution_start","data":{"toolCallId":"call_01MUGB0tomXuEz72RUTmh4bF",'
    '"toolName":"create","arguments":{"path":"/tmp/cap/repo/notes.txt","file_text":"hello world'
    '\\n"},"turnId":"0","model":"gpt-4.1","toolTitle":"Creating file"},"id":'
    '"734974a2-04be-4e67-92a7-9ad51ec9c1be","timestamp":"2026-11-23T07:27:55.316Z","parentId":'
    '"8c745991-f065-49e1-978d-615bf5f41df1"}'
)
RESULT = (
    '{"type":"result","timestamp":"2026-11-23T07:27:55.355Z","sessionId":'
    '"8d7653aa-6b79-4ad0-b55d-07c2483c7098","exitCode":0,"usage":{"premiumRequests":0,'
    '"totalApiDurationMs":28,"sessionDurationMs":379,"codeChanges":{"linesAdded":1,'
    '"linesRemoved":0,"filesModified":["/tmp/cap/repo/notes.txt"]}}}'
)
FAILED = RESULT.replace('"exitCode":0', '"exitCode":1')
RATE_LIMITED = (
    '{"type":"session.error","data":{"errorType":"rate_limit","message":"Failed to get response '
    "from the AI model; retried 5 times (total retry wait time: 5.30 seconds) Last error: 429 Rate "
    'limit reached for requests","statusCode":429,"originatingMessageId":'
    '"798eb778-31e5-4d06-9a13-3b4bc5a0fdcc"},"id":"bb6a076a-db88-4192-9566-d0573a6be123",'
    '"timestamp":"2026-11-23T07:29:57.951Z","parentId":"442685ef-56ef-49f3-816e-d2fe89df3255"}'
)
SERVER_ERROR = (
    '{"type":"session.error","data":{"errorType":"query","message":"Failed to get response from '
    "the AI model; retried 5 times (total retry wait time: 15.92 seconds) Last error: 500 Internal "
    'Server Error (scripted error 500)","statusCode":500,"originatingMessageId":'
    '"6eb9cfd3-6912-4521-9e3e-4eb9dfa8ec30"},"id":"5e033dee-8c4b-4437-a709-ca1562a25d9f",'
    '"timestamp":"2026-11-23T07:30:28.831Z","parentId":"2e695210-0b76-41d0-916e-ab8b44834c6b"}'
)
REFUSED = (
    '{"type":"session.error","data":{"errorType":"query","message":"Could not connect to local '
    "model provider at http://127.0.0.1:9/v1.\\n  Check that the service is running and the port "
    'is correct.","originatingMessageId":"dae04705-d5fd-4f44-b72c-c68cb693ff8e"},"id":'
    '"4e4db872-5903-42b5-aad5-9f54bde18743","timestamp":"2026-11-23T07:30:35.827Z"}'
)
# From ~/.copilot/session-state/<id>/events.jsonl (not printed in JSON mode).
USAGE_RECORD = (
    '{"type":"session.usage_record","data":{"usage":{"model":"gpt-4.1","modelDisplayName":'
    '"gpt-4.1","inputTokens":12121,"outputTokens":16,"cacheReadTokens":0,"cacheWriteTokens":0,'
    '"reasoningTokens":0,"cost":0.0,"duration":24,"timeToFirstTokenMs":21.731289,"initiator":'
    '"user","isByok":true,"byokKind":"local_user","providerType":"openai","maxPromptTokens":64000,'
    '"requestBodyBytes":48485,"apiCallId":"chatcmpl-01iZVStqyQqN5goSs0pWdOqo","apiEndpoint":'
    '"/chat/completions","accounting":{"sourceSessionId":"8d7653aa-6b79-4ad0-b55d-07c2483c7098",'
    '"sequence":1},"numToolCalls":1,"toolCounts":{"create":1},"finishReason":"tool_calls"}},'
    '"id":"35d5270b-7ba5-4005-aa41-d81365488fa9","timestamp":"2026-11-23T07:27:55.310Z"}'
)
OTHER = '{"type":"session.start","data":{"sessionId":"8d7653aa"},"id":"1"}'


def job(tmp_path: Path, config: AgentConfig | None = None) -> Job:
    task = Task(id="feature", goal="Add a feature")
    return Job(
        task,
        "-Add a feature\n",
        tmp_path / "p.md",
        tmp_path / "wt",
        tmp_path / "home",
        None,
        config,
    )


def test_text_tool_call_and_result() -> None:
    assert parse_line(MESSAGE) == [AgentEvent("text", "Done.")]
    assert parse_line(TOOL_START) == [AgentEvent("tool", "create /tmp/cap/repo/notes.txt")]
    assert parse_line(RESULT) == [AgentEvent("result", "exit code 0")]
    assert parse_line(FAILED) == [AgentEvent("result", "exit code 1", is_error=True)]
    assert parse_line(OTHER) == []
    assert parse_line("Error: odd") == [AgentEvent("text", "Error: odd")]


def test_a_usage_record_is_exact_usage_without_byok_s_zero_cost() -> None:
    assert parse_line(USAGE_RECORD) == [AgentEvent("usage", input_tokens=12121, output_tokens=16)]


def test_errors_say_the_last_error_and_a_429_is_a_rate_limit_without_reset() -> None:
    text = "API error 429: Rate limit reached for requests (after 5 retries)"
    assert parse_line(RATE_LIMITED) == [AgentEvent("error", text), AgentEvent("rate_limit", text)]
    text = "API error 500: Internal Server Error (scripted error 500) (after 5 retries)"
    assert parse_line(SERVER_ERROR) == [AgentEvent("error", text)]
    (refused,) = parse_line(REFUSED)
    assert refused.text.startswith(
        "Could not connect to local model provider at http://127.0.0.1:9"
    )


def test_verdict() -> None:
    adapter = CopilotAdapter()
    assert adapter.verdict(0, [*parse_line(MESSAGE), *parse_line(RESULT)]).ok
    failed = adapter.verdict(1, [*parse_line(SERVER_ERROR), *parse_line(FAILED)])
    assert failed.reason == "copilot: " + parse_line(SERVER_ERROR)[0].text
    limited = adapter.verdict(1, [*parse_line(RATE_LIMITED), *parse_line(FAILED)])
    assert limited.reason.startswith("copilot: rate limited: API error 429")
    assert not adapter.verdict(0, parse_line(MESSAGE)).ok  # no final result: it did not finish


def test_byok_launch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_GATEWAY_KEY", SECRET)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    config = AgentConfig(
        base_url="http://127.0.0.1:8080", api_key_env="MY_GATEWAY_KEY", args=("--stream", "off")
    )
    launch = CopilotAdapter().launch(job(tmp_path, config))
    assert not any(SECRET in arg for arg in launch.argv)
    assert launch.env == {
        "COPILOT_AUTO_UPDATE": "false",
        "COPILOT_PKG_CACHE_HOME": str(tmp_path / "cache" / "copilot"),
        "COPILOT_OFFLINE": "true",
        "COPILOT_PROVIDER_BASE_URL": "http://127.0.0.1:8080/v1",
        "COPILOT_PROVIDER_API_KEY": SECRET,
        "COPILOT_MODEL": "gpt-4.1",
    }
    assert launch.model == "gpt-4.1"
    python, dash_m, module, events, sep, copilot, prompt, *rest = launch.argv
    assert (python, dash_m, module, sep, copilot) == (
        sys.executable,
        "-m",
        "podium.agents.copilot",
        "--",
        "copilot",
    )
    assert prompt == "--prompt=-Add a feature\n"  # one argument, safe for a leading dash
    session = rest[rest.index("--session-id") + 1]
    uuid.UUID(session)
    assert events == str(
        tmp_path / "home" / ".copilot" / "session-state" / session / "events.jsonl"
    )
    assert rest[:4] == ["--allow-all", "--no-ask-user", "--output-format", "json"]
    assert rest[-2:] == ["--stream", "off"]


def test_github_launch_uses_a_token_and_copilot_s_own_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("COPILOT_GITHUB_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GH_TOKEN", SECRET)
    launch = CopilotAdapter().launch(
        job(tmp_path, AgentConfig(env=(("COPILOT_AUTO_UPDATE", "true"),)))
    )
    assert launch.env["COPILOT_GITHUB_TOKEN"] == SECRET
    assert "COPILOT_OFFLINE" not in launch.env and "COPILOT_MODEL" not in launch.env
    assert launch.env["COPILOT_AUTO_UPDATE"] == "true"
    assert launch.model is None
    assert not any(SECRET in arg for arg in launch.argv)


def test_copy_usage_takes_complete_lines_only(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    out = io.BytesIO()
    assert copy_usage(log, 0, out) == 0  # no log yet
    log.write_text(OTHER + "\n" + USAGE_RECORD + "\n" + USAGE_RECORD[:40])
    done = copy_usage(log, 0, out)
    assert done == len(OTHER) + len(USAGE_RECORD) + 2
    (line,) = out.getvalue().decode().splitlines()
    assert json.loads(line)["data"]["usage"]["inputTokens"] == 12121
    assert parse_line(line) == parse_line(USAGE_RECORD)
    assert len(line) < 512  # one short write into the pipe
    with log.open("a") as handle:
        handle.write(USAGE_RECORD[40:] + "\n")
    assert copy_usage(log, done, out) == log.stat().st_size
    assert len(out.getvalue().decode().splitlines()) == 2


FAKE_COPILOT = """\
import sys
log = open(sys.argv[1], "a")
for n in range(2):
    print('{"type":"assistant.turn_start"}', flush=True)
    log.write(sys.argv[2] + "\\n")
    log.flush()
print("a line on stderr", file=sys.stderr, flush=True)
print('{"type":"result","exitCode":3}', flush=True)
sys.exit(3)
"""


def test_relay_passes_output_through_and_adds_usage(tmp_path: Path) -> None:
    script = tmp_path / "fake_copilot.py"
    script.write_text(FAKE_COPILOT)
    log = tmp_path / "events.jsonl"
    out = io.BytesIO()
    code = relay(log, [sys.executable, str(script), str(log), USAGE_RECORD], out)
    assert code == 3
    events = [e for line in out.getvalue().decode().splitlines() for e in parse_line(line)]
    # Usage lines join the stream as they appear in the session log: any order, none lost.
    assert sorted(e.kind for e in events) == ["result", "text", "usage", "usage"]
    assert sum(e.input_tokens for e in events) == 2 * 12121


def test_relay_reports_a_missing_binary_and_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.BytesIO()
    assert relay(tmp_path / "e.jsonl", [str(tmp_path / "no-copilot")], out) == 127
    assert out.getvalue().startswith(b"podium: cannot start ")
    assert main(["events.jsonl", "copilot"]) == 2
    assert "usage:" in capsys.readouterr().err


def fake_cli(tmp_path: Path, version: str) -> str:
    path = tmp_path / f"copilot-{version}"
    path.write_text(f"#!/bin/sh\necho 'GitHub Copilot CLI {version}.'\n")
    path.chmod(0o755)
    return str(path)


def test_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = CopilotAdapter()
    for var in ("COPILOT_PROVIDER_API_KEY", "COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    assert adapter.available(AgentConfig(bin=str(tmp_path / "nope"))).why.startswith(
        "not installed"
    )
    fresh = fake_cli(tmp_path, "1.0.102")
    byok = adapter.available(AgentConfig(bin=fresh, base_url="http://x"))
    assert byok.version == "1.0.102"
    assert (
        byok.why
        == "not authenticated: set COPILOT_PROVIDER_API_KEY or [agents.copilot] api_key_env"
    )
    github = adapter.available(AgentConfig(bin=fresh))
    assert "COPILOT_GITHUB_TOKEN, GH_TOKEN, GITHUB_TOKEN" in github.why
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    assert adapter.available(AgentConfig(bin=fresh)).usable
    old = adapter.available(AgentConfig(bin=fake_cli(tmp_path, "1.0.90")))
    assert not old.usable and old.why.startswith("too old: 1.0.90")
