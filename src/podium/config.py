"""podium.toml: the project's gates, ownership rule, worktree set-up, timeouts and agents."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from podium.agents.template import check_template
from podium.errors import ConfigError
from podium.plans.globs import validate as validate_glob
from podium.plans.model import EVASIONS
from podium.routing.prices import Price, parse_prices

Compare = Literal["auto", "pytest", "exit", "strict"]
Speculate = Literal["verified", "finished", "off"]
Policy = Literal["fail", "warn", "allow"]
POLICIES = ("fail", "warn", "allow")
OPT_IN = ("untested-changes",)  # evasion classes that are off unless podium.toml turns them on

CONFIG_FILE = "podium.toml"


@dataclass(frozen=True)
class AgentConfig:
    """How to reach one agent: a gateway, a key's variable, a model, extra argv and env."""

    base_url: str | None = None
    api_key_env: str | None = None
    bin: str | None = None  # the executable, when it is not on PATH under its usual name
    provider: str | None = None  # who serves its model, for provider caps (default: by agent)
    model: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


def default_policy() -> dict[str, Policy]:
    return {name: "allow" if name in OPT_IN else "fail" for name in EVASIONS}


@dataclass(frozen=True)
class JanitorConfig:
    """`[janitor]`: what each evasion class does (fail | warn | allow), and how to list tests."""

    policy: dict[str, Policy] = field(default_factory=default_policy)
    collect: str = ""  # a command that prints test ids, one a line (default: from a pytest gate)
    config_files: tuple[str, ...] = ()  # globs of more files that decide what the gates check


@dataclass(frozen=True)
class ExecutorConfig:
    """`[executor]`: where attempts run: `local` processes, or `temporal` workers."""

    kind: Literal["local", "temporal"] = "local"
    address: str = "127.0.0.1:7233"  # the Temporal service (host:port)
    namespace: str = "default"
    task_queue: str = "podium"
    remote: str = ""  # the git remote (name or URL) workers fetch from and push attempts to
    heartbeat: float = 30.0  # seconds without a heartbeat before an attempt's worker is lost
    tls: bool = False  # connect with TLS (implied by any of the three files below)
    tls_ca: str = ""  # the server's root CA (PEM file); empty: the system's roots
    tls_cert: str = ""  # client certificate for mutual TLS (PEM file)
    tls_key: str = ""  # its private key (PEM file)
    api_key_env: str = ""  # the variable holding an API key (Temporal Cloud); never the key


@dataclass(frozen=True)
class Config:
    gates: tuple[str, ...] = ()
    ownership: Literal["fail", "warn"] = "fail"
    max_parallel: int = 4
    max_attempts: int = 2  # attempts per task when the agent fails, times out or goes silent
    shared: tuple[str, ...] = (".venv", "node_modules")
    copy: tuple[str, ...] = (".env",)
    setup: str = ""
    wall_timeout: float = 1800.0
    silence_timeout: float = 300.0
    agents: dict[str, AgentConfig] = field(default_factory=dict)
    prices: dict[str, Price] = field(default_factory=dict)
    baseline: Compare = "auto"  # how a gate failing on the target is judged: auto | strict
    compare: dict[str, Compare] = field(default_factory=dict)  # per gate: pytest|exit|strict
    batch: int = 8  # most tasks the merge queue gates together
    batch_wait: float = 0.5  # seconds the queue waits for more verified tasks to batch
    gate_attempts: bool = False  # also run the gates in each attempt's own worktree
    # When a dependent may start before its dependency lands, on the tree about to land:
    # verified (its checks passed, it is queued) | finished (its agent finished) | off.
    speculate: Speculate = "verified"
    ladder: tuple[tuple[str, str | None], ...] = ()  # (agent, model) for attempts 2, 3, ...
    conflict_retries: int = 1  # fresh attempts for a task whose merge conflicts
    fallback: tuple[str, ...] = ()  # agents a task may move to when its own is rate limited
    cooldown: float = 60.0  # seconds a rate-limited agent rests when no reset time is known
    caps: dict[str, int] = field(default_factory=dict)  # agent -> most attempts at once
    provider_caps: dict[str, int] = field(default_factory=dict)  # provider -> most at once
    janitor: JanitorConfig = field(default_factory=JanitorConfig)
    roles: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # role -> agent, model
    prompt_path: str = ""  # `[prompt] template`, relative to the repository root
    prompt_template: str = ""  # its text, checked; "" = the built-in template
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    split: bool = False  # `[retries] split`: a task that used its attempts is split in two to four
    summary_agent: tuple[str, str | None] | None = None  # `[summaries] agent`: who writes it
    summary_timeout: float = 60.0  # `[summaries] timeout`: seconds before it is skipped


