"""GBNF grammars for "the model must call a tool": the whole reply is one call, to one of
the tools offered, in the family's call syntax, with arguments that match the tool's
JSON schema.

Each tool's arguments grammar comes from llama-cpp-python's JSON-schema converter
(``json_schema_to_gbnf``: the library's Python code, no model; importing it loads the
native library, as ``app.server.grammar`` does too). A schema the converter cannot
handle falls back to "any JSON object". Each tool's rules get a prefix of their own, and
one root joins them in the call syntax of the format. The engine host checks a grammar
again with the model's vocabulary before sampling with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from app.engine.tool_calls import ToolCallFormat
from app.tools.base import Tool

# One call: (GBNF for the tool's name as a JSON string, rule of its arguments) → GBNF.
_CallShape = Callable[[str, str], str]


def _json_call(name_key: str, arguments_key: str) -> _CallShape:
    """A call as a JSON object, spaced the way models write it: one way, so that the
    grammar leaves the model no choices but the ones that matter."""

    def shape(name: str, arguments: str) -> str:
        opening = _literal("{" + json.dumps(name_key) + ": ")
        middle = _literal(", " + json.dumps(arguments_key) + ": ")
        return f'{opening} {name} {middle} {arguments} "}}"'

    return shape


def _harmony_call(name: str, arguments: str) -> str:
    header = '"<|channel|>commentary to=functions."'
    return f'{header} {name} " <|constrain|>json<|message|>" {arguments}'


def _deepseek_call(name: str, arguments: str) -> str:
    return (
        f'"<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>" {name}'
        f' "\\n```json\\n" {arguments} "\\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"'
    )


# Each format: how one call is written, whether the name is bare (not a JSON string),
# and the text around the call.
_FORMATS: dict[ToolCallFormat, tuple[_CallShape, bool, str, str]] = {
    "hermes": (_json_call("name", "arguments"), False, "<tool_call>\n", "\n</tool_call>"),
    "llama3": (_json_call("name", "parameters"), False, "", ""),
    "mistral": (_json_call("name", "arguments"), False, "[TOOL_CALLS][", "]"),
    "harmony": (_harmony_call, True, "", ""),
    "command-r": (_json_call("tool_name", "parameters"), False, "Action: ```json\n[", "]\n```"),
    "granite": (_json_call("name", "arguments"), False, "<|tool_call|>[", "]"),
    "phi4-mini": (_json_call("name", "arguments"), False, "functools[", "]"),
    "deepseek": (_deepseek_call, True, "", ""),
}

# Any JSON object, for a tool whose schema the converter cannot turn into a grammar.
_ANY_OBJECT = r"""
root ::= object
value ::= object | array | string | number | ("true" | "false" | "null") ws
object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
array ::= "[" ws ( value ("," ws value)* )? "]" ws
string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9]{1,15})? ws
ws ::= | " " | "\n" [ \t]{0,20}
"""


def call_grammar(tools: Sequence[Tool], fmt: ToolCallFormat) -> str:
    """A grammar whose every sentence is one call, in fmt's syntax, to one of the tools."""
    if not tools:
        raise ValueError("a call grammar needs at least one tool")
    shape, bare_name, before, after = _FORMATS[fmt]
    rules: list[str] = []
    alternatives: list[str] = []
    for index, tool in enumerate(tools):
        prefix = f"t{index}-"
        arguments, arguments_rules = _arguments_grammar(tool, prefix)
        rules.append(arguments_rules)
        name = _literal(tool.name if bare_name else json.dumps(tool.name))
        alternatives.append(f"call-{index}")
        rules.append(f"call-{index} ::= {shape(name, arguments)}")
    head = [_literal(before)] if before else []
    tail = [_literal(after)] if after else []
    root = " ".join([*head, "(" + " | ".join(alternatives) + ")", *tail])
    return "\n".join([f"root ::= {root}", *rules]) + "\n"


def _arguments_grammar(tool: Tool, prefix: str) -> tuple[str, str]:
    """The rule name of the tool's arguments, and its rules, all named with prefix."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        source = str(json_schema_to_gbnf(json.dumps(dict(tool.parameters))))
    except Exception:  # the converter raises plain exceptions of many kinds
        source = _ANY_OBJECT
    return prefix + "root", _prefixed(source, prefix)


def _literal(text: str) -> str:
    """text as a GBNF string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


_DEFINITION = re.compile(r"^([A-Za-z0-9-]+)\s*::=", re.MULTILINE)


def _prefixed(source: str, prefix: str) -> str:
    """The grammar with every rule it defines renamed prefix+name, where it is defined
    and wherever it is used; literals, character classes, repetition counts and
    comments are left as they are."""
    defined = set(_DEFINITION.findall(source))
    out: list[str] = []
    position = 0
    while position < len(source):
        character = source[position]
        if character in '"[{#':
            end = _skip(source, position)
            out.append(source[position:end])
            position = end
        elif character.isalnum() or character == "-":
            end = position
            while end < len(source) and (source[end].isalnum() or source[end] == "-"):
                end += 1
            word = source[position:end]
            out.append(prefix + word if word in defined else word)
            position = end
        else:
            out.append(character)
            position += 1
    return "".join(out)


def _skip(source: str, start: int) -> int:
    """The end of the literal, character class, repetition count or comment at start."""
    opening = source[start]
    closing = {'"': '"', "[": "]", "{": "}", "#": "\n"}[opening]
    position = start + 1
    while position < len(source) and source[position] != closing:
        position += 2 if source[position] == "\\" and opening in '"[' else 1
    return min(position + 1, len(source))
