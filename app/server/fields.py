"""Reading a JSON request body field by field, with a 400 that names the field at fault."""

from __future__ import annotations

import json
from typing import Any

from app.server.errors import bad_request

# Stop strings a request may give (OpenAI's limit), and their longest length.
MAX_STOP_STRINGS = 4
MAX_STOP_LENGTH = 200


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 saying what is wrong with it."""
    if not body.strip():
        raise bad_request("The request body is empty; send a JSON object")
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_request(f"The request body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise bad_request("The request body must be a JSON object")
    return value


def number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(f"'{name}' must be a number", name)
    if not low <= value <= high:
        raise bad_request(f"'{name}' must be between {low:g} and {high:g}, not {value}", name)
    return float(value)


def integer(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"'{name}' must be a whole number", name)
    if not low <= value <= high:
        raise bad_request(f"'{name}' must be between {low} and {high}, not {value}", name)
    return value


def flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad_request(f"'{name}' must be true or false", name)
    return value


def text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"'{name}' is required", name)
        return None
    if not isinstance(value, str):
        raise bad_request(f"'{name}' must be a string", name)
    return value


def stop_strings(body: dict[str, Any], name: str, most: int = MAX_STOP_STRINGS) -> tuple[str, ...]:
    """``stop`` as a tuple: one string or a list of up to ``most`` strings."""
    value = body.get(name)
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise bad_request(f"'{name}' must be a string or a list of strings", name)
    if len(items) > most:
        raise bad_request(f"'{name}' takes at most {most} strings", name)
    if any(len(item) > MAX_STOP_LENGTH for item in items):
        raise bad_request(f"each of '{name}' is at most {MAX_STOP_LENGTH} characters", name)
    return tuple(item for item in items if item)


def max_tokens(body: dict[str, Any], names: tuple[str, ...], limit: int) -> int | None:
    """The first of ``names`` given, checked against this server's token limit."""
    for name in names:
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad_request(f"'{name}' must be a whole number of at least 1", name)
        if value > limit:
            raise bad_request(
                f"'{name}' is {value}, more than this server allows ({limit})",
                name,
                code="max_tokens_too_large",
            )
        return value
    return None
