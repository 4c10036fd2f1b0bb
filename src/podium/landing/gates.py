"""Project gates, judged against the target's baseline: a change may not make things worse.

A gate that already fails on the target when the run starts does not block every merge.
pytest gates are compared by their failing test ids (JUnit XML); other commands by exit
status. An exit status says nothing about *what* failed, so a gate let through that way is
reported as not verified (`UNVERIFIED`) on every merge it lets through. `strict` turns the
comparison off for a gate: it must pass, full stop.
"""

from __future__ import annotations

import shlex
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from podium.config import Compare
from podium.landing import testids
from podium.landing.commands import CheckResult, run_command

UNVERIFIED = "not verified (failing on the baseline)"


@dataclass(frozen=True)
class GateRun:
    result: CheckResult
    exit_code: int | None  # None when it could not run or timed out
    failing: frozenset[str] | None  # pytest: failing test ids; None when unknown


def is_pytest(gate: str) -> bool:
    try:
        argv = shlex.split(gate)
    except ValueError:
        return False
    return any(a == "pytest" or a.endswith("/pytest") for a in argv) or "pytest" in argv[1:3]


def mode(gate: str, compare: Compare) -> Compare:
    if compare != "auto":
        return compare
    return "pytest" if is_pytest(gate) else "exit"


def run_gate(
    gate: str, cwd: Path, timeout: float, compare: Compare = "auto", ids: Path | None = None
) -> GateRun:
    """Run one gate; for pytest, also collect the ids of the failing tests, and with `ids`
    have it write the ids of the tests it collected there (`testids`)."""
    with tempfile.TemporaryDirectory(prefix="podium-gate-") as tmp:
        env = testids.gate_env(Path(tmp), ids) if ids is not None else None
        if mode(gate, compare) != "pytest":
            result = run_command(f"gate `{gate}`", gate, cwd, timeout, env)
            return GateRun(result, _exit_of(result), None)
        xml = Path(tmp) / "junit.xml"
        command = f"{gate} --junitxml={shlex.quote(str(xml))}"
        result = run_command(f"gate `{gate}`", command, cwd, timeout, env)
        result = CheckResult(f"gate `{gate}`", result.ok, result.detail)
        return GateRun(result, _exit_of(result), failing_tests(xml))


def failing_tests(xml: Path) -> frozenset[str] | None:
    """Ids (`classname::name`) of failed or errored test cases in a JUnit XML report."""
    try:
        root = ET.parse(xml).getroot()
    except (OSError, ET.ParseError):
        return None
    failing = set()
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failing.add(f"{case.get('classname', '')}::{case.get('name', '')}")
    return frozenset(failing)


def no_worse(run: GateRun, baseline: GateRun | None, compare: Compare, gate: str) -> CheckResult:
    """The gate's verdict on a merged tree, given how it did on the baseline."""
    if run.result.ok or baseline is None or baseline.result.ok:
        return run.result
    kind = mode(gate, compare)
    if kind == "strict":
        return run.result
    if kind == "pytest" and run.failing is not None and baseline.failing is not None:
        new = sorted(run.failing - baseline.failing)
        if not new:
            return CheckResult(run.result.name, True, "fails only where the baseline fails")
        return CheckResult(run.result.name, False, "new failures: " + ", ".join(new[:10]))
    if run.exit_code is not None and run.exit_code == baseline.exit_code:
        detail = f"{UNVERIFIED}: exit {run.exit_code}, as on the baseline"
        return CheckResult(run.result.name, True, detail)
    return run.result


def _exit_of(result: CheckResult) -> int | None:
    if result.ok:
        return 0
    head = result.detail.split(":", 1)[0]
    return int(head[5:]) if head.startswith("exit ") and head[5:].lstrip("-").isdigit() else None


def unverified(results: tuple[CheckResult, ...]) -> str:
    """What a merge must say about gates it passed without checking anything."""
    names = [r.name for r in results if r.ok and r.detail.startswith(UNVERIFIED)]
    return f"{', '.join(names)} {UNVERIFIED}" if names else ""
