"""The tool calls of one assistant turn: asked about, run, and answered in the store.

A reply that offers tools goes in rounds (``app.chat.service``): the model answers; if
its answer ends with calls, each call gets a tool message and the model goes again.
This module owns what happens between two rounds:

- a botched call (bad JSON, no name, a tool not offered, arguments that do not fit the
  schema) gets its error back as the tool message; nobody is asked, nothing runs;
- a call the approval policy does not let run by itself waits for the user's say
  (``StreamCallbacks.approve``, which may block: this runs on the reply's worker thread);
  "deny" answers the model that the user declined;
- an allowed call runs through the registry; its result becomes the tool message;
- Stop ends it: calls not yet run are answered "skipped", so the turn stays whole.

It also says whether a round's context holds untrusted content (a tool's result read in
this turn), which makes every call of the next round ask, and it builds the tools'
view the "must call a tool" grammar is made from.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.request import Request
from app.engine.tool_calls import ToolCall
from app.store.conversations import ConversationStore
from app.store.records import Message, StoredToolCall
from app.tools.approval import ApprovalPolicy, ApprovalRequest, Decision
from app.tools.arguments import argument_problem
from app.tools.base import Tool, ToolResult
from app.tools.calculator import CalculatorTool
from app.tools.clock import ClockTool
from app.tools.registry import ToolRegistry

log = logging.getLogger(__name__)

DECLINED = "The user declined this call, so it did not run."
STOPPED = "The call did not run: the user stopped the reply."
# Tools whose output Hearth computes itself from the call's own arguments: reading it
# brings nothing from outside into the context.
_OWN_OUTPUT_TOOLS: tuple[type[Tool], ...] = (CalculatorTool, ClockTool)
# Longer string limits than this are left out of the grammar's schema: llama.cpp spells a
# repetition count out as nested rules, and a 100,000-character limit makes a grammar of
# megabytes that crashes its parser. The tool still checks the limit when it runs.
_GRAMMAR_MAX_REPEAT = 256


class ReplyControl:
    """Stop for a reply of several rounds: the round's ticket, and a flag the loop reads
    between rounds, calls and approvals. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopped = False
        self._ticket: Request | None = None

    @property
    def stopped(self) -> bool:
        return self._stopped

    def new_ticket(self) -> Request:
        """The ticket for the next round (already cancelled if Stop came)."""
        with self._lock:
            ticket = self._ticket = Request("reply")
            if self._stopped:
                ticket.cancel()
            return ticket

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            ticket = self._ticket
        if ticket is not None:
            ticket.cancel()


def stored_calls(calls: Iterable[ToolCall]) -> list[StoredToolCall]:
    return [
        StoredToolCall(call.id, call.name, call.arguments, call.raw, call.error) for call in calls
    ]


def own_output_tools(registry: ToolRegistry) -> frozenset[str]:
    """The offered tools whose results are not untrusted content."""
    return frozenset(tool.name for tool in registry if isinstance(tool, _OWN_OUTPUT_TOOLS))


def untrusted_in_turn(history: Sequence[Message], trusted_tools: Iterable[str] = ()) -> bool:
    """Whether this turn's context holds a tool's result: any result read since the
    user's last message, but those of ``trusted_tools`` and Hearth's own notes."""
    trusted = set(trusted_tools)
    for message in reversed(history):
        if message.role == "user":
            return False
        if (
            message.role == "tool"
            and message.tool_outcome in ("ok", "error")
            and message.tool_name not in trusted
        ):
            return True
    return False


@dataclass(frozen=True)
class CallOutcome:
    """What one call came to: the result the model reads, and how it went."""

    result: ToolResult
    outcome: str  # app.store.records.ToolOutcome


Approve = Callable[[ApprovalRequest], Decision]


