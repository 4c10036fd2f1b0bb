"""Pieces every API's wire format shares: ids, JSON bodies, SSE framing, error wording."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from podium.testing.outcomes import AUX_MARK, Call, Failure, compact_json

_ALPHABET = string.ascii_letters + string.digits
TEXT_CHUNK = 64


@dataclass(frozen=True)
class HttpReply:
    """A complete JSON answer (`body`) or a stream of SSE chunks (`events`)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    events: tuple[bytes, ...] | None = None


def new_id(prefix: str, size: int = 24, aux: bool = False) -> str:
    """`prefix` + "01" + random letters, like `toolu_01…`; aux ids carry `AUX_MARK`."""
    marker = AUX_MARK.lstrip("_") if aux else ""
    return prefix + marker + "01" + "".join(secrets.choice(_ALPHABET) for _ in range(size - 2))


def call_id(prefix: str, call: Call) -> str:
    return new_id(prefix, aux=call.aux)


def call_args(call: Call) -> dict[str, Any]:
    """Function-style arguments, also for a freeform call sent to an API without those."""
    return call.args if call.args is not None else {"input": call.input or ""}


def chunks(text: str) -> list[str]:
    return [text[i : i + TEXT_CHUNK] for i in range(0, len(text), TEXT_CHUNK)] or [""]


def json_reply(status: int, obj: Any, headers: dict[str, str] | None = None) -> HttpReply:
    body = compact_json(obj).encode()
    return HttpReply(status, {"content-type": "application/json", **(headers or {})}, body)


def sse(data: Any, event: str | None = None, end: str = "\n\n") -> bytes:
    """One server-sent event; `data` is JSON-encoded unless it is already a string."""
    payload = data if isinstance(data, str) else compact_json(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}{end}".encode()


def stream_reply(events: list[bytes], headers: dict[str, str] | None = None) -> HttpReply:
    base = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
    return HttpReply(200, base | (headers or {}), events=tuple(events))


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Overloaded" if status == 529 else "Error"


def failure_message(failure: Failure) -> str:
    return failure.message or f"{reason(failure.status)} (scripted error {failure.status})"
