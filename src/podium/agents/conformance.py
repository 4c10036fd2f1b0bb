"""A conformance check for adapters: `python -m podium.agents.conformance [NAME ...]`.

It checks what podium relies on without running the agent: the members exist and return the
right types, a launch keeps secrets out of argv, parse never raises and verdict gives a
reason on failure.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from podium.agents.base import Adapter, AgentEvent, Availability, Job, Launch, Verdict
from podium.config import AgentConfig
from podium.plans.model import Task

SECRET = "sk-podium-conformance-secret"
GARBAGE = ("", "not json", "{", '{"type": 42}', "[]", "null", "\x00\xff", "x" * 100_000)


def sample_job(home: Path) -> Job:
    worktree = home / "worktree"
    worktree.mkdir(exist_ok=True)
    prompt_file = home / "prompt.md"
    prompt_file.write_text("Create hello.py\n")
    task = Task("hello", "Create hello.py", files=("hello.py",), command=("true",))
    config = AgentConfig(
        base_url="http://127.0.0.1:9",
        api_key_env="PODIUM_CONFORMANCE_KEY",
        model="test-model",
        args=("--extra",),
        env=(("EXTRA_ENV", "1"),),
    )
    return Job(task, "Create hello.py\n", prompt_file, worktree, home, None, config)


def check_adapter(adapter: Adapter) -> list[str]:
    """Problems found (empty when the adapter conforms)."""
    problems: list[str] = []
    if not isinstance(getattr(adapter, "name", None), str) or not adapter.name:
        problems.append("name must be a non-empty string")
    state = adapter.available(None)
    if not isinstance(state, Availability):
        problems.append("available() must return an Availability")
    elif not state.usable and (not state.why or "\n" in state.why):
        problems.append("available(): when not usable, `why` must be one line saying why")
    problems += _check_launch(adapter)
    problems += _check_parse(adapter)
    problems += _check_verdict(adapter)
    return problems


def _check_launch(adapter: Adapter) -> list[str]:
    os.environ["PODIUM_CONFORMANCE_KEY"] = SECRET
    try:
        with tempfile.TemporaryDirectory() as tmp:
            launch = adapter.launch(sample_job(Path(tmp)))
    finally:
        del os.environ["PODIUM_CONFORMANCE_KEY"]
    if not isinstance(launch, Launch):
        return ["launch() must return a Launch"]
    problems = []
    if not launch.argv or not all(isinstance(a, str) for a in launch.argv):
        problems.append("launch().argv must be a non-empty tuple of strings")
    if any(SECRET in a for a in launch.argv):
        problems.append("launch() put the API key in argv (visible to every user in `ps`)")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in launch.env.items()):
        problems.append("launch().env must map strings to strings")
    if any(not Path(p).is_absolute() for p in launch.files):
        problems.append("launch().files must be absolute paths (under the job's home)")
    return problems


def _check_parse(adapter: Adapter) -> list[str]:
    for line in GARBAGE:
        try:
            events = adapter.parse(line)
        except Exception as exc:
            return [f"parse({line[:20]!r}) raised {type(exc).__name__}: parse must never raise"]
        if not isinstance(events, Sequence) or not all(isinstance(e, AgentEvent) for e in events):
            return [f"parse({line[:20]!r}) must return a sequence of AgentEvent"]
    return []


def _check_verdict(adapter: Adapter) -> list[str]:
    problems = []
    failed = adapter.verdict(1, ())
    if not isinstance(failed, Verdict) or failed.ok or not failed.reason:
        problems.append("verdict(1, ()) must be a failure with a reason")
    crashed = adapter.verdict(0, (AgentEvent("result", "boom", is_error=True),))
    if not isinstance(crashed, Verdict) or crashed.ok:
        problems.append("verdict(0, [result is_error]) must be a failure")
    return problems


def main(argv: list[str]) -> int:
    from podium.agents import registry

    names = argv or registry.names()
    failed = 0
    for name in names:
        problems = check_adapter(registry.get(name))
        failed += bool(problems)
        print(f"{'ok' if not problems else 'FAIL'} {name}")
        for problem in problems:
            print(f"   - {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
