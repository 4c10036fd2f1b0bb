"""A plausible JSON value for a JSON schema (or a Gemini OpenAPI-style schema)."""

from __future__ import annotations

from typing import Any

# Gemini CLI's "who speaks next" check must hand the turn back to the user.
_FIELD_VALUES: dict[str, Any] = {"next_speaker": "user", "title": "Scripted task"}


def sample_json(schema: Any, root: Any = None, depth: int = 0) -> Any:
    """The first enum value, an empty-ish value per type, every listed property filled in."""
    if not isinstance(schema, dict) or depth > 12:
        return None
    root = schema if root is None else root
    if isinstance(schema.get("$ref"), str):
        return sample_json(_resolve(root, schema["$ref"]), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            usable = [o for o in options if _type(o) != "null"] or options
            return sample_json(usable[0], root, depth + 1)
    return _by_type(schema, root, depth)


def _by_type(schema: dict[str, Any], root: Any, depth: int) -> Any:
    kind = _type(schema)
    if kind == "object" or (kind == "" and "properties" in schema):
        props = schema.get("properties")
        if not isinstance(props, dict):
            return {}
        return {k: _FIELD_VALUES.get(k, sample_json(v, root, depth + 1)) for k, v in props.items()}
    if kind == "array":
        count = schema.get("minItems", 0)
        item = sample_json(schema.get("items", {}), root, depth + 1)
        return [item] * count if isinstance(count, int) else []
    if kind in ("integer", "number"):
        low = schema.get("minimum", 0)
        return low if isinstance(low, int | float) else 0
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    if kind == "string":
        return "x" * schema["minLength"] if isinstance(schema.get("minLength"), int) else "ok"
    return None


def _type(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if isinstance(k, str) and k.lower() != "null"), "null")
    return kind.lower() if isinstance(kind, str) else ""


def _resolve(root: Any, ref: str) -> Any:
    node = root
    for part in ref.removeprefix("#/").split("/") if ref.startswith("#/") else []:
        node = node.get(part) if isinstance(node, dict) else None
    return node
