"""A goal becomes a plan through one agent call (plus at most one repair round).

The agent runs in a throw-away detached worktree of HEAD (it can read the code, never change
the user's tree) with a compact map of the repository, and answers with JSON matching the plan
schema: through the CLI's structured output where there is one (Claude Code `--json-schema`,
Codex `--output-schema`), else by instructions and extraction from its final text. The answer
goes through `parse_plan`, the validator every plan file goes through; an invalid answer gets
one repair round quoting the validator's errors, a second one is a `PlanError` (exit 2).

The plan is saved as `.podium/plans/<time>-<slug>.yaml` (`dump_plan` of the parsed plan, so
the same answer always gives the same bytes), the planning call's tokens and cost beside it
as `<time>-<slug>.cost.json`. Prompts, answers and the agents' output stay in
`.podium/logs/plans/<time>-<slug>/`, also when planning fails.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from podium import git
from podium.agents import registry, runner
from podium.agents.base import Adapter, Job, Launch
from podium.config import AgentConfig, Config, load_config
from podium.errors import ConfigError, PlanError, PodiumError
from podium.planning import DEFAULT_AGENT, repomap
from podium.planning import prompt as planprompt
from podium.plans.loading import parse_plan
from podium.plans.model import Plan, Task, dump_plan
from podium.runs import worktrees

STRUCTURED = ("claude", "codex")  # the CLIs whose structured output podium uses


@dataclass(frozen=True)
class Usage:
    """What planning cost: the coordination cost of the run that carries the plan out."""

    agent: str
    model: str | None
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    cost_source: str  # "agent": the CLI's own figure; "price table": podium's prices

    def add(self, other: Usage) -> Usage:
        return replace(
            self,
            calls=self.calls + other.calls,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
        )


@dataclass(frozen=True)
class Planned:
    plan: Plan
    text: str  # the saved YAML
    path: Path  # .podium/plans/<time>-<slug>.yaml
    usage: Usage
    logs: Path


@dataclass(frozen=True)
class Call:
    """One planning call: who answers, with what prompt, where its files go."""

    repo: Path
    name: str
    config: Config
    logs: Path
    n: int  # 1, or 2 for the repair round
    schema: dict[str, Any] | None = None  # the answer's JSON schema (None: the plan's)
    model: str | None = None  # the agent's own default when None
    structured: bool = True  # ask for an answer matching the plan schema
    wall: float | None = None  # seconds the call may take; else `[timeouts] wall`


def plan_goal(
    repo: Path,
    goal: str,
    agent: str | None = None,
    out: Path | None = None,
    clock: Callable[[], float] = time.time,
) -> Planned:
    """Ask `agent` (default claude) for a plan of `goal`, validate it, save it."""
    if not goal.strip():
        raise ConfigError("-g/--goal: say what the plan should achieve")
    config = load_config(repo)
    name = agent or DEFAULT_AGENT
    _check_agent(name, config)
    worktrees.ignore_local_files(repo, config)
    base = f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(clock()))}-{planprompt.plan_slug(goal)}"
    logs = _unique(worktrees.state_dir(repo) / "logs" / "plans" / base, "")
    logs.mkdir(parents=True)
    repo_map = repomap.repo_map(repo, config.gates)
    errors: list[str] = []
    previous, usage = "", None
    for n in (1, 2):
        prompt = planprompt.build_prompt(goal, repo_map, name in STRUCTURED, errors, previous)
        answer, used = ask(Call(repo, name, config, logs, n), goal, prompt)
        usage = used if usage is None else usage.add(used)
        previous = planprompt.answer_yaml(answer, name, planprompt.plan_slug(goal))
        source = logs / f"answer-{n}.yaml"
        source.write_text(previous, encoding="utf-8")
        try:
            plan = parse_plan(previous, _shown(repo, source), agents=registry.known())
        except PlanError as exc:
            errors = exc.errors
            continue
        return save(repo, plan, usage, logs, base, out)
    raise PlanError(
        f"the planner ({name}) gave no valid plan, even after a repair round; nothing was "
        f"run (prompts, answers and output in {_shown(repo, logs)}):\n" + "\n".join(errors),
        errors,
    )


def _check_agent(name: str, config: Config) -> None:
    if name == "command":
        raise ConfigError("--agent command runs a program, not a model: plan with an agent CLI")
    found = registry.get(name).available(config.agents.get(name))
    if not found.usable:
        raise ConfigError(f"cannot plan with {name}: {found.why}")


def ask(call: Call, goal: str, prompt: str) -> tuple[Any, Usage]:
    """One planning call in a scratch worktree; the answer (object or text) and its cost."""
    import asyncio

    adapter = registry.get(call.name)
    prompt_file = call.logs / f"prompt-{call.n}.md"
    prompt_file.write_text(prompt, encoding="utf-8")
    log = call.logs / f"call-{call.n}.log"
    with scratch_worktree(call.repo) as (tree, home):
        extra = structured_args(call.name, home, call.schema) if call.structured else ()
        own = call.config.agents.get(call.name) or AgentConfig()
        job_config = replace(own, args=(*own.args, *extra))
        task = Task("plan", goal, role="planner", model=call.model)
        job = Job(task, prompt, prompt_file, tree, home, call.model, job_config)
        launch = adapter.launch(job)
        env = {**runner.agent_env(launch, home, launch.inherit_env), "PWD": str(tree)}
        wall = call.wall or call.config.wall_timeout
        limits = runner.Limits(wall, min(wall, call.config.silence_timeout))
        outcome = asyncio.run(_run(adapter, launch, tree, log, limits, env))
        code = -1 if outcome.exit_code is None else outcome.exit_code
        verdict = adapter.verdict(code, outcome.events)
        if outcome.reason or not verdict.ok:
            why = outcome.reason or verdict.reason
            raise PodiumError(
                f"the planner ({call.name}) failed: {why}; nothing was run "
                f"(its output: {_shown(call.repo, log)})"
            )
        answer = read_answer(call.name, home, log, outcome.events)
    return answer, usage_of(call, launch.model, outcome.events)


async def _run(
    adapter: Adapter,
    launch: Launch,
    tree: Path,
    log: Path,
    limits: runner.Limits,
    env: dict[str, str],
) -> runner.Outcome:
    """The agent to its end; on Ctrl-C its process group (a session of its own) goes too."""
    pids: list[int] = []
    try:
        return await runner.run_agent(adapter, launch, tree, log, limits, env, pids.append)
    except BaseException:
        for pid in pids:
            runner.kill_group(pid)
        raise


def structured_args(name: str, home: Path, wanted: dict[str, Any] | None = None) -> tuple[str, ...]:
    """The CLI's options that ask for an answer matching `wanted` (default: the plan schema)."""
    schema = json.dumps(wanted or planprompt.PLAN_SCHEMA, sort_keys=True)
    if name == "claude":
        return ("--json-schema", schema)
    if name == "codex":
        (home / "plan-schema.json").write_text(schema, encoding="utf-8")
        return ("--output-schema", str(home / "plan-schema.json"), "-o", str(home / "answer.txt"))
    return ()


