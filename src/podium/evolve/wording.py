"""`podium evolve --agent A`: the prompt for the one model call that words the prompt lessons,
and its answer read back. Pure: the call itself is made by `podium.api.evolve`.

The model sees each lesson's fixed sentence and its evidence and answers with JSON,
`{"lessons": {"<key>": "<one sentence>"}}`. A sentence that is missing, empty, longer than
`MAX_CHARS` or spread over lines keeps the fixed one: the wording never stands in the way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from podium.evolve.proposals import Proposal

MAX_CHARS = 300
HEADING = "Word these lessons for a coding agent's prompt"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "lessons": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["lessons"],
}


def lessons(proposals: Sequence[Proposal]) -> tuple[Proposal, ...]:
    """The proposals that add a line to the prompt template."""
    return tuple(p for p in proposals if p.prompt_line)


def prompt(proposals: Sequence[Proposal]) -> str:
    """What the model is asked: the lessons' evidence, and the answer's shape."""
    items = [
        {"key": p.key, "sentence": p.prompt_line, "evidence": list(p.evidence)}
        for p in lessons(proposals)
    ]
    return (
        f"{HEADING}.\n\n"
        "Earlier attempts of coding agents failed for these recurring reasons. For each, "
        "write one short imperative sentence (at most 40 words) that, added to the agent's "
        "prompt, would have kept it from failing so; name the files or checks involved. Do "
        "not change any file.\n\n"
        f"{json.dumps(items, indent=2)}\n\n"
        'Answer with JSON only: {"lessons": {"<key>": "<sentence>", ...}}\n'
    )


def worded(proposals: Sequence[Proposal], answer: Any) -> tuple[tuple[Proposal, ...], int]:
    """The proposals with the model's sentences as their prompt lines, and how many it worded."""
    found = _lessons(answer)
    out, n = [], 0
    for p in proposals:
        line = found.get(p.key, "").strip() if p.prompt_line else ""
        if line and len(line) <= MAX_CHARS and "\n" not in line:
            p, n = replace(p, prompt_line=line, title=f"tell agents: {line}"), n + 1
        out.append(p)
    return tuple(out), n


def _lessons(answer: Any) -> dict[str, str]:
    """`{"lessons": {...}}` from a parsed answer, or from the first JSON object in a text."""
    if isinstance(answer, str):
        start = answer.find("{")
        try:
            answer = json.JSONDecoder().raw_decode(answer[start:])[0] if start >= 0 else None
        except ValueError:
            return {}
    found = answer.get("lessons") if isinstance(answer, dict) else None
    if not isinstance(found, dict):
        return {}
    return {str(k): v for k, v in found.items() if isinstance(v, str)}