_KEYS: dict[str, set[str]] = {
    "": {
        "gates",
        "ownership",
        "max_parallel",
        "max_attempts",
        "worktrees",
        "timeouts",
        "agents",
        "prices",
        "baseline",
        "gate_compare",
        "merge",
        "retries",
        "fallback",
        "cooldown",
        "caps",
        "provider_caps",
        "janitor",
        "roles",
        "prompt",
        "executor",
        "summaries",
    },
    "prompt": {"template"},
    "executor": {f.name for f in fields(ExecutorConfig)},
    "summaries": {"agent", "timeout"},
    "janitor": {*EVASIONS, "collect", "config_files"},
    "merge": {"batch", "wait", "gate_attempts", "conflict_retries", "speculate"},
    "retries": {"ladder", "split"},
    "worktrees": {"shared", "copy", "setup"},
    "timeouts": {"wall", "silence"},
    "agent": {"base_url", "api_key_env", "bin", "model", "args", "env", "provider"},
}


def load_config(repo: Path) -> Config:
    """Read podium.toml from the repository root; defaults when there is none."""
    path = repo / CONFIG_FILE
    if not path.exists():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    config = parse_config(data, str(path))
    return _with_template(config, repo, str(path)) if config.prompt_path else config


def _with_template(config: Config, repo: Path, where: str) -> Config:
    """The config with its prompt template's text, read and checked (located errors)."""
    path = repo / config.prompt_path
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{where} [prompt]: template {config.prompt_path!r}: {reason}") from None
    check_template(text, config.prompt_path)
    return replace(config, prompt_template=text)


def parse_config(data: dict[str, Any], where: str) -> Config:
    _check_keys(data, "", where)
    worktrees = _table(data, "worktrees", where)
    timeouts = _table(data, "timeouts", where)
    agents = _table(data, "agents", where)
    _check_keys(worktrees, "worktrees", f"{where} [worktrees]")
    _check_keys(timeouts, "timeouts", f"{where} [timeouts]")
    ownership = data.get("ownership", "fail")
    if ownership not in ("fail", "warn"):
        raise ConfigError(f"{where}: ownership must be 'fail' or 'warn', not {ownership!r}")
    return Config(
        gates=_strings(data, "gates", where, ()),
        ownership=ownership,
        max_parallel=_positive(data, "max_parallel", where, 4),
        max_attempts=_positive(data, "max_attempts", where, 2),
        shared=_strings(worktrees, "shared", f"{where} [worktrees]", Config.shared),
        copy=_strings(worktrees, "copy", f"{where} [worktrees]", Config.copy),
        setup=_text(worktrees, "setup", f"{where} [worktrees]") or "",
        wall_timeout=_positive(timeouts, "wall", f"{where} [timeouts]", 1800.0),
        silence_timeout=_positive(timeouts, "silence", f"{where} [timeouts]", 300.0),
        agents={name: _agent(name, table, where) for name, table in agents.items()},
        prices=parse_prices(_table(data, "prices", where), where),
        janitor=_janitor(_table(data, "janitor", where), f"{where} [janitor]"),
        roles=_roles(_table(data, "roles", where), f"{where} [roles]"),
        prompt_path=_prompt_path(_table(data, "prompt", where), f"{where} [prompt]"),
        executor=parse_executor(_table(data, "executor", where), f"{where} [executor]"),
        **_merge_settings(data, where),
        **_summaries(_table(data, "summaries", where), f"{where} [summaries]"),
    )


