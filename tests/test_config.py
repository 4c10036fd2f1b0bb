"""podium.toml: what a project writes, what podium makes of it, and the message when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.config import AgentConfig, Config, load_config, parse_config, provider_of
from podium.errors import ConfigError
from podium.routing.prices import Price

FULL = """\
gates = ["ruff check .", "python -m pytest -q"]
ownership = "warn"
max_parallel = 6
max_attempts = 3
baseline = "strict"
fallback = ["codex"]
cooldown = 30

[worktrees]
shared = [".venv"]
copy = []
setup = "make deps"

[timeouts]
wall = 600
silence = 90.5

[merge]
batch = 4
wait = 2
gate_attempts = true
conflict_retries = 0

[retries]
ladder = ["claude:claude-opus-4-1", "codex"]

[gate_compare]
"python -m pytest -q" = "exit"

[caps]
claude = 2

[provider_caps]
openai = 3

[agents.claude]
base_url = "http://127.0.0.1:9000"
api_key_env = "MY_KEY"
model = "claude-sonnet-4-5"
args = ["--verbose"]
env = {B = "2", A = "1"}
provider = "bedrock"

[prices."my-model"]
input = 1.0
output = 2.0
"""


def write(repo: Path, text: str) -> Path:
    (repo / "podium.toml").write_text(text, encoding="utf-8")
    return repo


def refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert info.value.exit_code == 2
    return str(info.value).removeprefix(f"{tmp_path / 'podium.toml'}")


def test_no_podium_toml_means_the_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()


def test_dependents_start_on_verified_work_unless_told_otherwise(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "[merge]\nbatch = 2\n")).speculate == "verified"
    for mode in ("finished", "off"):
        assert load_config(write(tmp_path, f'[merge]\nspeculate = "{mode}"\n')).speculate == mode
    assert "speculate must be verified, finished or off" in refusal(
        tmp_path, '[merge]\nspeculate = "on"\n'
    )


def test_every_setting_is_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    assert config.gates == ("ruff check .", "python -m pytest -q")
    assert (config.ownership, config.max_parallel, config.max_attempts) == ("warn", 6, 3)
    assert (config.shared, config.copy, config.setup) == ((".venv",), (), "make deps")
    assert (config.wall_timeout, config.silence_timeout) == (600.0, 90.5)
    assert (config.batch, config.batch_wait, config.gate_attempts) == (4, 2.0, True)
    assert config.conflict_retries == 0
    assert config.ladder == (("claude", "claude-opus-4-1"), ("codex", None))
    assert (config.baseline, config.compare) == ("strict", {"python -m pytest -q": "exit"})
    assert (config.fallback, config.cooldown) == (("codex",), 30.0)
    assert (config.caps, config.provider_caps) == ({"claude": 2}, {"openai": 3})
    assert config.agents["claude"] == AgentConfig(
        base_url="http://127.0.0.1:9000",
        api_key_env="MY_KEY",
        model="claude-sonnet-4-5",
        args=("--verbose",),
        env=(("A", "1"), ("B", "2")),
        provider="bedrock",
    )
    assert config.prices == {"my-model": Price(1.0, 2.0)}


def test_the_provider_is_podium_tomls_else_the_agents_maker(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    assert provider_of("claude", config) == "bedrock"
    assert provider_of("codex", config) == "openai"
    assert provider_of("my-own-cli", config) == "my-own-cli"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gates = 1\nmax_parallel = = 2\n", ": Invalid value (at line 2, column 16)"),
        ("max_paralel = 2\n", ": unknown key 'max_paralel' (did you mean 'max_parallel'?)"),
        ("[timeouts]\nwal = 5\n", " [timeouts]: unknown key 'wal' (did you mean 'wall'?)"),
        ("[merge]\nbatchsize = 5\n", " [merge]: unknown key 'batchsize' (did you mean 'batch'?)"),
        ("ownership = 'ignore'\n", ": ownership must be 'fail' or 'warn', not 'ignore'"),
        ("baseline = 'loose'\n", ": baseline must be 'auto' or 'strict', not 'loose'"),
        ("max_parallel = 0\n", ": max_parallel must be a positive number, not 0"),
        ("max_attempts = true\n", ": max_attempts must be a positive number, not True"),
        ("[timeouts]\nwall = '1h'\n", " [timeouts]: wall must be a positive number, not '1h'"),
        ("gates = 'pytest'\n", ": gates must be a list of strings"),
        ("worktrees = 3\n", ": [worktrees] must be a table"),
        ("[caps]\nclaude = 0\n", " [caps]: claude must be a whole number of at least 1"),
        (
            "[gate_compare]\npytest = 'fuzzy'\n",
            " [gate_compare]: 'pytest' must be pytest, exit or strict",
        ),
        ("[agents]\nclaude = 1\n", " [agents.claude]: must be a table"),
        (
            "[agents.claude]\nmodel_name = 'x'\n",
            " [agents.claude]: unknown key 'model_name' (did you mean 'model'?)",
        ),
        ("[agents.claude]\nenv = {A = 1}\n", " [agents.claude]: env must be a table of strings"),
        (
            "[merge]\nwait = 'soon'\n",
            " [merge]: wait must be a number of seconds, 0 or more, not 'soon'",
        ),
        ("[merge]\nwait = -1\n", " [merge]: wait must be a number of seconds, 0 or more, not -1"),
        (
            "[merge]\nconflict_retries = 'two'\n",
            " [merge]: conflict_retries must be a whole number, 0 or more, not 'two'",
        ),
        (
            "[merge]\nconflict_retries = -1\n",
            " [merge]: conflict_retries must be a whole number, 0 or more, not -1",
        ),
        (
            "[merge]\nconflict_retries = 1.5\n",
            " [merge]: conflict_retries must be a whole number, 0 or more, not 1.5",
        ),
        (
            "[merge]\ngate_attempts = 'false'\n",
            " [merge]: gate_attempts must be true or false, not 'false'",
        ),
        ("[worktrees]\nsetup = 3\n", " [worktrees]: setup must be a string, not 3"),
        ("[agents.claude]\nmodel = 5\n", " [agents.claude]: model must be a string, not 5"),
        (
            "[agents.codex]\nbase_url = ['http://x']\n",
            " [agents.codex]: base_url must be a string, not ['http://x']",
        ),
    ],
)
def test_a_bad_setting_is_named_with_its_file_and_section(
    tmp_path: Path, text: str, message: str
) -> None:
    assert refusal(tmp_path, text) == message


def test_no_wait_and_no_conflict_retries_are_allowed(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[merge]\nwait = 0\nconflict_retries = 0\n"))
    assert (config.batch_wait, config.conflict_retries, config.gate_attempts) == (0.0, 0, False)


def test_roles_name_an_agent_or_an_agent_and_model() -> None:
    from podium.config import parse_config

    config = parse_config({"roles": {"Docs": "codex", "tests": "claude:claude-haiku-4-5"}}, "p")
    assert config.roles == {"docs": ("codex", None), "tests": ("claude", "claude-haiku-4-5")}
    for bad in ({"docs": ""}, {"docs": 3}, {"docs": ":m"}):
        with pytest.raises(ConfigError, match=r"p \[roles\]: docs must be"):
            parse_config({"roles": bad}, "p")


def test_roles_in_podium_toml() -> None:
    config = parse_config({"roles": {"Docs": "gemini", "tests": "aider:ollama/qwen"}}, "t")
    assert config.roles == {"docs": ("gemini", None), "tests": ("aider", "ollama/qwen")}
    with pytest.raises(ConfigError, match="roles"):
        parse_config({"roles": {"docs": 3}}, "t")
