"""opencode (`opencode run`, pinned 1.18.33) against any OpenAI-compatible endpoint.

Launch: `opencode run --format json -m podium/MODEL --auto [args] -- PROMPT`. The provider
`podium` (`@ai-sdk/openai-compatible`) comes in OPENCODE_CONFIG_CONTENT: `baseURL` is
`base_url` (`/v1` added when the URL has no path; default OpenAI's), the key is read by opencode
itself from PODIUM_PROVIDER_KEY (`{env:...}`, so the config holds no secret), and the model
carries podium's price so `step_finish` reports dollars. The same config turns off the
title request (`agent.title.disable`: a side request whose tokens opencode never reports),
sharing, auto-update and opencode's git snapshots of the worktree (podium tracks the worktree
itself). The env switches stop the model-catalog, LSP and plug-in downloads.

opencode installs `@opencode-ai/plugin` with its own npm into every config directory it reads
(~95 MB per fresh HOME, from registry.npmjs.org) unless `node_modules` exists and
`package-lock.json` lists the package: both are written into the per-attempt HOME.

Usage is the sum of `step_finish.part.tokens` (input + cache reads/writes, output + reasoning,
as the API counted them) and `part.cost`. Exit code 1 and an `error` event on API errors;
opencode retries 429/5xx and connection failures 5 times itself (backoff 2..30 s, ~60 s in all;
a 429's `retry-after` is obeyed, however long), so podium's wall timeout bounds a dead endpoint.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from podium.agents import streamjson as sj
from podium.agents.base import AgentEvent, Availability, Job, Launch, Verdict
from podium.config import AgentConfig
from podium.routing.prices import price_of

NAME = "opencode"
KEY_VAR = "OPENAI_API_KEY"
KEY_TARGET = "PODIUM_PROVIDER_KEY"
MINIMUM = (1, 18)
DEFAULT_MODEL = "gpt-5.5"
DEFAULT_BASE = "https://api.openai.com/v1"
PROVIDER = "podium"
QUIET = {
    "OPENCODE_DISABLE_AUTOUPDATE": "1",
    "OPENCODE_DISABLE_MODELS_FETCH": "1",
    "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
    "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
    "OPENCODE_DISABLE_SHARE": "1",
}
PLUGIN_LOCK = {"packages": {"": {"dependencies": {"@opencode-ai/plugin": "*"}}}}


class OpencodeAdapter:
    name = NAME

    def available(self, config: AgentConfig | None = None) -> Availability:
        return sj.check(NAME, config, MINIMUM, KEY_VAR)

    def launch(self, job: Job) -> Launch:
        config = job.config or AgentConfig()
        model = job.model or config.model or DEFAULT_MODEL
        base = openai_url(config.base_url) if config.base_url else DEFAULT_BASE
        env = {
            **QUIET,
            "OPENCODE_CONFIG_CONTENT": config_content(base, model),
            **sj.key_env(config, KEY_VAR, KEY_TARGET),
            **dict(config.env),
        }
        argv = (
            sj.executable(NAME, config),
            "run",
            "--format",
            "json",
            "-m",
            f"{PROVIDER}/{model}",
            "--auto",
            *config.args,
            "--",
            job.prompt,
        )
        settings = job.home / ".config" / "opencode"
        files = {
            str(settings / "package-lock.json"): json.dumps(PLUGIN_LOCK),
            str(settings / "node_modules" / ".podium"): "",
        }
        return Launch(argv=argv, env=env, files=files, model=model)

    def parse(self, line: str) -> Sequence[AgentEvent]:
        return parse_line(line, time.time())

    def verdict(self, exit_code: int, events: Sequence[AgentEvent]) -> Verdict:
        if exit_code == 0 and not any(e.kind == "error" or e.is_error for e in events):
            return Verdict(True)
        return Verdict(False, f"{NAME}: {sj.failure(exit_code, events, time.time())}")


def openai_url(base_url: str) -> str:
    """An OpenAI-compatible base URL: `/v1` is added when the URL has no path of its own."""
    url = base_url.rstrip("/")
    return url if urlsplit(url).path else url + "/v1"


def config_content(base: str, model: str) -> str:
    price = price_of(model, {})
    provider = {
        "npm": "@ai-sdk/openai-compatible",
        "name": "podium",
        "options": {"baseURL": base, "apiKey": "{env:" + KEY_TARGET + "}"},
        "models": {model: {"name": model, "cost": {"input": price.input, "output": price.output}}},
    }
    config = {
        "autoupdate": False,
        "share": "disabled",
        "snapshot": False,
        "model": f"{PROVIDER}/{model}",
        "small_model": f"{PROVIDER}/{model}",
        "agent": {"title": {"disable": True}},
        "provider": {PROVIDER: provider},
    }
    return json.dumps(config)


def parse_line(line: str, now: float) -> list[AgentEvent]:
    """One `--format json` line as podium events; `now` dates a 429 without a Date header."""
    obj = sj.json_object(line)
    if obj is None:
        return sj.plain(line)
    kind = obj.get("type")
    part = sj.as_dict(obj.get("part"))
    if kind == "text" and sj.as_str(part.get("text")).strip():
        return [AgentEvent("text", sj.as_str(part.get("text")))]
    if kind == "tool_use":
        state = sj.as_dict(part.get("state"))
        event = sj.tool_event(sj.as_str(part.get("tool")), state.get("input"))
        if state.get("status") == "error":
            return [AgentEvent("tool", f"{event.text} (failed)")]
        return [event]
    if kind == "step_finish":
        return [_usage(part)]
    if kind == "error":
        return _error(sj.as_dict(obj.get("error")), now)
    return []


def _usage(part: dict[str, Any]) -> AgentEvent:
    tokens = sj.as_dict(part.get("tokens"))
    cache = sj.as_dict(tokens.get("cache"))
    cost = part.get("cost")
    return AgentEvent(
        "usage",
        input_tokens=sj.as_int(tokens.get("input"))
        + sj.as_int(cache.get("read"))
        + sj.as_int(cache.get("write")),
        output_tokens=sj.as_int(tokens.get("output")) + sj.as_int(tokens.get("reasoning")),
        cost_usd=float(cost) if isinstance(cost, int | float) else None,
    )


def _error(error: dict[str, Any], now: float) -> list[AgentEvent]:
    data = sj.as_dict(error.get("data"))
    name = sj.as_str(error.get("name")) or "error"
    message = sj.as_str(data.get("message")) or name
    status = sj.as_int(data.get("statusCode"))
    text = f"{name} {status}: {message}" if status else f"{name}: {message}"
    events = [AgentEvent("error", text)]
    if status == 429 or sj.is_rate_limit(message):
        headers = sj.as_dict(data.get("responseHeaders"))
        reset = reset_from_headers(headers, now) or sj.reset_time(message, now)
        events.append(AgentEvent("rate_limit", sj.clip(text, 500), reset_at=reset))
    return events


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def reset_from_headers(headers: Mapping[str, Any], now: float) -> float | None:
    """When the quota returns, as epoch seconds: the latest of what the 429's headers say.

    Read: `retry-after-ms`, `retry-after` (seconds or an HTTP date), OpenAI's
    `x-ratelimit-reset-{requests,tokens}` (`1m30s`, `20ms`; epoch seconds from some gateways)
    and Anthropic's `anthropic-ratelimit-*-reset` (ISO 8601), counted from the `date` header
    (the server's clock) when there is one.
    """
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    base = _http_date(lower.get("date", "")) or now
    found = []
    if "retry-after-ms" in lower:
        found.append(_seconds(lower["retry-after-ms"], 0.001, base))
    if "retry-after" in lower:
        at = _http_date(lower["retry-after"])
        found.append(at if at is not None else _seconds(lower["retry-after"], 1.0, base))
    for key, value in lower.items():
        if key.startswith("x-ratelimit-reset"):
            found.append(_duration(value, base))
        elif key.startswith("anthropic-ratelimit-") and key.endswith("-reset"):
            found.append(sj.reset_time(value, base))
    times = [t for t in found if t is not None]
    return max(times) if times else None


def _http_date(text: str) -> float | None:
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _seconds(text: str, unit: float, base: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 1e9 else base + value * unit


def _duration(text: str, base: float) -> float | None:
    text = text.strip()
    parts = _DURATION.findall(text)
    if parts and "".join(n + u for n, u in parts) == text:
        return base + sum(float(n) * _UNITS[u] for n, u in parts)
    return _seconds(text, 1.0, base)
