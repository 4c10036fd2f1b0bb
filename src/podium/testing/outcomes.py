"""What the scripted model does on one request, before it is put into an API's wire format."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# In the ids of calls the server adds on its own (`aux`), so later requests can tell them apart.
AUX_MARK = "_aux"


@dataclass(frozen=True)
class Call:
    """One tool call: `args` for function tools, `input` for freeform (custom) tools.

    `aux` marks a call the server inserted on its own (a Read before a Write): it does not
    count as a script step.
    """

    name: str
    args: dict[str, Any] | None = None
    input: str | None = None
    aux: bool = False

    @property
    def payload(self) -> str:
        """The generated text: the arguments' JSON or the freeform input."""
        return self.input if self.input is not None else compact_json(self.args or {})


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class Text:
    """A final assistant message."""

    text: str


@dataclass(frozen=True)
class Failure:
    """An HTTP error: `body` None means an error body shaped for the API."""

    status: int
    message: str = ""
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float = 1.0


@dataclass(frozen=True)
class Hang:
    """Send nothing until the client gives up."""


Outcome = Call | Text | Failure | Hang


def generated_text(outcome: Outcome) -> str:
    """The text the model "wrote", which output tokens are counted from."""
    if isinstance(outcome, Call):
        return outcome.payload
    return outcome.text if isinstance(outcome, Text) else ""


def output_tokens(outcome: Outcome) -> int:
    return len(generated_text(outcome)) // 4 + 1
