"""Decide what the scripted model does on one request: faults, rules, inline script, default."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from podium.testing import edits
from podium.testing.outcomes import AUX_MARK, Call, Failure, Hang, Outcome, Text
from podium.testing.patches import aider_format
from podium.testing.prompt import find_cwd, find_directive, find_faults, find_target_path
from podium.testing.requests import Conversation
from podium.testing.schemas import sample_json
from podium.testing.script import (
    Delay,
    EditFile,
    JsonValue,
    ReadFile,
    Reply,
    Script,
    ScriptError,
    Steps,
    ToolUse,
    WriteFile,
    parse_reply,
)


@dataclass(frozen=True)
class Decision:
    """The outcome to send after sleeping `delays`; `source` says which rule produced it."""

    outcome: Outcome
    delays: list[float] = field(default_factory=list)
    source: str = "default"


def decide(script: Script, conv: Conversation, ws: edits.Workspace | None = None) -> Decision:
    ws = ws or edits.Workspace(find_cwd(conv), edits.read_disk)
    status, stall = find_faults(conv)
    delays = [stall] if stall else []
    if status:
        return Decision(Failure(status, f"injected by FAKE_HTTP_ERROR={status}"), delays, "fault")
    rule_delays, reply = script.pick(conv)
    delays += rule_delays
    source = "rule"
    if reply is None:
        reply, source = _directive(conv), "directive"
    if reply is None:
        reply, source = default_reply(script, conv, ws), "default"
    return Decision(play(reply, conv, ws, delays, script), delays, source)


def _directive(conv: Conversation) -> Reply | None:
    raw = find_directive(conv)
    if raw is None:
        return None
    try:
        return parse_reply(raw, "PODIUM-SCRIPT")
    except ScriptError as exc:
        return Text(f"podium scripted server: {exc}")


def default_reply(script: Script, conv: Conversation, ws: edits.Workspace) -> Reply:
    """Section 2.2's stateless behaviour: JSON when asked for, else create a file."""
    if conv.json_mode:
        return JsonValue(sample_json(conv.json_schema) if conv.json_schema else {})
    path = find_target_path(conv) or script.default_path
    done = f"Done: wrote {ws.relative(ws.absolute(path))}."
    return Steps((WriteFile(path, script.default_content),), done)


def steps_taken(conv: Conversation) -> int:
    """Script steps already played: tool calls since the prompt, minus the server's own Reads."""
    return sum(1 for call in conv.recent if AUX_MARK not in call.call_id)


def play(
    reply: Reply, conv: Conversation, ws: edits.Workspace, delays: list[float], script: Script
) -> Outcome:
    """The outcome for this turn: step N after N tool calls, then the final text.

    A step that makes no tool call (text, error, hang, JSON as text) answers every later
    request too, since nothing moves the conversation on.
    """
    steps, then_text = (
        (reply.steps, reply.then_text) if isinstance(reply, Steps) else ((reply,), None)
    )
    index = steps_taken(conv)
    if index == 0 and len(steps) > 1 and not conv.tools and aider_format(conv.system):
        return _aider_batch(steps, conv, ws, delays, script)
    if index < len(steps):
        return realise(steps[index], conv, ws, delays, script)
    last = realise(steps[-1], conv, ws, [], script) if steps else None
    return last if isinstance(last, Text | Failure | Hang) else final_text(conv, then_text)


def _aider_batch(
    steps: tuple[Reply, ...],
    conv: Conversation,
    ws: edits.Workspace,
    delays: list[float],
    script: Script,
) -> Outcome:
    """aider applies every edit block of one answer: all file steps go out at once."""
    outcomes = [realise(step, conv, ws, delays, script) for step in steps]
    texts = [o.text for o in outcomes if isinstance(o, Text)]
    return Text("\n".join(texts)) if len(texts) == len(outcomes) else outcomes[0]


def final_text(conv: Conversation, then_text: str | None) -> Text:
    if then_text is None and conv.json_mode == "format":
        return Text(json.dumps(sample_json(conv.json_schema) if conv.json_schema else {}))
    return Text("Done." if then_text is None else then_text)


def realise(
    step: Reply, conv: Conversation, ws: edits.Workspace, delays: list[float], script: Script
) -> Outcome:
    if isinstance(step, Text | Failure | Hang):
        return step
    if isinstance(step, Delay):
        delays.append(step.seconds)
        then = step.then if step.then is not None else default_reply(script, conv, ws)
        return play(then, conv, ws, delays, script)
    if isinstance(step, Steps):
        return play(step, conv, ws, delays, script)
    if isinstance(step, ToolUse):
        return Call(step.name, step.args if step.input is None else None, step.input)
    if isinstance(step, JsonValue):
        return _json(conv, step.value)
    return _file_step(step, conv, ws) or _no_tool(conv)


def _file_step(
    step: WriteFile | EditFile | ReadFile, conv: Conversation, ws: edits.Workspace
) -> Outcome | None:
    if isinstance(step, WriteFile):
        return edits.write_file(conv, ws, step.path, step.content)
    if isinstance(step, EditFile):
        return edits.edit_file(conv, ws, step.path, step.old, step.new, step.content)
    return edits.read_file(conv, ws, step.path)


def _no_tool(conv: Conversation) -> Outcome:
    """No offered tool can do the step: answer with JSON when asked for it, else plainly."""
    if conv.json_mode:
        return _json(conv, sample_json(conv.json_schema) if conv.json_schema else {})
    return Text("OK")


def _json(conv: Conversation, value: object) -> Outcome:
    """Claude Code asks for structured output through a `StructuredOutput` tool."""
    if conv.json_mode == "tool" and isinstance(value, dict):
        return Call("StructuredOutput", value)
    return Text(json.dumps(value))
