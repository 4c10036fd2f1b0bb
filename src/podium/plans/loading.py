"""Reading a plan: podium's own YAML format or a Bernstein plan (a top-level `stages` key).

`parse_plan` returns a frozen `Plan`, or raises one `PlanError` that lists every problem it
found as `file:line:col: what is wrong`. pydantic and PyYAML are imported only when a plan is
parsed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

from podium.errors import ConfigError
from podium.plans.model import DEFAULT_AGENTS, Plan


def parse_plan(
    text: str,
    source: str = "<string>",
    *,
    agents: Collection[str] = DEFAULT_AGENTS,
    default_agent: str | None = None,
) -> Plan:
    """Read a plan from YAML text; `default_agent` (`--agent`) replaces the plan's agent."""
    from podium.plans import checks as plancheck
    from podium.plans import schema as planschema
    from podium.plans import yamlpos

    if default_agent is not None and default_agent not in agents:
        known = ", ".join(sorted(agents))
        raise ConfigError(f"--agent: unknown agent '{default_agent}' (known: {known})")
    data, pos = yamlpos.load_yaml(text, source)
    if not isinstance(data, dict):
        raise yamlpos.plan_error([f"{pos.at(())}: {_not_a_mapping(data)}"])
    fallback = Path(source).stem if source != "<string>" else "plan"
    if "stages" in data:  # a Bernstein plan: its models are built only for one
        from podium.plans import bernstein

        build = bernstein.build
    else:
        build = planschema.build
    built = build(data, pos, default_agent, fallback)
    errors = [*built.errors, *plancheck.check_plan(built.plan, agents, built.at)]
    if errors:
        raise yamlpos.plan_error(errors)
    return replace(built.plan, source=source, notes=built.notes)


def load_plan(
    path: str | Path,
    *,
    agents: Collection[str] = DEFAULT_AGENTS,
    default_agent: str | None = None,
) -> Plan:
    """Read a plan file; see `parse_plan`."""
    from podium.plans.yamlpos import plan_error

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise plan_error([f"{file}: no such plan file{_near_names(file)}"]) from None
    except IsADirectoryError:
        raise plan_error([f"{file}: is a directory; give the plan's YAML file"]) from None
    except UnicodeDecodeError as exc:
        raise plan_error([f"{file}: not UTF-8 text (bad byte at offset {exc.start})"]) from None
    except OSError as exc:
        raise plan_error([f"{file}: cannot read the plan: {exc.strerror}"]) from None
    return parse_plan(text, str(path), agents=agents, default_agent=default_agent)


def _not_a_mapping(data: object) -> str:
    if data is None:
        return "the plan is empty; expected keys such as 'name' and 'tasks'"
    kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
    return f"the plan must be a mapping of keys ('name', 'tasks', ...), got {kind}"


def _near_names(file: Path) -> str:
    import difflib

    parent = file.parent
    if not parent.is_dir():
        return f" (no directory '{parent}')"
    names = [p.name for p in parent.iterdir() if p.suffix in (".yaml", ".yml")]
    close = difflib.get_close_matches(file.name, names, n=1)
    return f" (did you mean '{parent / close[0]}'?)" if close else ""
