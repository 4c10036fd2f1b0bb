"""What travels through Temporal for an attempt: JSON both ways, no secrets, bounded size."""

from __future__ import annotations

import json
from pathlib import Path

from podium.agents.base import AgentEvent
from podium.agents.runner import Outcome
from podium.config import AgentConfig, Config
from podium.executors import temporal_wire as wire
from podium.executors.base import AttemptRequest, AttemptResult
from podium.plans.model import Task
from podium.routing.prices import Price


def request(tmp_path: Path) -> AttemptRequest:
    task = Task("api", "build the api", agent="claude", model="m1", budget_usd=2.0)
    secret = AgentConfig(base_url="http://gw", api_key_env="GW_KEY", env=(("TOKEN", "s3cret"),))
    config = Config(
        wall_timeout=60.0,
        silence_timeout=9.0,
        setup="make deps",
        agents={"claude": secret},
        prices={"m1": Price(1.0, 2.0)},
    )
    return AttemptRequest(
        "r1", task, 2, "abc", "podium/r1/api/a2", tmp_path / "wt", "do it", tmp_path / "logs",
        tmp_path / "home", config, "build the api\n\nPodium-Task: r1/api\n",
    )  # fmt: skip


def test_the_spec_is_json_and_carries_no_agent_env(tmp_path: Path) -> None:
    spec = wire.spec_of(request(tmp_path), "/srv/repo.git", "podium", 5.0)
    text = json.dumps(spec)
    assert "s3cret" not in text and "TOKEN" not in text
    assert spec["agent"]["api_key_env"] == "GW_KEY"  # the name; the value is the worker's
    assert spec["queue"] == "podium.claude"
    assert spec["deadline"] > spec["wall"] == 60.0


def test_a_worker_rebuilds_the_same_attempt_in_its_own_folders(tmp_path: Path) -> None:
    sent = request(tmp_path)
    spec = json.loads(json.dumps(wire.spec_of(sent, "/srv/repo.git", "podium", 5.0)))
    got = wire.request_of(spec, tmp_path / "worker")
    assert (got.task.id, got.task.agent, got.task.model, got.task.budget_usd) == (
        "api", "claude", "m1", 2.0,
    )  # fmt: skip
    assert (got.base, got.branch, got.prompt, got.message) == (
        sent.base, sent.branch, sent.prompt, sent.message,
    )  # fmt: skip
    assert got.worktree == tmp_path / "worker" / "worktrees" / "r1" / "api" / "a2"
    assert got.config.agents["claude"].base_url == "http://gw"
    assert got.config.agents["claude"].env == ()
    assert got.config.prices == {"m1": Price(1.0, 2.0)}
    assert (got.config.setup, got.config.silence_timeout) == ("make deps", 9.0)


def test_the_result_keeps_usage_and_limits_and_only_the_logs_tail(tmp_path: Path) -> None:
    log = tmp_path / "a1.log"
    log.write_text("x" * (wire.LOG_TAIL + 10) + "END")
    events = (
        AgentEvent("text", "hello " * 1000),
        AgentEvent("usage", input_tokens=10, output_tokens=5),
        AgentEvent("rate_limit", "slow down", reset_at=99.0),
    )
    result = AttemptResult(Outcome(0, "", events, 1234), None, "beef")
    data = json.loads(json.dumps(wire.result_of(result, "m1", log, "w1")))
    assert (data["head"], data["model"], data["worker"]) == ("beef", "m1", "w1")
    assert len(data["log"]) == wire.LOG_TAIL and data["log"].endswith("END")
    outcome = wire.outcome_of(data)
    assert outcome is not None
    assert [e.kind for e in outcome.events] == ["usage", "rate_limit"]
    assert outcome.events[1].reset_at == 99.0 and outcome.pid is None


def test_the_same_attempt_always_gets_the_same_workflow_id() -> None:
    one = wire.workflow_id("/srv/repo.git", "r1", "api", 1)
    assert one == wire.workflow_id("/srv/repo.git", "r1", "api", 1)
    assert one.endswith("/r1/api/a1")
    assert one != wire.workflow_id("/srv/other.git", "r1", "api", 1)
