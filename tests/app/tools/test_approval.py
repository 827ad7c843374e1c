"""The approval rules: harmless tools run, the rest ask; "allow for this chat" holds for
that tool in that chat, but never for a call proposed after untrusted content."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.engine.tool_calls import ToolCall
from app.tools.approval import ApprovalPolicy, Decision
from app.tools.base import Tool, ToolResult
from app.tools.builtin import builtin_tools
from app.tools.python_sandbox import PythonTool


class Shell(Tool):
    name = "shell"
    description = "Runs a command."

    def __init__(self) -> None:
        self.parameters = {"type": "object", "properties": {"command": {"type": "string"}}}

    def run(self, arguments: Mapping[str, Any]) -> ToolResult:
        raise AssertionError("never run here")


def test_the_calculator_and_the_clock_never_ask_even_after_untrusted_content():
    policy = ApprovalPolicy()
    for tool in builtin_tools():
        assert not policy.needs_asking(1, tool, untrusted=False)
        assert not policy.needs_asking(1, tool, untrusted=True)


def test_allow_for_this_chat_holds_for_that_tool_in_that_chat_only():
    policy = ApprovalPolicy()
    shell = Shell()
    assert policy.needs_asking(1, shell, untrusted=False)
    policy.remember(1, "shell", Decision.ALLOW_ONCE)
    assert policy.needs_asking(1, shell, untrusted=False)  # once is once
    policy.remember(1, "shell", Decision.ALLOW_FOR_CHAT)
    assert not policy.needs_asking(1, shell, untrusted=False)
    assert policy.needs_asking(2, shell, untrusted=False)  # another chat asks
    assert policy.needs_asking(1, PythonTool(), untrusted=False)  # another tool asks
    # After untrusted content: asked again, and the dialog says why.
    assert policy.needs_asking(1, shell, untrusted=True)
    request = policy.request(1, ToolCall("shell", {"command": "rm x"}, "{}"), shell, untrusted=True)
    assert request.remembered and "does not apply" in request.warning
    policy.forget(1)
    assert policy.needs_asking(1, shell, untrusted=False)


def test_the_request_shows_python_code_as_code_and_the_server_of_an_mcp_tool():
    policy = ApprovalPolicy()
    code = "import os\nprint(os.listdir())"
    python = policy.request(
        5, ToolCall("python", {"code": code}, "{}"), PythonTool(), untrusted=False
    )
    assert (python.tool, python.server, python.code) == ("python", None, code)
    assert python.warning == ""
    shell = Shell()
    shell.server = "box"  # type: ignore[attr-defined]  # as an MCP tool names its server
    request = policy.request(5, ToolCall("shell", {"command": "ls"}, "{}"), shell, untrusted=False)
    assert (request.server, request.code) == ("box", None)
    assert request.arguments_text == '{\n  "command": "ls"\n}'
