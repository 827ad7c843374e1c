"""Tool calls as the model families write them: the call type, each format's markup, and
the decoding of a finished call's text into calls.

Owns what a call looks like in each format (``CallSyntax``: the markers that open and
close a call in the answer) and how the text between them becomes ``ToolCall`` objects.
The streaming part, finding those markers in a reply as it arrives, is
``app.engine.call_reader``'s. A call the model botched (text that is not JSON, no tool
name, arguments that are not an object) is still a ``ToolCall``, with ``error`` set to a
sentence the chat layer can send back to the model; decoding never raises.
"""

from __future__ import annotations

import ast
import json
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any, Literal

ToolCallFormat = Literal[
    "hermes",  # <tool_call>{"name": …, "arguments": …}</tool_call> (ChatML: Qwen, Hermes)
    "llama3",  # {"name": …, "parameters": …} as the whole reply; <|python_tag|>
    "mistral",  # [TOOL_CALLS][{…}] and [TOOL_CALLS]name[ARGS]{…}
    "harmony",  # gpt-oss: a commentary message to=functions.NAME (read by the harmony reader)
    "command-r",  # Action: ```json [{"tool_name": …, "parameters": …}] ```; <|START_ACTION|>
    "granite",  # <|tool_call|>[{…}]
    "phi4-mini",  # functools[{…}]
    "deepseek",  # <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME …
]

_ID_ALPHABET = string.ascii_letters + string.digits


