"""Which endpoint a request is for, judged by the path's suffix so any base-URL prefix works."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from podium.testing.requests import ANTHROPIC, CHAT, GEMINI, RESPONSES

_GEMINI = re.compile(r"/models/([^/:]+):(generateContent|streamGenerateContent|countTokens)$")
_ONE_MODEL = re.compile(r"/models/([^/:]+)$")


@dataclass(frozen=True)
class Route:
    """`kind`: generate, count_tokens, models, model, usage, requests, health or unknown."""

    kind: str
    api: str = ""
    model: str = ""
    stream: bool = False
    sse: bool = True


def route(method: str, raw_path: str) -> Route:
    parsed = urllib.parse.urlsplit(raw_path)
    path = parsed.path.rstrip("/")
    query = urllib.parse.parse_qs(parsed.query)
    if method == "GET":
        return _get(path)
    if method != "POST":
        return Route("unknown")
    gemini = _GEMINI.search(path)
    if gemini:
        model, action = gemini.groups()
        if action == "countTokens":
            return Route("count_tokens", GEMINI, model)
        stream = action == "streamGenerateContent"
        return Route("generate", GEMINI, model, stream, query.get("alt") == ["sse"])
    if path.endswith("/messages/count_tokens"):
        return Route("count_tokens", ANTHROPIC)
    for suffix, api in (
        ("/messages", ANTHROPIC),
        ("/chat/completions", CHAT),
        ("/responses", RESPONSES),
    ):
        if path.endswith(suffix):
            return Route("generate", api)
    return Route("unknown")


def _get(path: str) -> Route:
    special = {
        "/_podium/usage": "usage",
        "/_podium/requests": "requests",
        "/_podium/health": "health",
    }
    if path in special:
        return Route(special[path])
    if path.endswith("/models"):
        return Route("models")
    one = _ONE_MODEL.search(path)
    return Route("model", model=one.group(1)) if one else Route("unknown")


def model_entry(name: str) -> dict[str, Any]:
    """One model in the OpenAI, Anthropic and Gemini shapes at once."""
    return {
        "id": name,
        "object": "model",
        "created": 1735689600,
        "owned_by": "podium",
        "type": "model",
        "display_name": name,
        "created_at": "2025-01-01T00:00:00Z",
        "name": f"models/{name}",
        "version": "001",
        "displayName": name,
        "description": "podium scripted model",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"],
    }


def model_list(names: tuple[str, ...]) -> dict[str, Any]:
    """A list valid for OpenAI (`data`), Anthropic (`data`, `has_more`) and Gemini (`models`)."""
    entries = [model_entry(n) for n in names]
    return {
        "object": "list",
        "data": entries,
        "has_more": False,
        "first_id": names[0] if names else None,
        "last_id": names[-1] if names else None,
        "models": entries,
    }
