"""GitHub Copilot CLI (`copilot -p`, pinned 1.0.102): BYOK against an OpenAI-compatible API.

With `base_url` (bring your own key): COPILOT_OFFLINE=true (no GitHub auth, telemetry, web
tools or update check), COPILOT_PROVIDER_BASE_URL (`/v1` added when the URL has no path),
COPILOT_PROVIDER_API_KEY (from `api_key_env`, default COPILOT_PROVIDER_API_KEY), COPILOT_MODEL
(default gpt-4.1). Without it, Copilot's own service: a token from `api_key_env`, else
COPILOT_GITHUB_TOKEN / GH_TOKEN / GITHUB_TOKEN, passed as COPILOT_GITHUB_TOKEN.
Argv: `--prompt=PROMPT --allow-all --no-ask-user --output-format json --session-id ID
--disable-client-telemetry [args]`.

Copilot unpacks a 235 MB package into `~/.cache/copilot/pkg` when its HOME has none, which
a fresh HOME per attempt never has: COPILOT_PKG_CACHE_HOME points at the user's own
`$XDG_CACHE_HOME/copilot` (what Copilot uses by default), unpacked once, shared safely
(Copilot unpacks into a temporary directory and renames).

Tokens: `--output-format json` carries none (the text mode's `Tokens ↑ 24.4k • ↓ 47` goes
to stderr, rounded, and only in text mode). Copilot writes exact per-request counts
(`session.usage_record`) to `~/.copilot/session-state/<session>/events.jsonl`, so the launch
runs Copilot under `python -m podium.agents.copilot EVENTS -- copilot ...`, which passes
Copilot's output through line by line and adds each new usage record as one line
(`relay`). BYOK records carry `cost: 0`: podium prices the tokens itself.

Exit code 1 with `session.error` and `result.exitCode: 1` on API errors, after 5 retries
(a 500 takes ~17 s, a closed port ~25 s); a 429's response headers are not shown, so a rate
limit has no reset time.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from podium.agents import streamjson as sj
from podium.agents import tools
from podium.agents.base import AgentEvent, Availability, Job, Launch, Verdict
from podium.agents.opencode import openai_url
from podium.config import AgentConfig

NAME = "copilot"
BYOK_KEY_VAR = "COPILOT_PROVIDER_API_KEY"
GITHUB_KEY_VARS = ("COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN")
MINIMUM = (1, 0, 102)
DEFAULT_MODEL = "gpt-4.1"
USAGE_MARK = b'"session.usage_record"'
RELAY = "podium.agents.copilot"


class CopilotAdapter:
    name = NAME

    def available(self, config: AgentConfig | None = None) -> Availability:
        path = tools.find(sj.executable(NAME, config))
        if path is None:
            return Availability(False, why=tools.not_installed(NAME))
        version, problem = probe_version(path)
        if problem:
            return Availability(False, why=problem)
        if tuple(int(n) for n in version.split(".")) < MINIMUM:
            need = ".".join(map(str, MINIMUM))
            return Availability(False, version, f"too old: {version}, podium needs {need}")
        if _key(config) is None:
            return Availability(False, version, "not authenticated: " + _key_hint(config))
        return Availability(True, version)

    def launch(self, job: Job) -> Launch:
        config = job.config or AgentConfig()
        model = job.model or config.model or (DEFAULT_MODEL if config.base_url else None)
        session = str(uuid.uuid4())
        events = job.home / ".copilot" / "session-state" / session / "events.jsonl"
        argv = (
            *(sys.executable, "-m", RELAY, str(events), "--"),
            sj.executable(NAME, config),
            f"--prompt={job.prompt}",
            *("--allow-all", "--no-ask-user", "--output-format", "json"),
            *("--session-id", session, "--disable-client-telemetry"),
            *config.args,
        )
        return Launch(argv=argv, env=_env(config, model), model=model)

    def parse(self, line: str) -> Sequence[AgentEvent]:
        return parse_line(line)

    def verdict(self, exit_code: int, events: Sequence[AgentEvent]) -> Verdict:
        return sj.judge(NAME, exit_code, events, time.time())


def _env(config: AgentConfig, model: str | None) -> dict[str, str]:
    env = {"COPILOT_AUTO_UPDATE": "false", "COPILOT_PKG_CACHE_HOME": package_cache()}
    if config.base_url:
        env["COPILOT_OFFLINE"] = "true"
        env["COPILOT_PROVIDER_BASE_URL"] = openai_url(config.base_url)
    if key := _key(config):
        env[BYOK_KEY_VAR if config.base_url else "COPILOT_GITHUB_TOKEN"] = key
    if model:
        env["COPILOT_MODEL"] = model
    return env | dict(config.env)


def _key(config: AgentConfig | None) -> str | None:
    if config and config.api_key_env:
        return os.environ.get(config.api_key_env) or None
    names = (BYOK_KEY_VAR,) if config and config.base_url else GITHUB_KEY_VARS
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


def _key_hint(config: AgentConfig | None) -> str:
    if config and config.api_key_env:
        return f"set {config.api_key_env} ([agents.{NAME}] api_key_env)"
    if config and config.base_url:
        return f"set {BYOK_KEY_VAR} or [agents.{NAME}] api_key_env"
    return f"set one of {', '.join(GITHUB_KEY_VARS)}, or [agents.{NAME}] base_url for BYOK"


def package_cache() -> str:
    """Where Copilot keeps its unpacked package by default: shared by every attempt."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(cache) / "copilot")


