"""Why an attempt failed, as structured data a person (and the next attempt) can read.

Every failed attempt gets one `Failure`: what failed (the agent, a check, the janitor's
evasion audit, a gate, the merge), the failing test ids with their first error lines, the
files the attempt changed and those outside the task's `files`, the agent's own last words
and its exit. It is built from recorded data only, so the same failure always reads the same;
it is stored as a `task.failure` event and handed to the next attempt in place of the raw
reason (docs/failures.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from podium.agents.base import AgentEvent

LAST_WORDS = 400  # characters of the agent's final message kept
DETAIL_LINES = 8
MAX_TESTS = 10
MAX_FILES = 20
_TEST_LINE = re.compile(r"^(?:exit -?\d+: )?(?:FAILED|ERROR) (\S+)(?: - (.*))?$")


@dataclass(frozen=True)
class Failure:
    attempt: int
    stage: str  # agent | checks | evasions | ownership | gates | merge
    failed: str  # the check or gate that failed first ("agent" when the agent did)
    detail: str  # its first lines
    tests: tuple[tuple[str, str], ...] = ()  # (test id, its first error line)
    changed: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()  # changed files outside the task's `files`
    evasions: tuple[str, ...] = ()  # the janitor's findings (failing and warned)
    last_words: str = ""
    exit_code: int | None = None
    agent: str = ""
    model: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tests"] = [{"id": t, "error": e} for t, e in self.tests]
        return data


def from_json(data: Mapping[str, Any]) -> Failure:
    tests = tuple((str(t.get("id", "")), str(t.get("error", ""))) for t in data.get("tests", ()))
    return Failure(
        attempt=int(data.get("attempt", 0)),
        stage=str(data.get("stage", "")),
        failed=str(data.get("failed", "")),
        detail=str(data.get("detail", "")),
        tests=tests,
        changed=tuple(data.get("changed", ())),
        outside=tuple(data.get("outside", ())),
        evasions=tuple(data.get("evasions", ())),
        last_words=str(data.get("last_words", "")),
        exit_code=data.get("exit_code"),
        agent=str(data.get("agent", "")),
        model=data.get("model"),
    )


def failing_tests(output: str) -> tuple[tuple[str, str], ...]:
    """pytest's short summary lines (`FAILED id - first error line`) as (id, error)."""
    found: list[tuple[str, str]] = []
    for line in output.splitlines():
        match = _TEST_LINE.match(line.strip())
        if match and ("::" in match.group(1) or match.group(1).endswith(".py")):
            found.append((match.group(1), (match.group(2) or "").strip()))
    return tuple(dict.fromkeys(found))[:MAX_TESTS]


def last_words(events: Sequence[AgentEvent]) -> str:
    """The agent's final message: its result text, else its last text."""
    for kind in ("result", "text"):
        said = [e.text.strip() for e in events if e.kind == kind and e.text.strip()]
        if said:
            return _clip(said[-1], LAST_WORDS)
    return ""


def stage_of(name: str) -> str:
    """A check's or gate's recorded name -> the stage that failed."""
    if name.startswith("gate "):
        return "gates"
    if name in ("evasions", "ownership", "changes"):
        return name if name != "changes" else "checks"
    return "checks"


def from_checks(
    attempt: int, results: Sequence[Mapping[str, Any]], changed: Sequence[str], **rest: Any
) -> Failure:
    """A failure of the janitor's checks (recorded as `task.checks` results)."""
    failed = next((r for r in results if not r.get("ok")), {"name": "checks", "detail": ""})
    name, detail = str(failed.get("name", "")), str(failed.get("detail", ""))
    found = [str(r.get("detail", "")) for r in results if r.get("name") == "evasions"]
    evasions = tuple(ln for d in found for ln in d.splitlines() if ln.strip())
    return Failure(
        attempt,
        stage_of(name),
        name,
        first_lines(detail),
        tests=failing_tests(detail),
        changed=tuple(changed[:MAX_FILES]),
        evasions=evasions[:MAX_TESTS],
        **rest,
    )


def render(failure: Failure) -> str:
    """The summary as plain text, the same for the same failure, a dozen lines at most."""
    who = f"{failure.agent}/{failure.model}" if failure.model else failure.agent
    head = f"attempt {failure.attempt}" + (f" ({who})" if who else "")
    lines = [f"{head} failed at {failure.stage}: {failure.failed}"]
    if failure.tests:
        lines.append("failing tests:")
        lines += [f"  {t}" + (f": {e}" if e else "") for t, e in failure.tests]
    elif failure.detail:
        lines += ["  " + ln for ln in failure.detail.splitlines()]
    if failure.evasions and failure.stage != "evasions":
        lines += ["janitor found:"] + ["  " + e for e in failure.evasions]
    if failure.changed:
        lines.append("changed: " + ", ".join(failure.changed))
    if failure.outside:
        lines.append("outside its files: " + ", ".join(failure.outside))
    if failure.exit_code is not None:
        lines.append(f"agent exit: {failure.exit_code}")
    if failure.last_words:
        lines.append("agent's last words: " + failure.last_words.replace("\n", " "))
    return "\n".join(lines)


def first_lines(text: str) -> str:
    return "\n".join(_clip(ln, 300) for ln in text.strip().splitlines()[:DETAIL_LINES])


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
