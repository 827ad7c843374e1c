"""Tool calls on the terminal: the approval prompt, and the lines that show each call.

Before a call that needs the user's say, stderr shows the tool, its server, and its
arguments (Python code as code), then asks: Allow [o]nce, for this [c]hat, or [d]eny
(Enter denies). Ctrl+C at the prompt denies and stops the reply. When stdin is not a
terminal nobody can answer, so the call is declined with one line saying why; tools
that need no say (the calculator, the clock) run all the same.

What the model and the tools wrote is untrusted: control characters (an escape
sequence could rewrite the terminal) are shown as ``\\x1b``-style escapes.
"""

from __future__ import annotations

import json
import re
import signal
import sys
from collections.abc import Callable

from app.engine.tool_calls import ToolCall
from app.tools.approval import ApprovalRequest, Decision
from app.tools.base import ToolResult

SHOWN_RESULT_CHARACTERS = 400
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANSWERS = {
    "o": Decision.ALLOW_ONCE,
    "once": Decision.ALLOW_ONCE,
    "y": Decision.ALLOW_ONCE,
    "yes": Decision.ALLOW_ONCE,
    "c": Decision.ALLOW_FOR_CHAT,
    "chat": Decision.ALLOW_FOR_CHAT,
    "d": Decision.DENY,
    "deny": Decision.DENY,
    "n": Decision.DENY,
    "no": Decision.DENY,
    "": Decision.DENY,
}


def safe(text: str) -> str:
    """text with control characters (but line breaks and tabs) made visible."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match[0]):02x}", text)


def describe_request(request: ApprovalRequest) -> str:
    """What the prompt shows about a call, before the question."""
    where = f"the MCP server {request.server}" if request.server else "Hearth's own tool"
    lines = [f"The model wants to use {request.tool} ({where})."]
    if request.warning:
        lines.append(f"Careful: {request.warning}")
    if request.code is not None:
        lines.append("Code to run (in the sandbox):")
        lines += [f"    {line}" for line in safe(request.code).splitlines() or [""]]
    else:
        lines.append("Arguments:")
        lines += [f"    {line}" for line in safe(request.arguments_text).splitlines()]
    return "\n".join(lines)


def terminal_approver(stop: Callable[[], None]) -> Callable[[ApprovalRequest], Decision]:
    """Asks on the terminal; ``stop`` stops the reply (Ctrl+C at the prompt)."""

    def approve(request: ApprovalRequest) -> Decision:
        if not sys.stdin.isatty():
            print(
                f"hearth: {request.tool} needs your approval, but the input is not a"
                " terminal, so the call was declined (run hearth chat in a terminal to"
                " approve tool calls)",
                file=sys.stderr,
                flush=True,
            )
            return Decision.DENY
        print(describe_request(request), file=sys.stderr, flush=True)
        return _ask(stop)

    return approve


def _ask(stop: Callable[[], None]) -> Decision:
    # The reply's Ctrl+C handler only stops the reply; at the prompt Ctrl+C must also
    # end the wait for an answer.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        while True:
            print("Allow? [o]nce, for this [c]hat, [d]eny: ", end="", file=sys.stderr, flush=True)
            line = sys.stdin.readline()
            if not line:  # end of input
                print(file=sys.stderr)
                return Decision.DENY
            decision = _ANSWERS.get(line.strip().lower())
            if decision is not None:
                return decision
    except KeyboardInterrupt:
        print(file=sys.stderr)
        stop()
        return Decision.DENY
    finally:
        signal.signal(signal.SIGINT, previous)


def call_line(call: ToolCall) -> str:
    """One line saying the model called a tool."""
    if not call.ok:
        return f"[tool call could not be read: {safe(call.error or '')}]"
    arguments = json.dumps(call.arguments or {}, ensure_ascii=False)
    return f"[calling {call.name} {safe(arguments)}]"


def result_line(call: ToolCall, result: ToolResult) -> str:
    """The call's result, cut to a few hundred characters."""
    text = result.text.strip()
    if len(text) > SHOWN_RESULT_CHARACTERS:
        text = text[:SHOWN_RESULT_CHARACTERS] + " [...]"
    shown = f"[{call.name or 'tool'} -> {safe(text)}]"
    for path in result.images:
        shown += f"\n[picture saved: {safe(str(path))}]"
    return shown