def _summaries(table: dict[str, Any], where: str) -> dict[str, Any]:
    """`[summaries] agent = "claude:claude-haiku-4-5"`, `timeout = 60`."""
    _check_keys(table, "summaries", where)
    value = table.get("agent")
    if value is not None and (not isinstance(value, str) or not _rung(value)[0]):
        raise ConfigError(f'{where}: agent must be "agent" or "agent:model", not {value!r}')
    agent = _rung(value) if isinstance(value, str) else None
    if agent is not None and agent[0] == "command":
        raise ConfigError(f"{where}: agent: `command` runs a program, not a model")
    return {"summary_agent": agent, "summary_timeout": _positive(table, "timeout", where, 60.0)}


def _janitor(table: dict[str, Any], where: str) -> JanitorConfig:
    _check_keys(table, "janitor", where)
    policy = default_policy()
    for name in EVASIONS:
        value = table.get(name, policy[name])
        if value not in POLICIES:
            raise ConfigError(f"{where}: {name} must be 'fail', 'warn' or 'allow', not {value!r}")
        policy[name] = value
    collect = table.get("collect", "")
    if not isinstance(collect, str):
        raise ConfigError(f"{where}: collect must be a command line, not {collect!r}")
    files = _strings(table, "config_files", where, ())
    for pattern in files:
        problem = validate_glob(pattern)
        if problem:
            raise ConfigError(f"{where}: config_files entry {pattern!r}: {problem}")
    return JanitorConfig(policy, collect, files)


def parse_executor(table: dict[str, Any], where: str) -> ExecutorConfig:
    _check_keys(table, "executor", where)
    kind = table.get("kind", "local")
    if kind not in ("local", "temporal"):
        raise ConfigError(f"{where}: kind must be 'local' or 'temporal', not {kind!r}")
    texts = {
        f.name: _text(table, f.name, where)
        for f in fields(ExecutorConfig)
        if f.name not in ("kind", "heartbeat", "tls")
    }
    found = {name: value for name, value in texts.items() if value is not None}
    for name in ("address", "namespace", "task_queue"):
        if name in found and not found[name].strip():
            raise ConfigError(f"{where}: {name} must not be empty")
    settings = ExecutorConfig(
        kind=kind,
        heartbeat=_positive(table, "heartbeat", where, 30.0),
        tls=_flag(table, "tls", where, False),
        **found,
    )
    return check_executor(settings, where)


def check_executor(settings: ExecutorConfig, where: str) -> ExecutorConfig:
    """What a temporal executor needs before a run starts: a remote, and no secret in it."""
    if settings.kind != "temporal":
        return settings
    if not settings.remote:
        raise ConfigError(
            f"{where}: kind 'temporal' needs remote = the git remote (a name such as "
            "'origin', or a URL) that workers fetch from and push attempt branches to"
        )
    scheme, sep, rest = settings.remote.partition("://")
    if sep and ":" in rest.split("/", 1)[0].rpartition("@")[0]:
        raise ConfigError(
            f"{where}: remote {scheme}://...: a password in the URL would travel to every "
            "worker in workflow payloads; use SSH keys or a credential helper instead"
        )
    return settings


def _merge_settings(data: dict[str, Any], where: str) -> dict[str, Any]:
    merge, retries = _table(data, "merge", where), _table(data, "retries", where)
    _check_keys(merge, "merge", f"{where} [merge]")
    _check_keys(retries, "retries", f"{where} [retries]")
    baseline = data.get("baseline", "auto")
    if baseline not in ("auto", "strict"):
        raise ConfigError(f"{where}: baseline must be 'auto' or 'strict', not {baseline!r}")
    compare = _table(data, "gate_compare", where)
    for gate, kind in compare.items():
        if kind not in ("pytest", "exit", "strict"):
            raise ConfigError(f"{where} [gate_compare]: {gate!r} must be pytest, exit or strict")
    at = f"{where} [merge]"
    speculate = merge.get("speculate", "verified")
    if speculate not in ("verified", "finished", "off"):
        raise ConfigError(f"{at}: speculate must be verified, finished or off, not {speculate!r}")
    return {
        "speculate": speculate,
        "baseline": baseline,
        "compare": dict(compare),
        "batch": _positive(merge, "batch", at, 8),
        "batch_wait": _at_least_zero(merge, "wait", at, 0.5),
        "gate_attempts": _flag(merge, "gate_attempts", at, False),
        "conflict_retries": _at_least_zero(merge, "conflict_retries", at, 1),
        "ladder": tuple(_rung(r) for r in _strings(retries, "ladder", f"{where} [retries]", ())),
        "split": _flag(retries, "split", f"{where} [retries]", False),
        "fallback": _strings(data, "fallback", where, ()),
        "cooldown": _positive(data, "cooldown", where, 60.0),
        "caps": _caps(data, "caps", where),
        "provider_caps": _caps(data, "provider_caps", where),
    }