def read_answer(name: str, home: Path, log: Path, events: tuple[Any, ...]) -> Any:
    """Claude Code: the final `result` line's `structured_output`; Codex: the `-o` file;
    any other agent (or when those are missing): its text, for extraction."""
    stream = runner.raw_log(log)  # the readable log holds no JSON lines; the raw one does
    if name == "claude" and stream.is_file():
        for line in reversed(stream.read_text(encoding="utf-8", errors="replace").splitlines()):
            obj = _json_line(line)
            if obj.get("type") == "result":
                found = obj.get("structured_output")
                return found if isinstance(found, dict) else str(obj.get("result") or "")
    if name == "codex" and (home / "answer.txt").is_file():
        return (home / "answer.txt").read_text(encoding="utf-8")
    return "".join(e.text for e in events if e.kind == "text")


def _json_line(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def usage_of(call: Call, model: str | None, events: tuple[Any, ...]) -> Usage:
    from podium.routing import prices

    tokens_in, tokens_out, cost = runner.summarize(events)
    source = "agent"
    if cost is None:
        cost, source = prices.cost(model, tokens_in, tokens_out, call.config.prices), "price table"
    return Usage(call.name, model, 1, tokens_in, tokens_out, cost, source)


@contextmanager
def scratch_worktree(repo: Path) -> Iterator[tuple[Path, Path]]:
    """A detached worktree of HEAD and an empty HOME, both gone afterwards."""
    root = Path(tempfile.mkdtemp(prefix="podium-plan-"))
    tree, home = root / "repo", root / "home"
    home.mkdir()
    try:
        git.run(repo, "worktree", "add", "--quiet", "--detach", str(tree), "HEAD")
        yield tree, home
    finally:
        git.run(repo, "worktree", "remove", "--force", "--force", str(tree), check=False)
        shutil.rmtree(root, ignore_errors=True)
        git.run(repo, "worktree", "prune", check=False)


def save(repo: Path, plan: Plan, usage: Usage, logs: Path, base: str, out: Path | None) -> Planned:
    text = dump_plan(plan)
    path = _unique(worktrees.state_dir(repo) / "plans" / base, ".yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    cost = {**asdict(usage), "plan": _shown(repo, path), "logs": _shown(repo, logs)}
    path.with_suffix(".cost.json").write_text(json.dumps(cost, indent=2) + "\n")
    if out is not None:
        out.write_text(text, encoding="utf-8")
    return Planned(plan, text, path, usage, logs)


def _unique(stem: Path, suffix: str) -> Path:
    """`stem + suffix`, or `stem-2 + suffix`, ... when that is taken."""
    path, n = stem.with_name(stem.name + suffix), 2
    while path.exists():
        path, n = stem.with_name(f"{stem.name}-{n}{suffix}"), n + 1
    return path


def _shown(repo: Path, path: Path) -> str:
    """A path as the user should read it: relative to the repository when inside it."""
    try:
        return str(path.relative_to(repo))
    except ValueError:
        return str(path)
