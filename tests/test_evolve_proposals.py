"""Proposals from rows built here with a fixed clock: the same history, the same proposals;
each with the figures it comes from; too little history proposes nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from podium.evolve.facts import Applied, AttemptFact, GateFact, History, LimitFact, Settings
from podium.evolve.proposals import analyse, judge

T0 = 1_000.0


def att(run: str, task: str, n: int, outcome: str, **kw: Any) -> AttemptFact:
    fields: dict[str, Any] = {
        "role": "",
        "complexity": "medium",
        "agent": "claude",
        "model": None,
        "reason": "",
        "seconds": 10.0,
        "cost_usd": 0.0,
    }
    fields.update(kw)
    start = T0 + 100 * int(run[1:]) + n
    return AttemptFact(
        run, task, n, fields["role"], fields["complexity"], fields["agent"], fields["model"],
        outcome, fields["reason"], start, start + fields["seconds"], fields["cost_usd"],
        fields.get("silence"), fields.get("wall"),
    )  # fmt: skip


def history(*attempts: AttemptFact, **kw: Any) -> History:
    runs = tuple(sorted({a.run_id for a in attempts}))
    return History(runs, attempts, **kw)


def docs_history() -> History:
    rows = []
    for run in ("r1", "r2"):
        for task in ("a", "b"):
            rows += [
                att(run, task, 1, "agent_failed", role="docs", agent="claude"),
                att(run, task, 2, "merged", role="docs", agent="codex", cost_usd=0.1),
            ]
    return history(*rows)


def test_too_little_history_says_how_much_more_it_needs() -> None:
    result = analyse(history(att("r1", "a", 1, "merged")), Settings())
    assert result.proposals == ()
    assert result.too_little.endswith("(1 more run(s), 5 more attempt(s))")


def test_a_role_failing_on_one_agent_moves_to_the_one_that_lands_it() -> None:
    (p,) = analyse(docs_history(), Settings()).proposals
    assert p.setting == ("roles", "docs", "codex")
    assert p.evidence == (
        "claude: 0/4 docs attempts merged (0%), mean cost $0.0000",
        "codex: 4/4 docs attempts merged (100%), mean cost $0.1000",
    )
    assert p.sources[0] == "r1/a/a1"
    assert analyse(docs_history(), Settings(roles={"docs": "codex"})).proposals == ()


def test_evidence_about_agents_names_the_agent_and_about_models_the_model() -> None:
    rows = []
    for run, task in (("r1", "a"), ("r1", "b"), ("r2", "c")):
        rows += [
            att(run, task, 1, "checks_failed", role="docs", agent="gemini", model="gemini-2.5-pro"),
            att(run, task, 2, "merged", role="docs", agent="claude", model="claude-sonnet-4-5"),
        ]
    (p,) = analyse(history(*rows), Settings(roles={"docs": "gemini"})).proposals
    assert p.setting == ("roles", "docs", "claude")
    assert p.title == "route docs tasks to claude (they run on gemini now)"
    assert p.evidence == (
        "claude: 3/3 docs attempts merged (100%), mean cost $0.0000, on claude-sonnet-4-5",
        "gemini: 0/3 docs attempts merged (0%), mean cost $0.0000, on gemini-2.5-pro",
    )
    assert analyse(history(*rows), Settings(roles={"docs": "claude"})).proposals == ()

    one_agent = [
        replace(a, agent="claude", model="claude-haiku-4-5" if a.n == 1 else a.model) for a in rows
    ]
    (p,) = analyse(history(*one_agent), Settings()).proposals
    assert p.setting == ("roles", "docs", "claude:claude-sonnet-4-5")


def test_the_same_history_gives_the_same_proposals() -> None:
    h = docs_history()
    reversed_h = History(h.runs, tuple(reversed(h.attempts)))
    assert analyse(h, Settings()) == analyse(reversed_h, Settings())


def test_a_cheaper_arm_that_succeeds_as_often_is_proposed() -> None:
    rows = [
        att(r, t, 1, "merged", role="tests", agent=agent, cost_usd=cost)
        for r in ("r1", "r2")
        for t, agent, cost in (
            ("a", "claude", 1.0),
            ("b", "claude", 1.0),
            ("c", "qwen", 0.2),
            ("d", "qwen", 0.2),
        )
    ] + [att("r3", "e", 1, "merged", role="tests", agent="claude", cost_usd=1.0)]
    (p,) = analyse(history(*rows), Settings()).proposals
    assert p.setting == ("roles", "tests", "qwen")
    assert p.effect == "the same success rate at 80% less cost per attempt"


def test_silence_kills_rescued_by_a_later_attempt_ask_for_a_longer_silence() -> None:
    quiet = "agent killed: no output within the silence timeout"
    rows = []
    for run in ("r1", "r2"):
        for task in ("a", "b"):
            rows += [
                att(run, task, 1, "agent_failed", reason=quiet, seconds=60.0, silence=60.0),
                att(run, task, 2, "merged", seconds=140.0, silence=60.0),
            ]
    (p,) = analyse(history(*rows), Settings(silence=60.0)).proposals
    assert p.setting == ("timeouts", "silence", 500.0)  # 1.5 × 140 s, rounded up to 1-2-5
    assert p.evidence[0].startswith("4 attempts killed by the silence timeout (60s): r1/a/a1")
    assert (
        p.evidence[1]
        == "4 of their tasks then merged on a later attempt taking 140s, 140s, 140s, 140s"
    )
    assert analyse(history(*rows), Settings(silence=600.0)).proposals == ()


def test_ownership_violations_become_a_prompt_line_naming_the_paths() -> None:
    stray = "ownership: changed files outside its `files`: README.md, setup.cfg"
    rows = [att(r, t, 1, "checks_failed", reason=stray) for r in ("r1", "r2") for t in "abc"]
    (p,) = analyse(history(*rows), Settings()).proposals
    assert p.key == "prompt.ownership" and p.setting is None
    assert p.prompt_line == (
        "Change only the paths you own; earlier attempts were refused for editing README.md, "
        "setup.cfg."
    )
    assert analyse(history(*rows), Settings(prompt=f"x\n- {p.prompt_line}\n")).proposals == ()


def test_a_lesson_applied_in_other_words_is_not_proposed_again() -> None:
    stray = "ownership: changed files outside its `files`: README.md"
    rows = [att(r, t, 1, "checks_failed", reason=stray) for r in ("r1", "r2") for t in "abc"]
    applied = (Applied(T0, ("prompt.ownership",), {"prompt.ownership": "Keep to your files."}),)
    h = history(*rows, applied=applied)
    assert analyse(h, Settings(prompt="x\n- Keep to your files.\n")).proposals == ()
    assert len(analyse(h, Settings(prompt="x\n")).proposals) == 1


def test_rate_limits_at_three_at_once_cap_the_agent_at_two() -> None:
    rows = [att(r, t, 1, "merged") for r in ("r1", "r2") for t in "abc"]
    limits = (LimitFact("r1", "claude", T0, 3), LimitFact("r2", "claude", T0, 4))
    (p,) = analyse(history(*rows, limits=limits), Settings()).proposals
    assert p.setting == ("caps", "claude", 2)
    assert analyse(history(*rows, limits=limits), Settings(caps={"claude": 2})).proposals == ()


def test_tasks_landing_on_their_last_attempt_while_others_run_out_get_one_more() -> None:
    rows = [att(r, "a", 1, "agent_failed") for r in ("r1", "r2")]
    rows += [att(r, "a", 2, "merged") for r in ("r1", "r2")]
    rows += [att("r1", "b", n, "agent_failed") for n in (1, 2)]
    (p,) = [p for p in analyse(history(*rows), Settings()).proposals if p.key == "max_attempts"]
    assert p.setting == ("", "max_attempts", 3)


def test_a_gate_that_failed_then_passed_on_one_commit_looks_flaky() -> None:
    rows = [att(r, t, 1, "merged") for r in ("r1", "r2") for t in "abc"]
    gates = (
        GateFact("r1", "a", 1, "pytest", False, T0),
        GateFact("r1", "a", 1, "pytest", True, T0 + 1),
    )
    (p,) = analyse(history(*rows, gates=gates), Settings()).proposals
    assert p.key == "gates.flaky.pytest" and p.setting is None and p.sources == ("r1/a/a1",)


def test_an_applied_change_is_judged_on_what_came_after_it() -> None:
    h = docs_history()
    after = att("r3", "c", 1, "merged", role="docs", agent="codex")
    h = History(
        (*h.runs, "r3"), (*h.attempts, after), applied=(Applied(T0 + 250, ("roles.docs",)),)
    )
    effect = judge(h, "roles.docs", T0 + 250)
    assert (effect.before, effect.after) == ((4, 8), (1, 1))
    assert analyse(h, Settings()).effects == (effect,)
    assert (
        effect.describe()
        == "roles.docs: docs attempts merged: 1/1 since it was applied, 4/8 before"
    )