def new_call_id() -> str:
    """A fresh call id: nine letters and digits, the shape Mistral's templates require."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(9))


@dataclass(frozen=True)
class ToolCall:
    """One call the model made.

    name: the tool's name ("" when the model gave none or it could not be read).
    arguments: the decoded JSON object, or None when the call is botched. raw: the
    call's text as the model wrote it, without the family's markup (where the format
    writes the name in markup, as harmony, DeepSeek and Mistral's ``[ARGS]`` do, the
    arguments' text). error: why the call cannot be run, for the model to read; None for
    a well-formed call. id: the model's own call id where its format has one (Mistral,
    Command-R), else a fresh one.
    """

    name: str
    arguments: dict[str, Any] | None
    raw: str
    error: str | None = None
    id: str = field(default_factory=new_call_id)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class CallSyntax:
    """The markers of one format's calls within the answer text.

    openers start a call; closers end it (a call with no closer runs to the end of the
    reply); inner markers mean something only inside a call, where every marker but a
    closer is part of the call's text. With whole_reply_json, an answer that begins
    with a JSON object naming a tool is a call.
    """

    openers: tuple[str, ...] = ()
    closers: tuple[str, ...] = ()
    inner: tuple[str, ...] = ()
    whole_reply_json: bool = False

    @property
    def markers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.openers, *self.closers, *self.inner)))


_DS_CALLS_BEGIN = "<｜tool▁calls▁begin｜>"
_DS_CALLS_END = "<｜tool▁calls▁end｜>"
_DS_CALL_BEGIN = "<｜tool▁call▁begin｜>"
_DS_CALL_END = "<｜tool▁call▁end｜>"
_DS_SEP = "<｜tool▁sep｜>"
_MISTRAL_CALLS = "[TOOL_CALLS]"
_MISTRAL_ARGS = "[ARGS]"
_MISTRAL_CALL_ID = "[CALL_ID]"
_PHI_OPENER = "functools["

SYNTAX: dict[ToolCallFormat, CallSyntax] = {
    "hermes": CallSyntax(openers=("<tool_call>",), closers=("</tool_call>",)),
    "llama3": CallSyntax(openers=("<|python_tag|>",), whole_reply_json=True),
    "mistral": CallSyntax(openers=(_MISTRAL_CALLS,), inner=(_MISTRAL_ARGS, _MISTRAL_CALL_ID)),
    "harmony": CallSyntax(),
    "command-r": CallSyntax(
        openers=("Action: ```json", "Action:\n```json", "<|START_ACTION|>"),
        closers=("```", "<|END_ACTION|>"),
    ),
    "granite": CallSyntax(openers=("<|tool_call|>",)),
    "phi4-mini": CallSyntax(openers=(_PHI_OPENER,)),
    "deepseek": CallSyntax(
        openers=(_DS_CALLS_BEGIN, _DS_CALL_BEGIN),
        closers=(_DS_CALLS_END,),
        inner=(_DS_CALL_BEGIN, _DS_CALL_END, _DS_SEP),
    ),
}

# Special-token texts of the call formats: a host must pass these through to the parser
# (not drop them as control tokens) when tools are offered.
# How a tool's output is delimited in the prompt (app.chat.untrusted): never shown if a
# model echoes it.
TOOL_OUTPUT_OPEN = "<tool_output>"
TOOL_OUTPUT_CLOSE = "</tool_output>"
TOOL_OUTPUT_MARKERS = (TOOL_OUTPUT_OPEN, TOOL_OUTPUT_CLOSE)

CALL_TOKENS: frozenset[str] = frozenset(
    {
        "<tool_call>",
        "</tool_call>",
        "<|python_tag|>",
        _MISTRAL_CALLS,
        _MISTRAL_ARGS,
        _MISTRAL_CALL_ID,
        "<|START_ACTION|>",
        "<|END_ACTION|>",
        "<|tool_call|>",
        _DS_CALLS_BEGIN,
        _DS_CALLS_END,
        _DS_CALL_BEGIN,
        _DS_CALL_END,
        _DS_SEP,
    }
)

# What a decoder gives back: the calls, and text after them that is answer after all.
Decoded = tuple[list["ToolCall"], str]

_NAME = re.compile(r"[\w.:/-]{1,128}")
_NOT_JSON = "The tool call is not valid JSON ({detail}). Write the call again as valid JSON."
_NOT_A_CALL = (
    'A tool call must be a JSON object with the tool\'s "name" and its "arguments",'
    ' such as {"name": "calculator", "arguments": {"expression": "2+2"}}.'
)


def decode_calls(fmt: ToolCallFormat, opener: str, body: str) -> Decoded:
    """The calls in the text a call's opener started (up to its closer, or the end of
    the reply), and any answer text that followed them."""
    if fmt == "hermes":  # some models fence the JSON inside the tags
        return _decode_json_calls(_strip_fence(body)), ""
    if fmt == "llama3":
        return _decode_llama3(opener, body)
    if fmt == "mistral":
        return _decode_mistral(body)
    if fmt == "command-r":
        return _decode_json_calls(body), ""
    if fmt == "phi4-mini":
        return _decode_json_prefix("[" + body)
    if fmt == "deepseek":
        return _decode_deepseek(opener, body)
    return _decode_json_prefix(body)  # granite


def decode_harmony_call(header: str, text: str) -> ToolCall:
    """A harmony message addressed to a tool: header ``… to=functions.NAME …``."""
    match = re.search(r"to=([^\s<]+)", header)
    recipient = match.group(1) if match else ""
    name = recipient.removeprefix("functions.")
    raw = text.strip()
    if not name:
        return ToolCall("", None, raw, "The tool call names no tool (to=functions.NAME).")
    if recipient == "python" and not raw.startswith("{"):
        return ToolCall(name, {"code": raw}, raw)
    return _arguments_call(name, raw)


def _decode_json_calls(body: str) -> list[ToolCall]:
    """Calls written as JSON objects (or lists of them) filling the body between a
    call's markers: anything else there is a botched call."""
    calls, rest = _decode_json_prefix(body)
    if rest.strip():
        calls.append(_not_json(rest.strip()))
    return calls


def _decode_json_prefix(body: str) -> Decoded:
    """The calls in the JSON values the body begins with; the text after them."""
    values, rest, problem = _json_values(body)
    if not values:
        if not body.strip():
            return [ToolCall("", None, "", "The tool call is empty. " + _NOT_A_CALL)], ""
        return [_not_json(body.strip(), problem)], ""
    calls = [call for value, raw in values for call in _calls_from_value(value, raw)]
    return calls, rest


