"""Normalise the four provider request bodies into one `Conversation` the script can read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

ANTHROPIC = "anthropic"
CHAT = "chat"
RESPONSES = "responses"
GEMINI = "gemini"
APIS = (ANTHROPIC, CHAT, RESPONSES, GEMINI)


@dataclass(frozen=True)
class Tool:
    """A tool the client offers: `kind` is function, custom (freeform text) or other."""

    name: str
    kind: str
    schema: Json

    @property
    def properties(self) -> Json:
        props = self.schema.get("properties")
        return props if isinstance(props, dict) else {}

    @property
    def required(self) -> list[str]:
        req = self.schema.get("required")
        return [r for r in req if isinstance(r, str)] if isinstance(req, list) else []


@dataclass(frozen=True)
class PastCall:
    """A tool call the assistant made earlier in the conversation."""

    name: str
    args: Json
    call_id: str = ""


@dataclass(frozen=True)
class Conversation:
    """What the script needs to know about one request, whatever API it came through."""

    api: str
    model: str
    stream: bool
    system: str
    user_texts: tuple[str, ...]
    prompt: str
    tools: tuple[Tool, ...]
    history: tuple[PastCall, ...]
    recent: tuple[PastCall, ...]
    turn: int
    has_tool_result: bool
    json_mode: str = ""
    json_schema: Json | None = None
    include_usage: bool = False
    body_size: int = 0

    def tool(self, name: str) -> Tool | None:
        return next((t for t in self.tools if t.name == name), None)


@dataclass
class _Walk:
    """Accumulates messages in order; a user message without tool results starts a new turn."""

    system: list[str] = field(default_factory=list)
    user_texts: list[str] = field(default_factory=list)
    prompt: str = ""
    history: list[PastCall] = field(default_factory=list)
    recent: list[PastCall] = field(default_factory=list)
    turn: int = 0
    has_tool_result: bool = False

    def user(self, texts: list[str], has_result: bool) -> None:
        self.user_texts.extend(t for t in texts if t)
        if has_result:
            self.has_tool_result = True
        elif any(texts):
            self.prompt = "\n".join(t for t in texts if t)
            self.recent, self.turn, self.has_tool_result = [], 0, False

    def assistant(self, calls: list[PastCall]) -> None:
        self.turn += 1
        self.history.extend(calls)
        self.recent.extend(calls)


def text_of(value: Any) -> list[str]:
    """The text pieces of a string or a list of content parts."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [p["text"] for p in value if isinstance(p, dict) and isinstance(p.get("text"), str)]
    return []


