"""podium.toml's `[janitor]`: evasion policies with their defaults, and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.config import load_config, parse_config
from podium.errors import ConfigError


def test_every_evasion_fails_by_default_but_the_opt_in_one() -> None:
    policy = parse_config({}, "podium.toml").janitor.policy
    assert policy.pop("untested-changes") == "allow"
    assert set(policy.values()) == {"fail"} and len(policy) == 6


def test_janitor_table_sets_policies_and_the_collect_command(tmp_path: Path) -> None:
    (tmp_path / "podium.toml").write_text(
        '[janitor]\nremove-tests = "warn"\nadd-suppressions = "allow"\n'
        'untested-changes = "warn"\n'
        'collect = "npx jest --listTests"\nconfig_files = ["scripts/*.sh"]\n'
    )
    janitor = load_config(tmp_path).janitor
    assert janitor.policy["remove-tests"] == "warn"
    assert janitor.policy["add-suppressions"] == "allow"
    assert janitor.policy["disable-tests"] == "fail"
    assert janitor.policy["untested-changes"] == "warn"
    assert (janitor.collect, janitor.config_files) == ("npx jest --listTests", ("scripts/*.sh",))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"remove-tests": "sometimes"},
            "podium.toml [janitor]: remove-tests must be 'fail', 'warn' or 'allow', not 'sometimes",
        ),
        ({"remove-test": "warn"}, "podium.toml [janitor]: unknown key 'remove-test' (did you mean"),
        (
            {"untested-changes": "on"},
            "podium.toml [janitor]: untested-changes must be 'fail', 'warn' or 'allow', not 'on'",
        ),
        ({"collect": ["pytest"]}, "podium.toml [janitor]: collect must be a command line"),
        ({"config_files": ["a/[b"]}, "podium.toml [janitor]: config_files entry 'a/[b': "),
    ],
)
def test_bad_janitor_values_are_located(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"janitor": table}, "podium.toml")
    assert str(info.value).startswith(message)