def _json_values(text: str) -> tuple[list[tuple[Any, str]], str, str]:
    """The JSON values at the start of text, apart by whitespace, commas or semicolons;
    the text from the first thing that is not one; why that thing is not JSON."""
    decoder = json.JSONDecoder()
    values: list[tuple[Any, str]] = []
    position = 0
    problem = ""
    while True:
        start = position
        while start < len(text) and (text[start].isspace() or (values and text[start] in ",;")):
            start += 1
        if start >= len(text):
            return values, "", ""
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError as error:
            problem = f"{error.msg} at character {error.pos - start + 1}"
            # Separators a model put between calls are not answer text.
            return values, text[start:] if values else text[position:], problem
        values.append((value, text[start:end]))
        position = end


def _calls_from_value(value: Any, raw: str) -> list[ToolCall]:
    if isinstance(value, list):
        if not value:
            return [ToolCall("", None, raw, "The list of tool calls is empty. " + _NOT_A_CALL)]
        return [_call_from_object(item, json.dumps(item, ensure_ascii=False)) for item in value]
    return [_call_from_object(value, raw)]


def _call(
    name: str,
    arguments: dict[str, Any] | None,
    raw: str,
    error: str | None = None,
    call_id: str | None = None,
) -> ToolCall:
    if call_id:
        return ToolCall(name, arguments, raw, error, call_id)
    return ToolCall(name, arguments, raw, error)


def _call_from_object(value: Any, raw: str) -> ToolCall:
    """A call from a decoded JSON object in any family's key names."""
    if not isinstance(value, dict):
        return ToolCall("", None, raw, _NOT_A_CALL)
    fields = dict(value)
    if isinstance(fields.get("function"), dict):  # OpenAI's nesting
        fields.update(fields["function"])
    name = fields.get("name", fields.get("tool_name"))
    given_id = fields.get("id", fields.get("tool_call_id", fields.get("call_id")))
    call_id = str(given_id) if isinstance(given_id, (str, int)) else None
    if not isinstance(name, str) or not name.strip():
        return _call("", None, raw, 'The tool call has no tool "name". ' + _NOT_A_CALL, call_id)
    name = name.strip()
    if not _NAME.fullmatch(name):
        return _call(name, None, raw, f"{name!r} is not a tool name.", call_id)
    arguments = fields.get("arguments", fields.get("parameters", {}))
    return _checked(name, arguments, raw, call_id)


def _arguments_call(name: str, text: str, call_id: str | None = None) -> ToolCall:
    """A call whose name is markup and whose arguments are a JSON object's text."""
    if not _NAME.fullmatch(name):
        problem = f"{name!r} is not a tool name." if name else "The tool call names no tool."
        return _call(name, None, text, problem, call_id)
    if not text:
        return _call(name, {}, text, None, call_id)
    try:
        arguments = json.loads(text)
    except json.JSONDecodeError as error:
        detail = f"{error.msg} at character {error.pos + 1}"
        return _call(name, None, text, _NOT_JSON.format(detail=detail), call_id)
    return _checked(name, arguments, text, call_id)


def _checked(name: str, arguments: Any, raw: str, call_id: str | None) -> ToolCall:
    if isinstance(arguments, str):  # some models write the arguments as a JSON string
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as error:
            detail = f"the arguments string: {error.msg}"
            return _call(name, None, raw, _NOT_JSON.format(detail=detail), call_id)
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        problem = (
            f"The arguments of the call to {name} must be a JSON object of named"
            ' values, such as {"expression": "2+2"}.'
        )
        return _call(name, None, raw, problem, call_id)
    return _call(name, arguments, raw, None, call_id)


def _not_json(raw: str, problem: str = "") -> ToolCall:
    return ToolCall("", None, raw, _NOT_JSON.format(detail=problem or "unexpected text"))


def _strip_fence(text: str) -> str:
    """The text inside a ```json … ``` fence, or the text as it is."""
    text = text.strip()
    if text.startswith("```"):
        text = text[3:].removeprefix("json").removeprefix("JSON")
        text = text.removesuffix("```")
    return text.strip()