def _dict(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _args(raw: Any) -> Json:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {"input": raw}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def normalise(api: str, body: Json, model: str = "", body_size: int = 0) -> Conversation:
    """The `Conversation` for `body`; `model` overrides the body's (Gemini has it in the path)."""
    walk = _Walk()
    parse = {ANTHROPIC: _anthropic, CHAT: _chat, RESPONSES: _responses, GEMINI: _gemini}[api]
    tools, json_mode, schema = parse(body, walk)
    return Conversation(
        api=api,
        model=model or str(body.get("model") or ""),
        stream=bool(body.get("stream")),
        system="\n".join(walk.system),
        user_texts=tuple(walk.user_texts),
        prompt=walk.prompt,
        tools=tuple(tools),
        history=tuple(walk.history),
        recent=tuple(walk.recent),
        turn=walk.turn,
        has_tool_result=walk.has_tool_result,
        json_mode=json_mode,
        json_schema=schema,
        include_usage=bool(_dict(body.get("stream_options")).get("include_usage")),
        body_size=body_size,
    )


_Parsed = tuple[list[Tool], str, "Json | None"]

# Anthropic-defined client tools carry a `type` and no schema: these are their arguments.
_KNOWN_SCHEMAS: dict[str, Json] = {
    "str_replace_based_edit_tool": {
        "properties": {k: {"type": "string"} for k in ("command", "path", "file_text")}
        | {"old_str": {"type": "string"}, "new_str": {"type": "string"}},
        "required": ["command", "path"],
    },
    "bash": {"properties": {"command": {"type": "string"}}, "required": ["command"]},
}


def _anthropic(body: Json, walk: _Walk) -> _Parsed:
    walk.system.extend(text_of(body.get("system")))
    for msg in _list(body.get("messages")):
        content = _dict(msg).get("content")
        blocks = [b for b in _list(content) if isinstance(b, dict)]
        if msg.get("role") == "assistant":
            calls = [b for b in blocks if b.get("type") in ("tool_use", "server_tool_use")]
            walk.assistant(
                [PastCall(c.get("name", ""), _args(c.get("input")), c.get("id", "")) for c in calls]
            )
        else:
            has_result = any(b.get("type") == "tool_result" for b in blocks)
            texts = text_of(content) if isinstance(content, str) else text_of(blocks)
            walk.user(texts, has_result)
    tools = []
    for t in _list(body.get("tools")):
        name = str(_dict(t).get("name", ""))
        if "input_schema" in t:
            tools.append(Tool(name, "function", _dict(t["input_schema"])))
        else:
            known = _KNOWN_SCHEMAS.get(name)
            tools.append(Tool(name, "function" if known else "other", known or {}))
    fmt = _dict(body.get("output_format")) or _dict(_dict(body.get("output_config")).get("format"))
    structured = next((t for t in tools if t.name == "StructuredOutput"), None)
    if fmt:
        return tools, "format", _dict(fmt.get("schema"))
    if structured is not None:
        return tools, "tool", structured.schema
    return tools, "", None


def _chat(body: Json, walk: _Walk) -> _Parsed:
    for msg in _list(body.get("messages")):
        role, content = _dict(msg).get("role"), _dict(msg).get("content")
        if role in ("system", "developer"):
            walk.system.extend(text_of(content))
        elif role == "tool" or role == "function":
            walk.user([], True)
        elif role == "assistant":
            calls = []
            for c in _list(msg.get("tool_calls")):
                fn = _dict(c.get("function")) or _dict(c.get("custom"))
                raw = fn.get("arguments", fn.get("input"))
                calls.append(PastCall(str(fn.get("name", "")), _args(raw), str(c.get("id", ""))))
            walk.assistant(calls)
        else:
            walk.user(text_of(content), False)
    tools = []
    for t in _list(body.get("tools")):
        if t.get("type") == "custom":
            tools.append(Tool(str(_dict(t.get("custom")).get("name", "")), "custom", {}))
        else:
            fn = _dict(t.get("function"))
            tools.append(Tool(str(fn.get("name", "")), "function", _dict(fn.get("parameters"))))
    fmt = _dict(body.get("response_format"))
    if fmt.get("type") == "json_schema":
        return tools, "format", _dict(_dict(fmt.get("json_schema")).get("schema"))
    return tools, ("format" if fmt.get("type") == "json_object" else ""), None


_ASSISTANT_ITEMS = ("function_call", "custom_tool_call", "local_shell_call", "reasoning")


def _responses(body: Json, walk: _Walk) -> _Parsed:
    walk.system.extend(text_of(body.get("instructions")))
    items = body.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    in_turn = False
    for item in [i for i in _list(items) if isinstance(i, dict)]:
        kind, role = str(item.get("type") or "message"), item.get("role")
        if kind in _ASSISTANT_ITEMS or (kind == "message" and role == "assistant"):
            if not in_turn:
                walk.assistant([])  # consecutive assistant items form one turn
                in_turn = True
            if kind in ("function_call", "custom_tool_call"):
                raw = item.get("arguments", item.get("input"))
                call = PastCall(str(item.get("name", "")), _args(raw), str(item.get("call_id", "")))
                walk.history.append(call)
                walk.recent.append(call)
            continue
        in_turn = False
        if kind.endswith("_output"):
            walk.user([], True)
        elif role in ("system", "developer"):
            walk.system.extend(text_of(item.get("content")))
        elif kind == "message":
            walk.user(text_of(item.get("content")), False)
    tools = []
    for t in _list(body.get("tools")):
        kind = {"function": "function", "custom": "custom"}.get(str(t.get("type")), "other")
        tools.append(Tool(str(t.get("name", t.get("type", ""))), kind, _dict(t.get("parameters"))))
    fmt = _dict(_dict(body.get("text")).get("format"))
    if fmt.get("type") == "json_schema":
        return tools, "format", _dict(fmt.get("schema"))
    return tools, ("format" if fmt.get("type") == "json_object" else ""), None


def _gemini(body: Json, walk: _Walk) -> _Parsed:
    walk.system.extend(text_of(_dict(body.get("systemInstruction")).get("parts")))
    for content in _list(body.get("contents")):
        parts = [p for p in _list(_dict(content).get("parts")) if isinstance(p, dict)]
        if content.get("role") == "model":
            calls = [_dict(p["functionCall"]) for p in parts if "functionCall" in p]
            walk.assistant(
                [
                    PastCall(str(c.get("name", "")), _args(c.get("args")), str(c.get("id", "")))
                    for c in calls
                ]
            )
        else:
            walk.user(text_of(parts), any("functionResponse" in p for p in parts))
    tools = []
    for group in _list(body.get("tools")):
        for fn in _list(_dict(group).get("functionDeclarations")):
            schema = fn.get("parametersJsonSchema", fn.get("parameters"))
            tools.append(Tool(str(fn.get("name", "")), "function", _dict(schema)))
    config = _dict(body.get("generationConfig"))
    if config.get("responseMimeType") == "application/json":
        schema = config.get("responseJsonSchema", config.get("responseSchema"))
        return tools, "format", _dict(schema)
    return tools, "", None
