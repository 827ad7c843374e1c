"""Nothing runs without the user's say: when a tool call may run by itself, and what the
user is asked when it may not.

The rules, in order:

1. A tool that reads and changes nothing (``Tool.needs_approval`` False: the calculator,
   the clock) runs without asking.
2. Every other call asks, unless the user chose "allow for this chat" for that tool in
   this conversation, *and* the call was not proposed right after untrusted content was
   read: a tool's result or a document in this turn's context may hold instructions
   (prompt injection is assumed), so a call proposed then always asks again.
3. "Deny" runs nothing; the model is told the user declined.

The question itself is an :class:`ApprovalRequest`; the window's dialog and the
terminal's prompt answer it with a :class:`Decision`. "Allow for this chat" is kept in
memory only: a restarted Hearth asks again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from app.engine.tool_calls import ToolCall
from app.tools.base import Tool


class Decision(Enum):
    """The user's answer to one call."""

    ALLOW_ONCE = "once"
    ALLOW_FOR_CHAT = "chat"  # this tool, in this conversation, from now on
    DENY = "deny"

    @property
    def allows(self) -> bool:
        return self is not Decision.DENY


@dataclass(frozen=True)
class ApprovalRequest:
    """One call waiting for the user's say: what to show them.

    tool: the tool's name as the model called it. server: the MCP server the tool
    belongs to (None for Hearth's own tools). description: what the tool says it does.
    arguments: the call's arguments, as the tool will get them. code: the Python code,
    shown as code, when the tool runs code (else None). untrusted: the call was proposed
    right after a tool result or a document was read, so it may come from instructions
    hidden there. remembered: "allow for this chat" was chosen for this tool, and does
    not apply because of that.
    """

    conversation_id: int
    call: ToolCall
    tool: str
    server: str | None
    description: str
    arguments: Mapping[str, Any]
    code: str | None = None
    untrusted: bool = False
    remembered: bool = False

    @property
    def arguments_text(self) -> str:
        """The arguments as indented JSON, for display."""
        return json.dumps(dict(self.arguments), ensure_ascii=False, indent=2, sort_keys=True)

    @property
    def warning(self) -> str:
        """One line for the dialog when the call deserves a second look, else ""."""
        if not self.untrusted:
            return ""
        text = (
            "This call was proposed right after the model read a tool's result or a"
            " document, which may contain instructions that are not yours."
        )
        if self.remembered:
            text += " Your 'allow for this chat' does not apply to it."
        return text


def tool_server(tool: Tool) -> str | None:
    """The MCP server a tool belongs to (None for Hearth's own)."""
    server = getattr(tool, "server", None)
    return server if isinstance(server, str) else None


def code_of(tool: Tool, arguments: Mapping[str, Any]) -> str | None:
    """The code a call runs, to show as code: the Python tool's ``code`` argument."""
    if tool.name == "python" and isinstance(arguments.get("code"), str):
        return str(arguments["code"])
    return None


class ApprovalPolicy:
    """What the user allowed for each chat. Thread-safe (the worker asks, any thread may
    forget)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._allowed: dict[int, set[str]] = {}

    def needs_asking(self, conversation_id: int, tool: Tool, *, untrusted: bool) -> bool:
        """Whether a call to ``tool`` must wait for the user (see the module's rules)."""
        if not tool.needs_approval:
            return False
        return untrusted or not self.allowed_for_chat(conversation_id, tool.name)

    def allowed_for_chat(self, conversation_id: int, tool_name: str) -> bool:
        with self._lock:
            return tool_name in self._allowed.get(conversation_id, set())

    def remember(self, conversation_id: int, tool_name: str, decision: Decision) -> None:
        """Keeps "allow for this chat"; other decisions apply to one call only."""
        if decision is not Decision.ALLOW_FOR_CHAT:
            return
        with self._lock:
            self._allowed.setdefault(conversation_id, set()).add(tool_name)

    def forget(self, conversation_id: int | None = None) -> None:
        """Drops what was allowed in one chat (all chats when None)."""
        with self._lock:
            if conversation_id is None:
                self._allowed.clear()
            else:
                self._allowed.pop(conversation_id, None)

    def request(
        self, conversation_id: int, call: ToolCall, tool: Tool, *, untrusted: bool
    ) -> ApprovalRequest:
        """The question to put to the user about ``call``."""
        arguments = call.arguments or {}
        return ApprovalRequest(
            conversation_id=conversation_id,
            call=call,
            tool=tool.name,
            server=tool_server(tool),
            description=tool.description,
            arguments=arguments,
            code=code_of(tool, arguments),
            untrusted=untrusted,
            remembered=untrusted and self.allowed_for_chat(conversation_id, tool.name),
        )