def _decode_llama3(opener: str, body: str) -> Decoded:
    """After <|python_tag|>: JSON calls, a built-in ``tool.call(key=value)``, or code for
    the code interpreter. With no opener: a reply that is a JSON call."""
    if not opener:
        return _decode_whole_reply(body)
    if body.lstrip().startswith(("{", "[")):
        return _decode_json_prefix(body)
    code = body.strip()
    builtin = re.fullmatch(r"([A-Za-z_]\w*)\.call\((.*)\)", code, re.DOTALL)
    if builtin:
        return [_builtin_call(builtin.group(1), builtin.group(2), code)], ""
    return [ToolCall("code_interpreter", {"code": code}, code)], ""


def _decode_whole_reply(body: str) -> Decoded:
    """A reply that began ``{"name": …``: calls, unless it is well-formed JSON that
    names no arguments (an answer the user asked to have as JSON)."""
    values, _rest, _problem = _json_values(body)
    if values and not any(_names_arguments(value) for value, _raw in values):
        return [], body
    return _decode_json_prefix(body)


def _names_arguments(value: Any) -> bool:
    if isinstance(value, list):
        return any(_names_arguments(item) for item in value)
    if not isinstance(value, dict):
        return False
    nested = value.get("function")
    fields: dict[str, Any] = nested if isinstance(nested, dict) else value
    return "parameters" in fields or "arguments" in fields


def _builtin_call(name: str, arguments: str, raw: str) -> ToolCall:
    """Llama 3.1's built-in tool call, ``brave_search.call(query="…")``; the values are
    read as Python literals, nothing is evaluated."""
    problem = (
        f"The call to {name} must name each argument with a literal value,"
        ' such as brave_search.call(query="weather in Paris").'
    )
    try:
        node = ast.parse(f"f({arguments})", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ToolCall(name, None, raw, problem)
    if not isinstance(node, ast.Call) or node.args:
        return ToolCall(name, None, raw, problem)
    values: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            return ToolCall(name, None, raw, problem)
        try:
            values[keyword.arg] = ast.literal_eval(keyword.value)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            return ToolCall(name, None, raw, problem)
    return ToolCall(name, values, raw)


def _decode_mistral(body: str) -> Decoded:
    """``[{…}, …]`` after [TOOL_CALLS], or ``name[ARGS]{…}`` (with [CALL_ID]id) after each."""
    parts = body.split(_MISTRAL_CALLS)
    calls: list[ToolCall] = []
    rest = ""
    for part in parts:
        if not part.strip() and len(parts) > 1:
            continue
        if _MISTRAL_ARGS not in part:
            found, rest = _decode_json_prefix(part)
            calls += found
            continue
        head, _, arguments = part.partition(_MISTRAL_ARGS)
        name, _, call_id = head.partition(_MISTRAL_CALL_ID)
        values, rest, _problem = _json_values(arguments)
        if len(values) == 1:
            text = values[0][1]
        else:  # not JSON, or more than one value: the whole text is the call's
            text, rest = arguments.strip(), ""
        calls.append(_arguments_call(name.strip(), text, call_id.strip() or None))
    return calls, rest


def _decode_deepseek(opener: str, body: str) -> Decoded:
    """Calls between DeepSeek's call markers, one or more: (R1, V3)
    ``<｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME`` then the arguments in a json
    fence, or (V3.1) ``<｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{…}``; each ends with
    ``<｜tool▁call▁end｜>``."""
    if opener == _DS_CALL_BEGIN:
        body = _DS_CALL_BEGIN + body
    segments = body.split(_DS_CALL_BEGIN)
    calls: list[ToolCall] = []
    leftover = [segments[0]]
    for segment in segments[1:]:
        inside, _, after = segment.partition(_DS_CALL_END)
        leftover.append(after)
        kind, separator, rest = inside.partition(_DS_SEP)
        if not separator:
            calls.append(ToolCall("", None, inside.strip(), "The tool call names no tool."))
            continue
        if kind.strip() == "function":
            name, _, arguments = rest.partition("\n")
        else:
            name, arguments = kind, rest
        calls.append(_arguments_call(name.strip(), _strip_fence(arguments)))
    if not calls:
        return [ToolCall("", None, body.strip(), "The tool call names no tool.")], ""
    answer = "".join(leftover)
    return calls, answer if answer.strip() else ""