class CallRunner:
    """Answers one turn's calls; ``run_calls`` stores a tool message for each."""

    def __init__(
        self,
        conversations: ConversationStore,
        policy: ApprovalPolicy,
        control: ReplyControl,
        *,
        approve: Approve,
        on_result: Callable[[ToolCall, ToolResult], None],
    ) -> None:
        self._conversations = conversations
        self._policy = policy
        self._control = control
        self._approve = approve
        self._on_result = on_result

    def run_calls(
        self,
        turn: Message,
        calls: Sequence[ToolCall],
        registry: ToolRegistry,
        *,
        untrusted: bool,
        skip_all: str | None = None,
    ) -> list[Message]:
        """A tool message for each call, in order, under the assistant ``turn``.

        ``skip_all``: run none of them; each is answered with this text (the reply's
        limit of rounds was reached).
        """
        stored: list[Message] = []
        parent = turn
        for call in calls:
            if skip_all is not None:
                done = CallOutcome(ToolResult(skip_all, is_error=True), "skipped")
            else:
                done = self._answer(turn.conversation_id, call, registry, untrusted=untrusted)
            parent = self._conversations.add_message(
                turn.conversation_id,
                parent.id,
                "tool",
                done.result.text,
                tool_call_id=call.id,
                tool_name=call.name,
                tool_outcome=done.outcome,
                tool_images=[str(path) for path in done.result.images],
            )
            stored.append(parent)
            self._on_result(call, done.result)
        return stored

    def _answer(
        self, conversation_id: int, call: ToolCall, registry: ToolRegistry, *, untrusted: bool
    ) -> CallOutcome:
        if self._control.stopped:
            return CallOutcome(ToolResult(STOPPED, is_error=True), "skipped")
        if call.error:
            return CallOutcome(ToolResult(call.error, is_error=True), "invalid")
        tool = registry.get(call.name)
        if tool is None:  # the registry's message lists the tools there are
            return CallOutcome(registry.run(call), "invalid")
        problem = argument_problem(tool.parameters, call.arguments or {})
        if problem:
            text = f"{problem} (calling {tool.name})"
            return CallOutcome(ToolResult(text, is_error=True), "invalid")
        if self._policy.needs_asking(conversation_id, tool, untrusted=untrusted):
            request = self._policy.request(conversation_id, call, tool, untrusted=untrusted)
            decision = self._ask(request)
            if self._control.stopped:
                return CallOutcome(ToolResult(STOPPED, is_error=True), "skipped")
            if not decision.allows:
                return CallOutcome(ToolResult(DECLINED, is_error=True), "declined")
            self._policy.remember(conversation_id, tool.name, decision)
        result = registry.run(call)
        return CallOutcome(result, "error" if result.is_error else "ok")

    def _ask(self, request: ApprovalRequest) -> Decision:
        try:
            decision = self._approve(request)
        except Exception:  # whoever asks failed: nothing runs without a yes
            log.exception("asking for approval failed")
            return Decision.DENY
        return decision if isinstance(decision, Decision) else Decision.DENY


class _GrammarView(Tool):
    """A tool as the call grammar sees it: its name and a schema llama.cpp can take."""

    def __init__(self, tool: Tool) -> None:
        self.name = tool.name
        self.description = tool.description
        self.parameters = _bounded(tool.parameters)

    def run(self, arguments: Mapping[str, Any]) -> ToolResult:  # never run
        raise NotImplementedError


def grammar_tools(tools: Iterable[Tool]) -> list[Tool]:
    """The tools with every schema limit too long for a grammar left out."""
    return [_GrammarView(tool) for tool in tools]


def _bounded(schema: Any) -> Any:
    if isinstance(schema, Mapping):
        return {
            key: _bounded(value)
            for key, value in schema.items()
            if not (
                key in ("maxLength", "maxItems", "maxProperties")
                and isinstance(value, int)
                and value > _GRAMMAR_MAX_REPEAT
            )
        }
    if isinstance(schema, list):
        return [_bounded(item) for item in schema]
    return schema
