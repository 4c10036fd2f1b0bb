"""podium's plan format: what a user writes, what they get back, what they read when it is wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.errors import ConfigError, PlanError
from podium.plans.loading import load_plan, parse_plan
from podium.plans.model import DEFAULT_AGENTS, Check, Plan, Task, dump_plan, estimate_minutes

FULL = """\
name: rate-limiting
agent: claude
max_parallel: 3
gates: ["python -m pytest -q"]
description: Add rate limiting.
constraints: ["Python 3.11", "no new dependencies"]
budget_usd: 15
tasks:
  - id: middleware
    goal: Add rate limiting middleware
    description: A token bucket per client.
    files: ["src/app/middleware/**", "src/app/settings.py"]
    priority: 1
    role: backend
    complexity: high
    estimated_minutes: 30
    model: sonnet
    budget_usd: 2.5
    checks:
      - path_exists: src/app/middleware/ratelimit.py
      - glob_exists: "src/app/**/*.py"
      - file_contains: {path: src/app/settings.py, text: RATE_LIMIT}
      - command: python -m pytest -q tests/test_ratelimit.py
  - id: edit
    goal: Apply the scripted edit
    after: [middleware]
    agent: command
    command: python tools/edit.py {worktree} "{prompt_file}"
"""


def write(tmp_path: Path, text: str, name: str = "plan.yaml") -> str:
    (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return name


def errors(tmp_path: Path, text: str, **kwargs: object) -> list[str]:
    """The located messages a user reads for `text`, loaded as ./plan.yaml."""
    write(tmp_path, text)
    with pytest.raises(PlanError) as info:
        load_plan("plan.yaml", **kwargs)  # type: ignore[arg-type]
    assert str(info.value).splitlines() == info.value.errors  # type: ignore[attr-defined]
    return list(info.value.errors)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_full_plan_loads_every_key(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, FULL))
    assert plan.name == "rate-limiting"
    assert (plan.agent, plan.max_parallel, plan.budget_usd) == ("claude", 3, 15.0)
    assert plan.gates == ("python -m pytest -q",)
    assert plan.constraints == ("Python 3.11", "no new dependencies")
    assert plan.source == "plan.yaml" and plan.notes == ()
    middleware = plan.task("middleware")
    assert middleware.files == ("src/app/middleware/**", "src/app/settings.py")
    assert (middleware.priority, middleware.complexity, middleware.model) == (1, "high", "sonnet")
    assert middleware.agent == "claude" and middleware.budget_usd == 2.5
    assert middleware.checks == (
        Check("path_exists", path="src/app/middleware/ratelimit.py"),
        Check("glob_exists", path="src/app/**/*.py"),
        Check("file_contains", path="src/app/settings.py", text="RATE_LIMIT"),
        Check("command", run="python -m pytest -q tests/test_ratelimit.py"),
    )
    edit = plan.task("edit")
    assert edit.agent == "command"
    assert edit.command == ("python", "tools/edit.py", "{worktree}", "{prompt_file}")
    assert plan.deps() == {"middleware": (), "edit": ("middleware",)}


def test_defaults_for_a_minimal_plan() -> None:
    plan = parse_plan("tasks:\n  - id: only\n    goal: Do the one thing\n")
    assert plan == Plan(
        name="plan",
        tasks=(Task(id="only", goal="Do the one thing", agent=""),),  # settled at run time
        source="<string>",
    )
    assert plan.gates is None  # podium.toml's gates apply


def test_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    assert load_plan(write(tmp_path, "tasks: [{id: a, goal: x}]", "auth.yaml")).name == "auth"


def test_default_agent_replaces_the_plan_agent_but_not_a_tasks_own() -> None:
    text = "agent: codex\ntasks:\n- {id: a, goal: x}\n- {id: b, goal: y, agent: gemini}\n"
    plan = parse_plan(text, default_agent="aider")
    assert plan.agent == "aider"
    assert [t.agent for t in plan.tasks] == ["aider", "gemini"]


def test_unknown_default_agent_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"--agent: unknown agent 'cursor' \(known: aider,"):
        parse_plan("tasks: [{id: a, goal: x}]", default_agent="cursor")


def test_one_string_is_a_one_item_list_and_numbers_are_ids() -> None:
    plan = parse_plan("tasks:\n- {id: 1, goal: x, files: src/**}\n- {id: b, goal: y, after: 1}\n")
    assert plan.tasks[0].id == "1" and plan.tasks[0].files == ("src/**",)
    assert plan.tasks[1].after == ("1",)


def test_estimate_minutes_uses_the_estimate_else_complexity() -> None:
    assert estimate_minutes(Task("a", "x", estimated_minutes=7)) == 7
    assert [estimate_minutes(Task("a", "x", complexity=c)) for c in ("low", "medium", "high")] == [
        10,
        20,
        40,
    ]


def test_dump_plan_round_trips_to_an_equal_plan(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, FULL))
    text = dump_plan(plan)
    again = parse_plan(text)
    assert again == Plan(**{**plan.__dict__, "source": "<string>"})
    assert dump_plan(again) == text  # deterministic bytes
    assert "agent: command" in text and text.count("agent:") == 2  # only where it differs


def test_dump_plan_keeps_no_gates_apart_from_default_gates() -> None:
    plan = parse_plan("gates: []\ntasks: [{id: a, goal: x}]")
    assert plan.gates == ()
    assert parse_plan(dump_plan(plan)).gates == ()


def test_yaml_syntax_error_has_parser_line_and_column(tmp_path: Path) -> None:
    got = errors(tmp_path, "name: x\ntasks:\n  - id: a\n    goal: [unclosed\n  - id: b\n")
    assert got == [
        "plan.yaml:5:7: invalid YAML: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence at line 4, column 11)"
    ]


def test_repeated_key_names_both_lines(tmp_path: Path) -> None:
    got = errors(tmp_path, "tasks:\n  - id: a\n    goal: x\n    goal: y\n")
    assert got == ["plan.yaml:4:5: key 'goal' repeated (first on line 3)"]


def test_unknown_keys_suggest_the_right_one(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        """\
        name: demo
        max_paralel: 2
        tasks:
          - id: a
            goal: x
            afer: [b]
            depends_on: [b]
            checks:
              - file_exists: a.txt
          - id: b
            goal: y
            colour: red
        """,
    )
    assert got == [
        "plan.yaml:2:1: unknown key 'max_paralel' in the plan (did you mean 'max_parallel'?)",
        "plan.yaml:6:5: unknown key 'afer' in task 'a' (did you mean 'after'?)",
        "plan.yaml:7:5: unknown key 'depends_on' in task 'a' (did you mean 'after'?)",
        "plan.yaml:9:9: unknown key 'file_exists' in task 'a' checks[0] "
        "(did you mean 'path_exists'?)",
        "plan.yaml:12:5: unknown key 'colour' in task 'b'",
    ]


def test_wrong_types_in_plain_words(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        """\
        max_parallel: four
        tasks:
          - id: a
            goal: [x]
            priority: high
            estimated_minutes: soon
            checks:
              - file_contains: {path: x}
          - goal: y
        """,
    )
    assert got == [
        "plan.yaml:1:15: max_parallel must be a whole number, got text 'four'",
        "plan.yaml:4:11: task 'a': goal must be text, got a list",
        "plan.yaml:5:15: task 'a': priority must be a whole number, got text 'high'",
        "plan.yaml:6:24: task 'a': estimated_minutes must be a number, got text 'soon'",
        "plan.yaml:8:24: missing key 'text' in task 'a' checks[0].file_contains",
        "plan.yaml:9:5: missing key 'id' in tasks[1]",
    ]


def test_duplicate_task_id_names_both_lines(tmp_path: Path) -> None:
    got = errors(tmp_path, "tasks:\n  - id: a\n    goal: x\n  - id: a\n    goal: y\n")
    assert got == ["plan.yaml:4:9: duplicate task id 'a' (first on line 2)"]


def test_unknown_dependency_lists_known_tasks(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        """\
        tasks:
          - {id: backend, goal: x}
          - {id: tests, goal: y}
          - id: docs
            goal: z
            after: [backend, api]
          - {id: web, goal: w, after: [test]}
        """,
    )
    assert got == [
        "plan.yaml:6:22: task 'docs' depends on unknown task 'api' (known: backend, tests, web)",
        "plan.yaml:7:32: task 'web' depends on unknown task 'test' "
        "(did you mean 'tests'? known: backend, tests, docs)",
    ]


def test_dependency_cycle_is_shown_as_a_path(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        """\
        tasks:
          - {id: a, goal: x, after: [b]}
          - {id: b, goal: y, after: [c]}
          - {id: c, goal: z, after: [a]}
        """,
    )
    assert got == ["plan.yaml:2:29: dependency cycle: a -> b -> c -> a"]


def test_empty_goal(tmp_path: Path) -> None:
    got = errors(tmp_path, "tasks:\n  - id: a\n    goal: '  '\n")
    assert got == [
        "plan.yaml:3:11: task 'a' has an empty goal; say in one sentence what the task must achieve"
    ]


def test_bad_globs_in_files(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        """\
        tasks:
          - id: a
            goal: x
            files:
              - ""
              - /etc/passwd
              - ../other/**
              - "src/[ab.py"
              - src/ok/**
        """,
    )
    assert got == [
        "plan.yaml:5:9: task 'a' has a bad files entry: the pattern is empty",
        "plan.yaml:6:9: task 'a' has a bad files entry: "
        "'/etc/passwd' is absolute: write it relative to the repository root",
        "plan.yaml:7:9: task 'a' has a bad files entry: "
        "'../other/**' has a '..' segment: write the path from the repository root",
        "plan.yaml:8:9: task 'a' has a bad files entry: "
        "'src/[ab.py': '[' at column 5 is never closed with ']'",
    ]


def test_unknown_agent_lists_known_agents(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        "agent: cursor\ntasks:\n  - {id: a, goal: x}\n  - {id: b, goal: y, agent: kiro}\n",
        agents=("claude", "codex"),
    )
    assert got == [
        "plan.yaml:1:8: unknown agent 'cursor' (known: claude, codex)",
        "plan.yaml:4:29: task 'b' uses unknown agent 'kiro' (known: claude, codex)",
    ]


def test_command_agent_needs_a_command_and_only_it_takes_one(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        """\
        tasks:
          - id: a
            goal: x
            agent: command
          - id: b
            goal: y
            command: [python, edit.py]
        """,
    )
    assert got == [
        "plan.yaml:4:12: task 'a' uses agent 'command' but has no 'command'; give an argv list "
        'such as ["python", "tools/edit.py", "{worktree}", "{prompt_file}"]',
        "plan.yaml:7:14: task 'b' has a 'command' but no agent; set agent: command",
    ]


def test_a_check_has_exactly_one_kind(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        """\
        tasks:
          - id: a
            goal: x
            checks:
              - {}
              - {path_exists: a, command: b}
        """,
    )
    assert got == [
        "plan.yaml:5:9: task 'a': checks[0]: needs exactly one of path_exists, glob_exists, "
        "file_contains, command",
        "plan.yaml:6:9: task 'a': checks[1]: needs exactly one of path_exists, glob_exists, "
        "file_contains, command; got path_exists, command",
    ]


def test_bad_id_priority_complexity_and_checks(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        """\
        tasks:
          - id: Add Auth
            goal: x
            priority: 0
            complexity: huge
            checks:
              - path_exists: ok.txt
              - command: "pytest 'unclosed"
              - file_contains: {path: a.txt, text: ""}
              - glob_exists: /abs/**
        """,
    )
    assert got == [
        "plan.yaml:2:9: task id 'Add Auth' must be lowercase letters, digits, '-' and '_', "
        "starting with a letter or digit, at most 64 long (e.g. 'add-auth')",
        "plan.yaml:4:15: task 'Add Auth' has priority 0; use 1 (most urgent) to 5 (least)",
        "plan.yaml:5:17: task 'Add Auth' has complexity 'huge'; use low, medium or high",
        "plan.yaml:8:9: task 'Add Auth' has a bad check: cannot split the command line: "
        "No closing quotation",
        "plan.yaml:9:9: task 'Add Auth' has a bad check: file_contains needs a non-empty 'text'",
        "plan.yaml:10:9: task 'Add Auth' has a bad check: "
        "glob_exists: '/abs/**' is absolute: write it relative to the repository root",
    ]


def test_empty_tasks_list(tmp_path: Path) -> None:
    got = errors(tmp_path, "name: nothing\ntasks: []\n")
    assert got == ["plan.yaml:2:8: the plan has no tasks; add at least one under 'tasks'"]


def test_missing_tasks_key(tmp_path: Path) -> None:
    assert errors(tmp_path, "name: nothing\n") == ["plan.yaml:1:1: missing key 'tasks' in the plan"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- a\n- b\n",
            "plan.yaml:1:1: the plan must be a mapping of keys ('name', 'tasks', ...), got a list",
        ),
        ("", "plan.yaml:1:1: the plan is empty; expected keys such as 'name' and 'tasks'"),
    ],
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, message: str) -> None:
    assert errors(tmp_path, text) == [message]


def test_missing_file_suggests_a_near_name(tmp_path: Path) -> None:
    write(tmp_path, "tasks: [{id: a, goal: x}]", "plan.yml")
    with pytest.raises(PlanError) as info:
        load_plan("plan.yaml")
    assert str(info.value) == "plan.yaml: no such plan file (did you mean 'plan.yml'?)"


def test_missing_file_in_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"^plans/x.yaml: no such plan file \(no directory"):
        load_plan(Path("plans/x.yaml"))


def test_many_errors_are_capped_in_the_message_but_all_kept(tmp_path: Path) -> None:
    tasks = "".join(f"  - {{id: t{i}, goal: x, priority: 9}}\n" for i in range(45))
    write(tmp_path, "tasks:\n" + tasks)
    with pytest.raises(PlanError) as info:
        load_plan("plan.yaml")
    assert len(info.value.errors) == 45  # type: ignore[attr-defined]
    assert str(info.value).splitlines()[-1] == "... and 5 more problems"


def test_default_agents_include_the_command_agent() -> None:
    assert "command" in DEFAULT_AGENTS and "claude" in DEFAULT_AGENTS


ids = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,11}", fullmatch=True)
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
paths = st.from_regex(r"[a-z]{1,6}(/[a-z*]{1,6}){0,2}", fullmatch=True)
checks = st.one_of(
    st.builds(Check, kind=st.just("path_exists"), path=paths),
    st.builds(Check, kind=st.just("glob_exists"), path=paths),
    st.builds(Check, kind=st.just("file_contains"), path=paths, text=words.filter(str.strip)),
    st.builds(
        Check, kind=st.just("command"), run=st.from_regex(r"[a-z]{1,8}( -[a-z])?", fullmatch=True)
    ),
)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    names = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    agent = draw(st.sampled_from(["claude", "codex"]))
    tasks = tuple(
        Task(
            id=name,
            goal=draw(words.filter(str.strip)),
            description=draw(words),
            files=tuple(draw(st.lists(paths, max_size=3))),
            after=tuple(draw(st.lists(st.sampled_from(names[:i]), max_size=2))) if i else (),
            priority=draw(st.integers(1, 5)),
            role=draw(words),
            complexity=draw(st.sampled_from(["low", "medium", "high"])),
            estimated_minutes=draw(st.none() | st.floats(0.5, 500).map(lambda x: round(x, 2))),
            agent=draw(st.sampled_from([agent, "gemini"])),
            model=draw(st.none() | words),
            checks=tuple(draw(st.lists(checks, max_size=3))),
            budget_usd=draw(st.none() | st.integers(1, 50).map(float)),
        )
        for i, name in enumerate(names)
    )
    return Plan(
        name=draw(words.filter(str.strip)),
        tasks=tasks,
        agent=agent,
        max_parallel=draw(st.integers(1, 16)),
        gates=draw(st.none() | st.lists(words.filter(str.strip), max_size=2).map(tuple)),
        description=draw(words),
        constraints=tuple(draw(st.lists(words, max_size=2))),
        budget_usd=draw(st.none() | st.floats(0.5, 100).map(lambda x: round(x, 2))),
        source="<string>",
    )


@settings(max_examples=60, deadline=None)
@given(plans())
def test_any_valid_plan_survives_dump_and_parse(plan: Plan) -> None:
    assert parse_plan(dump_plan(plan)) == plan


def test_a_task_may_allow_evasion_classes_by_name(tmp_path: Path) -> None:
    text = "tasks:\n  - id: rename\n    goal: Rename a test\n    allow: [remove-tests]\n"
    plan = parse_plan(text)
    assert plan.task("rename").allow == ("remove-tests",)
    assert parse_plan(dump_plan(plan)).task("rename").allow == ("remove-tests",)
    bad = "tasks:\n  - id: t\n    goal: g\n    allow: [remove-test, skip-tests]\n"
    found = errors(tmp_path, bad)
    assert found[0].startswith(
        "plan.yaml:4:13: task 't' allows unknown evasion class 'remove-test' "
        "(did you mean 'remove-tests'? known: remove-tests, disable-tests,"
    )
    assert found[1].startswith("plan.yaml:4:26: task 't' allows unknown evasion class 'skip-tests'")
