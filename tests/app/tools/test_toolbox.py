"""Tools by name: Hearth's own, the Python tool with a scratch folder per chat, a whole
MCP server or one of its tools (a real server written with the SDK), and names that
are nothing at all."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.tools.mcp.manager import McpManager
from app.tools.toolbox import ToolBox, parse_names

SERVER = Path(__file__).parents[2] / "support" / "mcp_test_server.py"


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[McpManager]:
    config = tmp_path / "mcp.json"
    entry = {"command": sys.executable, "args": [str(SERVER), "stdio"]}
    off = {**entry, "disabled": True}
    config.write_text(json.dumps({"mcpServers": {"demo": entry, "off": off}}), encoding="utf-8")
    manager = McpManager(config, logs=tmp_path / "logs", start_timeout=30, call_timeout=20)
    try:
        yield manager
    finally:
        manager.close()


def test_names_are_read_from_a_comma_list():
    assert parse_names(" calculator, python ,,calculator") == ("calculator", "python")
    assert parse_names("") == ()
    assert parse_names(None) is None


def test_own_tools_and_a_whole_server_or_one_of_its_tools(manager: McpManager, tmp_path: Path):
    toolbox = ToolBox(lambda: manager, python_scratch=tmp_path / "python")
    assert toolbox.server_names() == ["demo"]  # a switched-off server is not offered
    assert toolbox.unknown(["calculator", "demo", "demo__add", "off", "teleport"]) == [
        "off",
        "teleport",
    ]
    whole = toolbox.tool_set(["calculator", "demo"], conversation_id=3)
    assert whole.problems == []
    assert {"calculator", "demo__add", "demo__whoami"} <= set(whole.registry.names)
    one = toolbox.tool_set(["demo__add"])
    assert one.registry.names == ["demo__add"]
    missing = toolbox.tool_set(["demo__nothing", "teleport"])
    assert not missing and len(missing.problems) == 2
    assert "has no tool named 'demo__nothing'" in missing.problems[0]
    assert "no tool or MCP server named 'teleport'" in missing.problems[1]


def test_each_chat_has_its_own_python_scratch_folder(tmp_path: Path):
    toolbox = ToolBox(python_scratch=tmp_path / "python")
    (python,) = toolbox.tool_set(["python"], conversation_id=7).registry
    assert python.scratch == tmp_path / "python" / "chat-7"  # type: ignore[attr-defined]
    assert toolbox.python_tool(8).scratch == tmp_path / "python" / "chat-8"
