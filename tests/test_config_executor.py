"""podium.toml's `[executor]`: local by default; temporal needs a remote; located errors."""

from __future__ import annotations

import pytest

from podium.config import parse_config
from podium.errors import ConfigError


def test_attempts_run_here_unless_the_config_says_otherwise() -> None:
    assert parse_config({}, "podium.toml").executor.kind == "local"


def test_a_temporal_executor_with_its_service_and_remote() -> None:
    table = {
        "kind": "temporal",
        "address": "temporal.example:7233",
        "namespace": "team",
        "task_queue": "agents",
        "remote": "origin",
        "heartbeat": 20,
        "tls_ca": "ca.pem",
        "api_key_env": "TEMPORAL_API_KEY",
    }
    executor = parse_config({"executor": table}, "podium.toml").executor
    assert (executor.address, executor.namespace, executor.task_queue) == (
        "temporal.example:7233",
        "team",
        "agents",
    )
    assert (executor.remote, executor.heartbeat, executor.tls_ca) == ("origin", 20.0, "ca.pem")
    assert executor.api_key_env == "TEMPORAL_API_KEY"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"kind": "ray"}, "podium.toml [executor]: kind must be 'local' or 'temporal', not 'ray'"),
        ({"kind": "temporal"}, "podium.toml [executor]: kind 'temporal' needs remote = the git"),
        ({"adress": "x:1"}, "podium.toml [executor]: unknown key 'adress' (did you mean 'address"),
        ({"heartbeat": 0}, "podium.toml [executor]: heartbeat must be a positive number, not 0"),
        ({"namespace": " "}, "podium.toml [executor]: namespace must not be empty"),
        ({"tls": "yes"}, "podium.toml [executor]: tls must be true or false, not 'yes'"),
        (
            {"kind": "temporal", "remote": "https://me:hunter2@git.example/r.git"},
            "podium.toml [executor]: remote https://...: a password in the URL would travel",
        ),
    ],
)
def test_bad_executor_settings_are_located(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"executor": table}, "podium.toml")
    assert str(err.value).startswith(message)


def test_a_remote_url_with_a_user_but_no_password_is_fine() -> None:
    table = {"kind": "temporal", "remote": "ssh://git@git.example/r.git"}
    assert parse_config({"executor": table}, "podium.toml").executor.remote.startswith("ssh://")
