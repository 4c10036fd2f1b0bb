"""Qwen Code (`qwen`, pinned 0.15.10; a Gemini CLI fork): headless stream-json, yolo.

Launch: `qwen --auth-type openai -m M --approval-mode yolo --output-format stream-json [args]
PROMPT`, the prompt positional (`-p` is deprecated; `--` before it makes Qwen see no prompt,
so a prompt starting with `-` gets a leading space instead). HOME/.qwen/settings.json turns
usage statistics, telemetry and update checks off and sets
`model.generationConfig.maxRetries = 0`, which turns off the OpenAI SDK's own retries (they
multiply Qwen's) and Qwen's extra rate-limit rounds paced at 60 s. Qwen's own 7 attempts
with backoff (1.5 s doubling to 30 s) cannot be configured: a 429 or a 5xx takes about 75 s
to fail, and a 429's retry-after is not honoured.
The settings are in format version 4 (`general.enableAutoUpdate`; older names such as
`disableAutoUpdate` are migrated on read); the repository's own `.qwen/settings.json`
overrides them.

The key goes into OPENAI_API_KEY (read from `api_key_env`, default OPENAI_API_KEY); `base_url`
into OPENAI_BASE_URL as given: OpenAI-style, with `/v1`. TMPDIR is the attempt's own.

Events are Claude-Code-shaped; usage is `result.usage` (no cost: podium's price table).
Trap: an API error exits 0 with `is_error: false` and the text `[API Error: 429 ...]` as the
result, so that text marks the result as an error here. No reset time is printed for a 429.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from podium.agents import streamjson as sj
from podium.agents.base import AgentEvent, Availability, Job, Launch, Verdict
from podium.agents.gemini import api_error
from podium.config import AgentConfig

NAME = "qwen"
KEY_VAR = "OPENAI_API_KEY"
MINIMUM = (0, 15)
DEFAULT_MODEL = "qwen3-coder-plus"
SETTINGS = {
    "$version": 4,  # the current format: no migration rewrites the file
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
    "general": {"enableAutoUpdate": False},
    "model": {"generationConfig": {"maxRetries": 0}},
}


class QwenAdapter:
    name = NAME

    def available(self, config: AgentConfig | None = None) -> Availability:
        return sj.check(NAME, config, MINIMUM, KEY_VAR)

    def launch(self, job: Job) -> Launch:
        config = job.config or AgentConfig()
        model = job.model or config.model or DEFAULT_MODEL
        home = Path(job.home)
        env = {"TMPDIR": str(home / "tmp"), **sj.key_env(config, KEY_VAR, KEY_VAR)}
        if config.base_url:
            env["OPENAI_BASE_URL"] = config.base_url
        env.update(config.env)
        prompt = " " + job.prompt if job.prompt.startswith("-") else job.prompt
        argv = (
            sj.executable(NAME, config),
            "--auth-type",
            "openai",
            "-m",
            model,
            "--approval-mode",
            "yolo",
            "--output-format",
            "stream-json",
            *config.args,
            prompt,
        )
        files = {
            str(home / ".qwen" / "settings.json"): json.dumps(SETTINGS, indent=2) + "\n",
            str(home / "tmp" / ".keep"): "",
        }
        return Launch(argv=argv, env=env, files=files, model=model)

    def parse(self, line: str) -> Sequence[AgentEvent]:
        return parse_line(line, time.time())

    def verdict(self, exit_code: int, events: Sequence[AgentEvent]) -> Verdict:
        return sj.judge(NAME, exit_code, events, time.time())


def parse_line(line: str, now: float) -> list[AgentEvent]:
    """One stream-json line as podium events; `now` dates relative reset times."""
    obj = sj.json_object(line)
    if obj is None:
        return sj.plain(line)
    kind = obj.get("type")
    if kind == "assistant":
        return sj.message_events(obj.get("message"))
    if kind == "result":
        return _result(obj, now)
    return []


def _result(obj: dict[str, Any], now: float) -> list[AgentEvent]:
    usage = sj.as_dict(obj.get("usage"))
    events = [
        AgentEvent(
            "usage",
            input_tokens=sj.as_int(usage.get("input_tokens")),
            output_tokens=sj.as_int(usage.get("output_tokens")),
        )
    ]
    text = sj.as_str(obj.get("result")) or sj.as_str(sj.as_dict(obj.get("error")).get("message"))
    found = api_error(text) if text.lstrip().startswith("[API Error") else None
    is_error = obj.get("is_error") is True or found is not None
    if found is not None:
        status, detail = found
        prefix = f"API error {status}" if status else "API error"
        events.append(AgentEvent("error", f"{prefix}: {sj.clip(detail)}"))
        if status == 429 or (status is None and sj.is_rate_limit(text)):
            events.append(sj.rate_limit(text, now))
    elif is_error:
        events.append(AgentEvent("error", text or sj.as_str(obj.get("subtype")) or "error"))
    return [*events, AgentEvent("result", text, is_error=is_error)]
