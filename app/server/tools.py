"""Tools a client offers through the API: read, checked, and made into the call grammar.

The server never runs a tool. A client sends the tools it has (OpenAI ``tools``, Anthropic
``tools``); they reach the model's chat template as its ``tools`` list, the host reads the
calls the model writes, and the reply hands them back (``tool_calls``, ``tool_use``). The
client runs them and sends the results back as messages.

``tool_choice``: ``none`` offers no tools at all; ``auto`` lets the model choose;
``required`` (Anthropic's ``any``) and a named function are enforced with a grammar in the
loaded model's call syntax (``app.tools.grammar``), so the reply is one call with
arguments that match the tool's schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.server.errors import bad_request
from app.server.grammar import strict_strings
from app.tools.base import Tool, ToolResult

# Most tools one request may offer, and the largest one (as JSON text).
MAX_TOOLS = 128
MAX_TOOL_CHARS = 64 * 1024
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class OfferedTool:
    """One tool a client offers: what the template reads and what the grammar needs."""

    name: str
    description: str
    parameters: dict[str, Any]

    def spec(self) -> dict[str, Any]:
        """The tool as chat templates read it (OpenAI's shape)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


@dataclass(frozen=True)
class ToolOffer:
    """The tools of one request and what it asks of them.

    choice: ``auto``, ``required``, or ``function`` (then ``name`` says which).
    """

    tools: tuple[OfferedTool, ...]
    choice: str = "auto"
    name: str | None = None

    @property
    def forced(self) -> bool:
        """Whether the reply must be a call."""
        return self.choice in ("required", "function")

    def specs(self) -> list[dict[str, Any]]:
        return [tool.spec() for tool in self.tools]

    def grammar(self, fmt: Any) -> str | None:
        """The grammar of "one call to one of the tools it must call", or None for auto.

        ``fmt``: the loaded model's call format (``app.engine.tool_calls.ToolCallFormat``).
        """
        if not self.forced:
            return None
        from app.chat.tool_loop import grammar_tools
        from app.tools.grammar import call_grammar

        chosen = [t for t in self.tools if self.name is None or t.name == self.name]
        return strict_strings(call_grammar(grammar_tools(_GrammarTool(t) for t in chosen), fmt))

    def remote_choice(self) -> str | dict[str, Any]:
        """``tool_choice`` as an OpenAI-compatible server takes it."""
        if self.choice == "function":
            return {"type": "function", "function": {"name": self.name}}
        return self.choice


class _GrammarTool(Tool):
    """An offered tool in the shape the call grammar reads; never run here."""

    def __init__(self, tool: OfferedTool) -> None:
        self.name = tool.name
        self.description = tool.description
        self.parameters = tool.parameters

    def run(self, arguments: Mapping[str, Any]) -> ToolResult:
        raise NotImplementedError("the API server does not run tools")


def openai_offer(body: Mapping[str, Any]) -> ToolOffer | None:
    """``tools`` and ``tool_choice`` of a chat completion request (None: no tools)."""
    if body.get("functions") is not None or body.get("function_call") is not None:
        raise bad_request(
            "'functions' and 'function_call' are the old names: send 'tools' and 'tool_choice'",
            "functions",
        )
    value = body.get("tools")
    choice = body.get("tool_choice")
    if value is None or value == []:
        if choice not in (None, "none", "auto"):
            raise bad_request("'tool_choice' needs 'tools' to choose from", "tool_choice")
        return None
    if not isinstance(value, list):
        raise bad_request("'tools' must be a list of function tools", "tools")
    tools = _checked([_openai_tool(item, index) for index, item in enumerate(value)])
    if choice is None or choice == "auto":
        return ToolOffer(tools)
    if choice == "none":
        return None
    if choice == "required":
        return ToolOffer(tools, "required")
    function = choice.get("function") if isinstance(choice, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str) or choice.get("type") != "function":
        raise bad_request(
            "'tool_choice' must be none, auto, required or"
            ' {"type": "function", "function": {"name": ...}}',
            "tool_choice",
        )
    return ToolOffer(tools, "function", _offered_name(tools, name))


def anthropic_offer(body: Mapping[str, Any]) -> ToolOffer | None:
    """``tools`` and ``tool_choice`` of a Messages request (None: no tools)."""
    value = body.get("tools")
    choice = body.get("tool_choice")
    if choice is not None and not (
        isinstance(choice, dict) and isinstance(choice.get("type"), str)
    ):
        raise bad_request("'tool_choice' must be an object with a 'type'", "tool_choice")
    kind = choice["type"] if choice else "auto"
    if value is None or value == []:
        if kind not in ("auto", "none"):
            raise bad_request("'tool_choice' needs 'tools' to choose from", "tool_choice")
        return None
    if not isinstance(value, list):
        raise bad_request("'tools' must be a list of tools", "tools")
    tools = _checked([_anthropic_tool(item, index) for index, item in enumerate(value)])
    if kind == "auto":
        return ToolOffer(tools)
    if kind == "none":
        return None
    if kind == "any":
        return ToolOffer(tools, "required")
    if kind == "tool" and choice is not None and isinstance(choice.get("name"), str):
        return ToolOffer(tools, "function", _offered_name(tools, choice["name"]))
    raise bad_request(
        "'tool_choice.type' must be auto, any, none or tool (with a 'name')", "tool_choice"
    )


def call_arguments(value: Any, where: str) -> dict[str, Any]:
    """A call's arguments sent back in the conversation (JSON text, or an object)."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            raise bad_request(f"{where}: the call's arguments are not valid JSON", where) from None
    if not isinstance(value, dict):
        raise bad_request(f"{where}: the call's arguments must be a JSON object", where)
    return value


def _openai_tool(item: Any, index: int) -> OfferedTool:
    where = f"tools[{index}]"
    if not isinstance(item, dict) or item.get("type") != "function":
        raise bad_request(f'{where} must be {{"type": "function", "function": {{...}}}}', where)
    function = item.get("function")
    if not isinstance(function, dict):
        raise bad_request(f"{where}.function must be an object", where)
    return _tool(
        function.get("name"), function.get("description"), function.get("parameters"), where
    )


def _anthropic_tool(item: Any, index: int) -> OfferedTool:
    where = f"tools[{index}]"
    if not isinstance(item, dict):
        raise bad_request(f"{where} must be an object", where)
    if item.get("type") not in (None, "custom"):
        raise bad_request(
            f"{where} is a {item.get('type')} tool: this server takes only tools the client"
            " runs (with an input_schema)",
            where,
        )
    return _tool(item.get("name"), item.get("description"), item.get("input_schema"), where)


def _tool(name: Any, description: Any, parameters: Any, where: str) -> OfferedTool:
    if not isinstance(name, str) or not _NAME.match(name):
        raise bad_request(
            f"{where}: a tool's name must be 1 to 64 letters, digits, '_', '-', '.' or ':'",
            where,
        )
    if description is not None and not isinstance(description, str):
        raise bad_request(f"{where}: a tool's description must be a string", where)
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    if not isinstance(parameters, dict):
        raise bad_request(f"{where}: a tool's parameters must be a JSON schema object", where)
    if len(json.dumps(parameters)) > MAX_TOOL_CHARS:
        raise bad_request(
            f"{where}: the schema is longer than {MAX_TOOL_CHARS:,} characters", where
        )
    return OfferedTool(name, description or "", parameters)


def _checked(tools: Sequence[OfferedTool]) -> tuple[OfferedTool, ...]:
    if len(tools) > MAX_TOOLS:
        raise bad_request(f"'tools' holds more than {MAX_TOOLS} tools", "tools")
    names = [tool.name for tool in tools]
    for name in names:
        if names.count(name) > 1:
            raise bad_request(f"Two tools are named {name!r}", "tools")
    return tuple(tools)


def _offered_name(tools: Sequence[OfferedTool], name: str) -> str:
    if name not in {tool.name for tool in tools}:
        offered = ", ".join(tool.name for tool in tools)
        raise bad_request(
            f"'tool_choice' names {name!r}, which is not one of the tools ({offered})",
            "tool_choice",
        )
    return name