@functools.cache
def probe_version(path: str) -> tuple[str, str]:
    """(version, "") from `copilot --version`, or ("", why not); asked once per binary."""
    with tempfile.TemporaryDirectory(prefix="podium-probe-") as home:
        env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": home, "NO_COLOR": "1"}
        env |= {"COPILOT_OFFLINE": "true", "COPILOT_AUTO_UPDATE": "false"}
        env["COPILOT_PKG_CACHE_HOME"] = package_cache()
        try:
            done = subprocess.run(
                [path, "--version"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=15,
                env=env,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return "", f"`{path} --version` failed: {exc}"
    found = re.search(r"\b(\d+)\.(\d+)\.(\d+)", done.stdout)
    if done.returncode != 0 or found is None:
        said = sj.clip(done.stderr or done.stdout or f"exit status {done.returncode}", 160)
        return "", f"`{path} --version` failed: {said}"
    return found.group(0), ""


def parse_line(line: str) -> list[AgentEvent]:
    """One `--output-format json` line (or a relayed usage record) as podium events."""
    obj = sj.json_object(line)
    if obj is None:
        return sj.plain(line)
    kind = obj.get("type")
    data = sj.as_dict(obj.get("data"))
    if kind == "assistant.message" and sj.as_str(data.get("content")).strip():
        return [AgentEvent("text", sj.as_str(data.get("content")))]
    if kind == "tool.execution_start":
        return [sj.tool_event(sj.as_str(data.get("toolName")), data.get("arguments"))]
    if kind == "session.usage_record":
        usage = sj.as_dict(data.get("usage"))
        tokens_in, tokens_out = usage.get("inputTokens"), usage.get("outputTokens")
        return [
            AgentEvent(
                "usage", input_tokens=sj.as_int(tokens_in), output_tokens=sj.as_int(tokens_out)
            )
        ]
    if kind == "session.error":
        return _error(data)
    if kind == "result":
        code = sj.as_int(obj.get("exitCode"))
        return [AgentEvent("result", f"exit code {code}", is_error=code != 0)]
    return []


_RETRIED = re.compile(r"retried (\d+) times.*?Last error: (?:\d{3} )?(.*)", re.S)


def _error(data: dict[str, Any]) -> list[AgentEvent]:
    status = sj.as_int(data.get("statusCode"))
    message = sj.as_str(data.get("message")) or "error"
    if retried := _RETRIED.search(message):
        message = f"{retried.group(2)} (after {retried.group(1)} retries)"
    text = sj.clip(f"API error {status}: {message}" if status else message, 400)
    events = [AgentEvent("error", text)]
    if status == 429 or data.get("errorType") == "rate_limit":
        events.append(AgentEvent("rate_limit", text))
    return events


# --- the relay: `python -m podium.agents.copilot EVENTS -- COPILOT ARGS...` ---------------


def relay(events: Path, argv: Sequence[str], out: IO[bytes]) -> int:
    """Run Copilot, pass its output through, and add the usage records of its session log."""
    try:
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as exc:
        out.write(f"podium: cannot start {argv[0]}: {exc.strerror or exc}\n".encode())
        return 127
    assert child.stdout is not None
    done = 0
    with child.stdout:
        for raw in child.stdout:
            out.write(raw)
            done = copy_usage(events, done, out)
            out.flush()
    code = child.wait()
    copy_usage(events, done, out)
    out.flush()
    return code if code >= 0 else 128 - code


def copy_usage(events: Path, start: int, out: IO[bytes]) -> int:
    """Write the usage records found in complete lines after `start`; return the new start."""
    try:
        with events.open("rb") as log:
            log.seek(start)
            chunk = log.read()
    except OSError:
        return start
    complete = chunk[: chunk.rfind(b"\n") + 1]
    for line in complete.splitlines():
        if USAGE_MARK in line:
            out.write(_compact(line))
    return start + len(complete)


def _compact(line: bytes) -> bytes:
    """A usage record without its request fingerprint: short enough to stay one write."""
    obj = sj.json_object(line.decode("utf-8", "replace")) or {}
    usage = sj.as_dict(sj.as_dict(obj.get("data")).get("usage"))
    keep = ("model", "inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens")
    record = {"type": "session.usage_record", "data": {"usage": {k: usage.get(k) for k in keep}}}
    return (json.dumps(record) + "\n").encode()


def main(args: Sequence[str]) -> int:
    if len(args) < 3 or args[1] != "--":
        sys.stderr.write("usage: python -m podium.agents.copilot EVENTS_FILE -- COMMAND...\n")
        return 2
    return relay(Path(args[0]), args[2:], sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
