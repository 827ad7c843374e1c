"""``response_format`` as a GBNF grammar, so the model can only write what was asked for.

``json_object``: any JSON object. ``json_schema``: JSON that matches the schema, through
llama-cpp-python's converter (``json_schema_to_gbnf``; the library's Python code, no
model involved). The engine's host checks the grammar again before sampling with it.
"""

from __future__ import annotations

import json
from typing import Any

from app.server.errors import bad_request

# Largest schema accepted, as JSON text: the grammar grows with it.
MAX_SCHEMA_CHARS = 64 * 1024


def response_format_grammar(value: Any) -> str | None:
    """The grammar for a request's ``response_format`` (None for plain text)."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise bad_request("'response_format' must be an object with a 'type'", "response_format")
    kind = value["type"]
    if kind == "text":
        return None
    if kind == "json_object":
        from llama_cpp.llama_grammar import JSON_GBNF

        return JSON_GBNF
    if kind == "json_schema":
        spec = value.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise bad_request(
                "'response_format.json_schema.schema' must be a JSON schema object",
                "response_format",
            )
        return schema_grammar(schema)
    raise bad_request(
        f"'response_format.type' must be text, json_object or json_schema, not {kind!r}",
        "response_format",
    )


def schema_grammar(schema: dict[str, Any]) -> str:
    """The grammar for JSON matching ``schema``; a 400 if the schema cannot be converted."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    source = json.dumps(schema)
    if len(source) > MAX_SCHEMA_CHARS:
        raise bad_request(
            f"The JSON schema is longer than {MAX_SCHEMA_CHARS:,} characters", "response_format"
        )
    try:
        return strict_strings(str(json_schema_to_gbnf(source)))
    except Exception as error:  # the converter raises plain exceptions of many kinds
        raise bad_request(
            f"This JSON schema cannot be enforced: {error}", "response_format"
        ) from None


# The converter's string character (any but a quote or a backslash) lets a model write a
# raw newline or tab inside a string, which JSON forbids and clients' parsers refuse.
_LOOSE_CHAR = r'::= [^"\\] | "\\"'
_STRICT_CHAR = r'::= [^"\\\x7F\x00-\x1F] | "\\"'


def strict_strings(grammar: str) -> str:
    """The grammar with control characters kept out of its JSON strings."""
    return grammar.replace(_LOOSE_CHAR, _STRICT_CHAR)
