"""GBNF grammars for "the model must call a tool": the whole reply is one call, to one of
the tools offered, in the family's call syntax, with arguments that match the tool's
JSON schema.

Each tool's arguments grammar comes from llama-cpp-python's JSON-schema converter
(``json_schema_to_gbnf``: the library's Python code, no model; importing it loads the
native library, as ``app.server.grammar`` does too). A schema the converter cannot
handle falls back to "any JSON object". Each tool's rules get a prefix of their own, and
one root joins them in the call syntax of the format. The engine host checks a grammar
again with the model's vocabulary before sampling with it.

``trigger_grammar`` is the lazy kind for "the model may call a tool": the grammar waits
until the reply starts a call (the family's opener), then holds the call to the schema.

Every JSON string the grammars admit is valid JSON: no raw control characters
(U+0000-U+001F must be escaped). Schema limits too long for a grammar (a ``maxLength``
of 100,000, say: the converter writes one nested rule per character) are left to the
argument check after the call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from app.engine.tool_calls import ToolCallFormat

# The longest repetition a grammar spells out; longer limits are checked after the call.
GRAMMAR_MAX_REPEAT = 256


class ToolShape(Protocol):
    """What a grammar needs of a tool: its name and its arguments' JSON schema."""

    @property
    def name(self) -> str: ...

    @property
    def parameters(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class SpecTool:
    """A tool as a chat template's ``tools`` list gives it (name and schema only)."""

    name: str
    parameters: Mapping[str, Any]


def spec_tools(specs: Iterable[Mapping[str, Any]]) -> list[SpecTool]:
    """The tools of a template ``tools`` list (OpenAI function specs, or bare functions)."""
    tools = []
    for spec in specs:
        function = spec.get("function", spec)
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            parameters = function.get("parameters")
            tools.append(
                SpecTool(function["name"], parameters if isinstance(parameters, Mapping) else {})
            )
    return tools


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
string ::= "\"" ( [^"\\\x00-\x1F] | "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9]{1,15})? ws
ws ::= | " " | "\n" [ \t]{0,20}
"""


def call_grammar(tools: Sequence[ToolShape], fmt: ToolCallFormat) -> str:
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


def _arguments_grammar(tool: ToolShape, prefix: str) -> tuple[str, str]:
    """The rule name of the tool's arguments, and its rules, all named with prefix."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        source = str(json_schema_to_gbnf(json.dumps(_bounded(dict(tool.parameters)))))
    except Exception:  # the converter raises plain exceptions of many kinds
        source = _ANY_OBJECT
    return prefix + "root", _prefixed(_no_control_characters(source), prefix)


_LIMITS = ("maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties")


def _bounded(schema: Any) -> Any:
    """The schema without limits too long to spell out in a grammar."""
    if isinstance(schema, Mapping):
        return {
            key: _bounded(value)
            for key, value in schema.items()
            if not (key in _LIMITS and isinstance(value, int) and value > GRAMMAR_MAX_REPEAT)
        }
    if isinstance(schema, list):
        return [_bounded(item) for item in schema]
    return schema


# The converter's string characters: anything but a quote or a backslash, which lets a
# raw newline or tab through; JSON wants those escaped.
_ANY_STRING_CHARACTER = '[^"\\\\]'
_JSON_STRING_CHARACTER = '[^"\\\\\\x00-\\x1F]'


def _no_control_characters(source: str) -> str:
    return source.replace(_ANY_STRING_CHARACTER, _JSON_STRING_CHARACTER)


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


@dataclass(frozen=True)
class TriggerGrammar:
    """A lazy call grammar: it applies from the moment the reply opens a call.

    words: the texts that open a call (a host makes each that is one special token of
    the vocabulary a trigger token, and the rest patterns, see ``word_pattern``).
    patterns: further regular expressions on the reply so far (ECMAScript, as llama.cpp
    reads them); the grammar applies from the first group on. Each pattern ends at the
    end of the reply so far, so the text handed to the grammar is only what it admits.
    """

    source: str
    words: tuple[str, ...]
    patterns: tuple[str, ...] = ()
    spaced: bool = True

    def word_pattern(self, word: str) -> str:
        """The pattern that triggers on ``word`` written as text."""
        spaces = "[ \\t\\r\\n]*" if self.spaced else ""
        return f"({_regex_escape(word)}){spaces}$"


def _regex_escape(text: str) -> str:
    """text as an ECMAScript pattern that matches it literally."""
    return "".join(
        "\\" + character if character in _REGEX_SPECIAL else character for character in text
    )


_REGEX_SPECIAL = frozenset("\\^$.|?*+()[]{}")


# Whitespace the model may write between an opener and the call, when the opener ended
# a token; unbounded, as the trigger pattern takes any amount.
_OPENER_SPACE = "lazy-space ::= [ \\t\\r\\n]*"
# Llama 3: a reply that begins with a JSON call, seen as soon as it begins.
_LLAMA3_START = '^[ \\t\\r\\n]*(\\{(?:"(?:n(?:a(?:m(?:e(?:"(?::)?)?)?)?)?)?)?)$'

# Each format: the openers, the root (``@CALL@`` is one call to any tool), extra patterns,
# and whether space may follow an opener.
_LAZY: dict[ToolCallFormat, tuple[tuple[str, ...], str, tuple[str, ...], bool]] = {
    "hermes": (
        ("<tool_call>",),
        '"<tool_call>" lazy-space @CALL@ lazy-space "</tool_call>"'
        ' (lazy-space "<tool_call>" lazy-space @CALL@ lazy-space "</tool_call>")*',
        (),
        True,
    ),
    "llama3": (
        ("<|python_tag|>",),
        '("<|python_tag|>" lazy-space)? @CALL@',
        (_LLAMA3_START,),
        True,
    ),
    "mistral": (
        ("[TOOL_CALLS]",),
        '"[TOOL_CALLS]" lazy-space "[" @CALL@ (", " @CALL@)* "]"',
        (),
        True,
    ),
    "granite": (
        ("<|tool_call|>",),
        '"<|tool_call|>" lazy-space "[" @CALL@ (", " @CALL@)* "]"',
        (),
        True,
    ),
    "phi4-mini": (("functools[",), '"functools[" lazy-space @CALL@ (", " @CALL@)* "]"', (), True),
    "harmony": (("<|channel|>commentary to=functions.",), "@CALL@", (), False),
    "deepseek": (("<｜tool▁calls▁begin｜>",), "@CALL@", (), False),
}


def trigger_grammar(tools: Sequence[ToolShape], fmt: ToolCallFormat) -> TriggerGrammar | None:
    """The lazy grammar of calls to ``tools`` in fmt's syntax; None where the format has
    no opener to wait for (Command-R's calls are read, not constrained)."""
    if not tools or fmt not in _LAZY:
        return None
    words, root, patterns, spaced = _LAZY[fmt]
    strict = call_grammar(tools, fmt)
    # The strict grammar's call rules, without its root (the opener and closer).
    rules = [line for line in strict.splitlines() if line and not line.startswith("root ::=")]
    alternatives = " | ".join(f"call-{index}" for index in range(len(tools)))
    source = "\n".join(
        [f"root ::= {root.replace('@CALL@', f'({alternatives})')}", _OPENER_SPACE, *rules]
    )
    return TriggerGrammar(source + "\n", words, patterns, spaced)
