"""Checks a call's arguments against the tool's JSON schema, before the tool runs.

Covers what tool schemas use at their top level: required properties, no unknown ones
when ``additionalProperties`` is false, each property's JSON type and ``enum``. Nested
values are the tool's to check. The message says what to fix, for the model to read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def argument_problem(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    """Why these arguments do not fit the schema, or None when they do."""
    properties: Mapping[str, Any] = schema.get("properties") or {}
    missing = [name for name in schema.get("required") or () if name not in arguments]
    if missing:
        return f"Missing required argument(s): {', '.join(missing)}."
    if schema.get("additionalProperties") is False:
        unknown = [name for name in arguments if name not in properties]
        if unknown:
            known = ", ".join(properties) or "none"
            return f"Unknown argument(s): {', '.join(unknown)}. The arguments are: {known}."
    for name, value in arguments.items():
        rule = properties.get(name)
        if isinstance(rule, Mapping):
            problem = _value_problem(name, rule, value)
            if problem:
                return problem
    return None


def _value_problem(name: str, rule: Mapping[str, Any], value: Any) -> str | None:
    kinds = rule.get("type")
    names = [kinds] if isinstance(kinds, str) else list(kinds or [])
    allowed = tuple(kind for kind_name in names for kind in _TYPES.get(kind_name, ()))
    # A bool is an int to Python, but not a number to JSON.
    is_bool = isinstance(value, bool) and "boolean" not in names
    if allowed and (is_bool or not isinstance(value, allowed)):
        return f"The argument {name} must be of type {' or '.join(names)}."
    if "enum" in rule and value not in rule["enum"]:
        choices = ", ".join(map(repr, rule["enum"]))
        return f"The argument {name} must be one of: {choices}."
    return None
