"""The opencode adapter: lines opencode 1.18.33 printed against the scripted server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from podium.agents.base import AgentEvent, Job
from podium.agents.opencode import (
    KEY_TARGET,
    OpencodeAdapter,
    openai_url,
    parse_line,
    reset_from_headers,
)
from podium.config import AgentConfig
from podium.plans.model import Task

NOW = 1_795_418_400.0
SECRET = "sk-very-secret"

# Captured: `opencode run --format json` writing notes.txt, then a 429, a 500, a closed port.
TOOL = (
    '{"type":"tool_use","timestamp":1795418422398,"sessionID":"ses_df8b90dfcffeIIGw46HxSPEmR8",'
    '"part":{"type":"tool","tool":"write","callID":"call_01j9N1Ilf3nHrNrjShJ4s6Df","state":'
    '{"status":"completed","input":{"filePath":"/tmp/cap/repo/notes.txt","content":"hello world'
    '\\n"},"output":"Wrote file successfully.","metadata":{"diagnostics":{},"filepath":'
    '"/tmp/cap/repo/notes.txt","exists":false,"truncated":false},"title":"notes.txt","time":'
    '{"start":1795418422375,"end":1795418422391}},"id":"prt_20746fc5b001ERFLuJZG9n6bKX",'
    '"sessionID":"ses_df8b90dfcffeIIGw46HxSPEmR8","messageID":"msg_20746f806001DIswT0wOYHFvGB"}}'
)
TEXT = (
    '{"type":"text","timestamp":1795418422726,"sessionID":"ses_df8b90dfcffeIIGw46HxSPEmR8",'
    '"part":{"id":"prt_20746fdbf001ouGeeHN1KDW7Gr","messageID":"msg_20746fd130012vh4xOj2Jpy9Yq",'
    '"sessionID":"ses_df8b90dfcffeIIGw46HxSPEmR8","type":"text","text":"Done.","time":'
    '{"start":1795418422719,"end":1795418422722}}}'
)
STEP_FINISH = (
    '{"type":"step_finish","timestamp":1795418422488,"sessionID":"ses_df8b90dfcffeIIGw46HxSPEmR8",'
    '"part":{"id":"prt_20746fccb001c3KNAODcXmDGnR","reason":"tool-calls","snapshot":'
    '"9c3c63ec1bd1b3b2f649afe8b0350961094a8bd9","messageID":"msg_20746f806001DIswT0wOYHFvGB",'
    '"sessionID":"ses_df8b90dfcffeIIGw46HxSPEmR8","type":"step-finish","tokens":{"total":7727,'
    '"input":7710,"output":17,"reasoning":0,"cache":{"write":0,"read":0}},"cost":0.023385}}'
)
RATE_LIMITED = (
    '{"type":"error","timestamp":1795418447928,"sessionID":"ses_df8b8be04ffeYY9hGdmAA2Q4fw",'
    '"error":{"name":"APIError","data":{"message":"Rate limit reached for requests",'
    '"statusCode":429,"isRetryable":true,"responseHeaders":{"content-length":"115",'
    '"content-type":"application/json","date":"Mon, 23 Nov 2026 07:20:47 GMT","retry-after":"1",'
    '"retry-after-ms":"1000","server":"BaseHTTP/0.6 Python/3.11.7",'
    '"x-ratelimit-limit-requests":"1000","x-ratelimit-limit-tokens":"1000",'
    '"x-ratelimit-remaining-requests":"0","x-ratelimit-remaining-tokens":"0",'
    '"x-ratelimit-reset-requests":"20s","x-ratelimit-reset-tokens":"1s","x-request-id":'
    '"req_01RWxtBqj4dbwqHGILnf0vk1"},"responseBody":"{\\"error\\":{\\"message\\":\\"Rate limit '
    'reached for requests\\",\\"type\\":\\"requests\\",\\"param\\":null,\\"code\\":'
    '\\"rate_limit_exceeded\\"}}","metadata":{"url":"http://127.0.0.1:46225/v1/chat/completions"}}}}'
)
SERVER_ERROR = (
    '{"type":"error","timestamp":1795419659938,"sessionID":"ses_df8a63691ffevSS3T4SODOWkpn",'
    '"error":{"name":"APIError","data":{"message":"boom","statusCode":500,"isRetryable":true,'
    '"responseHeaders":{"content-length":"75","content-type":"application/json","date":'
    '"Mon, 23 Nov 2026 07:40:59 GMT","retry-after-ms":"200","server":"BaseHTTP/0.6 Python/3.11.7"}'
    ',"responseBody":"{\\"error\\":{\\"message\\":\\"boom\\"}}","metadata":{"url":'
    '"http://127.0.0.1:46025/v1/chat/completions"}}}}'
)
REFUSED = (
    '{"type":"error","timestamp":1795418866946,"sessionID":"ses_df8b33a66ffeBHT8H7ceDaSXOq",'
    '"error":{"name":"APIError","data":{"message":"Cannot connect to API: Unable to connect. Is '
    'the computer able to access the url?","isRetryable":true,"metadata":{"url":'
    '"http://127.0.0.1:9/v1/chat/completions"}}}}'
)
SENT_AT = datetime(2026, 11, 23, 7, 20, 47, tzinfo=UTC).timestamp()


def job(tmp_path: Path, config: AgentConfig | None = None, model: str | None = None) -> Job:
    task = Task(id="feature", goal="Add a feature")
    return Job(
        task,
        "Add a feature\n",
        tmp_path / "p.md",
        tmp_path / "wt",
        tmp_path / "home",
        model,
        config,
    )


def test_a_write_call_its_usage_and_the_final_text() -> None:
    assert parse_line(TOOL, NOW) == [AgentEvent("tool", "write /tmp/cap/repo/notes.txt")]
    assert parse_line(STEP_FINISH, NOW) == [
        AgentEvent("usage", input_tokens=7710, output_tokens=17, cost_usd=0.023385)
    ]
    assert parse_line(TEXT, NOW) == [AgentEvent("text", "Done.")]


def test_usage_counts_what_the_api_counted_cache_and_reasoning_included() -> None:
    line = json.dumps(
        {
            "type": "step_finish",
            "part": {
                "tokens": {
                    "input": 100,
                    "output": 7,
                    "reasoning": 3,
                    "cache": {"read": 50, "write": 5},
                },
                "cost": 0.5,
            },
        }
    )
    assert parse_line(line, NOW) == [
        AgentEvent("usage", input_tokens=155, output_tokens=10, cost_usd=0.5)
    ]


def test_a_429_is_an_error_and_a_rate_limit_until_the_latest_reset_header() -> None:
    error, limit = parse_line(RATE_LIMITED, NOW)
    assert error == AgentEvent("error", "APIError 429: Rate limit reached for requests")
    assert limit.kind == "rate_limit"
    assert limit.reset_at == SENT_AT + 20  # x-ratelimit-reset-requests, from the Date header


def test_server_error_and_refused_connection_are_errors_only() -> None:
    assert parse_line(SERVER_ERROR, NOW) == [AgentEvent("error", "APIError 500: boom")]
    (refused,) = parse_line(REFUSED, NOW)
    assert refused.kind == "error" and refused.text.startswith("APIError: Cannot connect to API")


def test_other_lines_are_text_and_unknown_events_are_ignored() -> None:
    assert parse_line("Error: something odd", NOW) == [AgentEvent("text", "Error: something odd")]
    assert parse_line("   ", NOW) == []
    assert parse_line('{"type":"step_start","part":{}}', NOW) == []
    failed = '{"type":"tool_use","part":{"tool":"edit","state":{"status":"error","input":{}}}}'
    assert parse_line(failed, NOW) == [AgentEvent("tool", "edit (failed)")]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "30"}, NOW + 30),
        ({"Retry-After-Ms": "1500"}, NOW + 1.5),
        ({"retry-after": "Mon, 23 Nov 2026 07:30:00 GMT"}, SENT_AT + 553),
        ({"x-ratelimit-reset-tokens": "1m30s", "retry-after": "2"}, NOW + 90),
        ({"x-ratelimit-reset-requests": "250ms"}, NOW + 0.25),
        ({"x-ratelimit-reset-requests": "1795420000"}, 1_795_420_000.0),
        ({"anthropic-ratelimit-tokens-reset": "2026-11-23T07:25:00Z"}, SENT_AT + 253),
        ({"date": "Mon, 23 Nov 2026 07:20:47 GMT", "retry-after": "10"}, SENT_AT + 10),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_reset_time_from_headers(headers: dict[str, str], expected: float | None) -> None:
    assert reset_from_headers(headers, NOW) == expected


def test_verdict() -> None:
    adapter = OpencodeAdapter()
    assert adapter.verdict(0, parse_line(STEP_FINISH, NOW)).ok
    assert (
        adapter.verdict(1, parse_line(SERVER_ERROR, NOW)).reason == "opencode: APIError 500: boom"
    )
    limited = adapter.verdict(1, parse_line(RATE_LIMITED, NOW))
    assert not limited.ok and limited.reason.startswith("opencode: rate limited until ")
    assert adapter.verdict(1, []).reason == "opencode: exited with status 1"
    assert not adapter.verdict(0, parse_line(REFUSED, NOW)).ok


def test_launch_gives_the_key_by_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_GATEWAY_KEY", SECRET)
    config = AgentConfig(
        base_url="http://127.0.0.1:8080",
        api_key_env="MY_GATEWAY_KEY",
        args=("--agent", "build"),
        env=(("OPENCODE_DISABLE_SHARE", "0"),),
    )
    launch = OpencodeAdapter().launch(job(tmp_path, config))
    assert not any(SECRET in arg for arg in launch.argv)
    assert launch.argv[:7] == (
        "opencode",
        "run",
        "--format",
        "json",
        "-m",
        "podium/gpt-5.5",
        "--auto",
    )
    assert launch.argv[7:] == ("--agent", "build", "--", "Add a feature\n")
    assert launch.env[KEY_TARGET] == SECRET
    assert launch.env["OPENCODE_DISABLE_SHARE"] == "0"  # podium.toml env wins
    for switch in ("AUTOUPDATE", "MODELS_FETCH", "LSP_DOWNLOAD", "DEFAULT_PLUGINS"):
        assert launch.env[f"OPENCODE_DISABLE_{switch}"] == "1"
    content = launch.env["OPENCODE_CONFIG_CONTENT"]
    assert SECRET not in content
    settings = json.loads(content)
    provider = settings["provider"]["podium"]
    assert provider["options"] == {
        "baseURL": "http://127.0.0.1:8080/v1",
        "apiKey": "{env:PODIUM_PROVIDER_KEY}",
    }
    assert provider["models"]["gpt-5.5"]["cost"] == {"input": 1.25, "output": 10.0}
    assert settings["agent"] == {"title": {"disable": True}}
    assert (settings["snapshot"], settings["share"], settings["autoupdate"]) == (
        False,
        "disabled",
        False,
    )
    assert launch.model == "gpt-5.5"


def test_launch_pre_seeds_the_plugin_install_and_picks_the_model(tmp_path: Path) -> None:
    launch = OpencodeAdapter().launch(job(tmp_path, AgentConfig(model="qwen3-coder"), "glm-4.6"))
    assert launch.model == "glm-4.6" and "podium/glm-4.6" in launch.argv
    settings = tmp_path / "home" / ".config" / "opencode"
    lock = json.loads(launch.files[str(settings / "package-lock.json")])
    assert "@opencode-ai/plugin" in lock["packages"][""]["dependencies"]
    assert str(settings / "node_modules" / ".podium") in launch.files
    config = json.loads(OpencodeAdapter().launch(job(tmp_path)).env["OPENCODE_CONFIG_CONTENT"])
    assert config["provider"]["podium"]["options"]["baseURL"] == "https://api.openai.com/v1"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/v1"),
        ("https://openrouter.ai/api/v1", "https://openrouter.ai/api/v1"),
        ("https://gw.example.com/openai/", "https://gw.example.com/openai"),
    ],
)
def test_openai_url(given: str, used: str) -> None:
    assert openai_url(given) == used


def fake_cli(tmp_path: Path, version: str) -> str:
    """A stand-in binary that prints a version (versions are cached per path)."""
    path = tmp_path / f"opencode-{version}"
    path.write_text(f"#!/bin/sh\necho '{version}'\n")
    path.chmod(0o755)
    return str(path)


def test_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = OpencodeAdapter()
    missing = adapter.available(AgentConfig(bin=str(tmp_path / "nope")))
    assert not missing.usable and missing.why.startswith("not installed")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    unkeyed = adapter.available(AgentConfig(bin=fake_cli(tmp_path, "1.18.33")))
    assert unkeyed.version == "1.18.33"
    assert unkeyed.why == "not authenticated: set OPENAI_API_KEY or [agents.opencode] api_key_env"
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    assert adapter.available(AgentConfig(bin=fake_cli(tmp_path, "1.18.33"))).usable
    old = adapter.available(AgentConfig(bin=fake_cli(tmp_path, "1.17.2")))
    assert not old.usable and old.why.startswith("too old: 1.17.2")