def _roles(table: dict[str, Any], where: str) -> dict[str, tuple[str, str | None]]:
    """`[roles] docs = "codex"` or `"claude:claude-haiku-4-5"`: who runs tasks of a role."""
    roles = {}
    for role, value in table.items():
        if not isinstance(value, str) or not _rung(value)[0]:
            raise ConfigError(f'{where}: {role} must be "agent" or "agent:model", not {value!r}')
        roles[role.lower()] = _rung(value)
    return roles


def _prompt_path(table: dict[str, Any], where: str) -> str:
    _check_keys(table, "prompt", where)
    path = _text(table, "template", where) or ""
    if table.get("template") == "":
        raise ConfigError(f"{where}: template must be a file path, not empty")
    return path


def _caps(data: dict[str, Any], key: str, where: str) -> dict[str, int]:
    table = _table(data, key, where)
    for name, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{where} [{key}]: {name} must be a whole number of at least 1")
    return dict(table)


PROVIDERS = {
    "claude": "anthropic",
    "codex": "openai",
    "gemini": "google",
    "qwen": "qwen",
    "copilot": "github",
    "opencode": "openai",
    "aider": "openai",
    "command": "local",
}


def provider_of(agent: str, config: Config) -> str:
    own = config.agents.get(agent)
    if own is not None and own.provider:
        return own.provider
    return PROVIDERS.get(agent, agent)


def account_of(agent: str, config: Config) -> str:
    """Who a provider bills and limits: the provider and the key (or gateway) an agent uses."""
    own = config.agents.get(agent) or AgentConfig()
    return f"{provider_of(agent, config)}:{own.api_key_env or own.base_url or 'default'}"


def _rung(text: str) -> tuple[str, str | None]:
    """'claude:claude-opus-4-1' -> ('claude', 'claude-opus-4-1'); 'codex' -> ('codex', None)."""
    agent, _, model = text.partition(":")
    return agent.strip(), (model.strip() or None)


def _agent(name: str, table: Any, where: str) -> AgentConfig:
    at = f"{where} [agents.{name}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{at}: must be a table")
    _check_keys(table, "agent", at)
    env = table.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise ConfigError(f"{at}: env must be a table of strings")
    return AgentConfig(
        base_url=_text(table, "base_url", at),
        api_key_env=_text(table, "api_key_env", at),
        bin=_text(table, "bin", at),
        provider=_text(table, "provider", at),
        model=_text(table, "model", at),
        args=_strings(table, "args", at, ()),
        env=tuple(sorted(env.items())),
    )


def _check_keys(data: dict[str, Any], section: str, where: str) -> None:
    import difflib

    for key in data:
        if key not in _KEYS[section]:
            close = difflib.get_close_matches(key, sorted(_KEYS[section]), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: unknown key {key!r}{hint}")


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return value


def _strings(
    data: dict[str, Any], key: str, where: str, default: tuple[str, ...]
) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _positive(data: dict[str, Any], key: str, where: str, default: Any) -> Any:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}: {key} must be a positive number, not {value!r}")
    return type(default)(value)


def _at_least_zero(data: dict[str, Any], key: str, where: str, default: float) -> Any:
    """A count (int default) or seconds (float default) that may be 0, never negative."""
    value = data.get(key, default)
    whole = isinstance(default, int)
    kinds = int if whole else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or value < 0:
        what = "a whole number" if whole else "a number of seconds"
        raise ConfigError(f"{where}: {key} must be {what}, 0 or more, not {value!r}")
    return type(default)(value)


def _flag(data: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false, not {value!r}")
    return value


def _text(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string, not {value!r}")
    return value
