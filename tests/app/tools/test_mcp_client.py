"""The MCP client against a real server written with the official SDK
(tests/support/mcp_test_server.py), over stdio and over Streamable HTTP on 127.0.0.1:
tools listed and called, and a server that crashes, hangs or talks nonsense gives a
clear message within its timeout, never a hang."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.engine.tool_calls import ToolCall
from app.paths import hearth_paths
from app.tools.mcp.config import McpServerConfig, config_path, load_servers, save_server
from app.tools.mcp.connection import McpServerError
from app.tools.mcp.manager import McpManager
from app.tools.mcp.tool import McpTool, tool_name
from app.tools.registry import ToolRegistry

SERVER = Path(__file__).parents[2] / "support" / "mcp_test_server.py"
SLACK_SECONDS = 10.0


def stdio_entry(mode: str = "stdio", **env: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"command": sys.executable, "args": [str(SERVER), mode]}
    if env:
        entry["env"] = env
    return entry


def write_config(path: Path, servers: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_config(
        tmp_path / "mcp.json", {"demo": stdio_entry(GREETING="hello from the config")}
    )


@pytest.fixture
def manager(config_file: Path, tmp_path: Path) -> Iterator[McpManager]:
    manager = McpManager(
        config_file,
        logs=tmp_path / "logs",
        media=tmp_path / "media",
        start_timeout=30,
        call_timeout=20,
    )
    try:
        yield manager
    finally:
        manager.close()


def by_name(tools: list[McpTool]) -> dict[str, McpTool]:
    return {tool.name: tool for tool in tools}


def test_a_stdio_servers_tools_are_listed_and_called(manager: McpManager) -> None:
    tools = by_name(manager.tools("demo"))
    assert {"demo__add", "demo__shout", "demo__crash", "demo__hang"} <= set(tools)
    add = tools["demo__add"]
    assert add.needs_approval is True
    assert add.server == "demo"
    assert add.remote_name == "add"
    assert "Adds two whole numbers." in add.description
    assert set(add.parameters["properties"]) == {"a", "b"}
    assert add.parameters["type"] == "object"

    result = add.run({"a": 2, "b": 40})
    assert (result.text, result.is_error) == ("42", False)
    assert tools["demo__shout"].run({"text": "quiet"}).text == "QUIET"


def test_calls_go_through_the_registry_like_any_tool(manager: McpManager) -> None:
    registry = ToolRegistry(manager.tools("demo"))
    result = registry.run(ToolCall("demo__add", {"a": 1, "b": 2}, raw=""))
    assert result.text == "3"
    missing = registry.run(ToolCall("demo__add", {"a": 1}, raw=""))
    assert missing.is_error
    assert "b" in missing.text


def test_the_configured_environment_reaches_the_server(manager: McpManager) -> None:
    assert "greeting hello from the config" in manager.call("demo", "whoami", {}).text


def test_a_tool_error_comes_back_as_an_error_result(manager: McpManager) -> None:
    result = manager.call("demo", "refuse", {"reason": "not today"})
    assert result.is_error
    assert "refuse" in result.text


def test_an_image_comes_back_as_a_local_file(manager: McpManager, tmp_path: Path) -> None:
    result = manager.call("demo", "dot", {})
    assert not result.is_error, result.text
    assert len(result.images) == 1
    image = result.images[0]
    assert image.parent == tmp_path / "media"
    assert image.read_bytes().startswith(b"\x89PNG")
    assert image.name in result.text


def pid_of(manager: McpManager, server: str = "demo") -> int:
    return int(manager.call(server, "whoami", {}).text.split()[1].rstrip(","))


def test_a_server_that_crashes_mid_call_gives_an_error_and_starts_again(
    manager: McpManager,
) -> None:
    first = pid_of(manager)
    started = time.monotonic()
    result = manager.call("demo", "crash", {})
    assert time.monotonic() - started < SLACK_SECONDS
    assert result.is_error
    assert "stopped" in result.text
    assert "about to crash on purpose" in result.text  # its standard error's last words
    assert manager.running() == []
    assert pid_of(manager) != first  # started afresh on the next call


def test_a_call_that_hangs_ends_at_the_timeout(manager: McpManager) -> None:
    started = time.monotonic()
    result = manager.call("demo", "hang", {}, timeout=2)
    assert time.monotonic() - started < 2 + SLACK_SECONDS
    assert result.is_error
    assert "did not answer within 2 s" in result.text
    assert manager.call("demo", "add", {"a": 1, "b": 1}).text == "2"  # still serving


def test_a_server_that_talks_nonsense_fails_to_start_within_the_timeout(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path / "mcp.json", {"junk": stdio_entry("garbage")})
    manager = McpManager(config, logs=tmp_path / "logs", start_timeout=3)
    try:
        started = time.monotonic()
        with pytest.raises(McpServerError, match="'junk' did not answer within 3 s"):
            manager.tools("junk")
        assert time.monotonic() - started < 3 + SLACK_SECONDS
        result = manager.call("junk", "anything", {})
        assert result.is_error
        assert "did not answer" in result.text
    finally:
        manager.close()


def test_a_server_that_fails_at_start_says_why(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "mcp.json",
        {
            "broken": stdio_entry("fail-at-start"),
            "absent": {"command": "hearth-no-such-mcp-server", "args": []},
        },
    )
    manager = McpManager(config, logs=tmp_path / "logs", start_timeout=20)
    try:
        with pytest.raises(McpServerError) as broken:
            manager.tools("broken")
        assert "could not start" in str(broken.value)
        assert "the database file is missing" in str(broken.value)
        with pytest.raises(McpServerError, match="hearth-no-such-mcp-server was not found"):
            manager.tools("absent")
        with pytest.raises(McpServerError, match="no MCP server named 'nowhere'"):
            manager.tools("nowhere")
        tools, problems = manager.all_tools()
        assert tools == []
        assert set(problems) == {"broken", "absent"}
    finally:
        manager.close()


def test_a_changed_configuration_restarts_the_server(
    manager: McpManager, config_file: Path
) -> None:
    assert "greeting hello from the config" in manager.call("demo", "whoami", {}).text
    write_config(config_file, {"demo": stdio_entry(GREETING="changed")})
    assert "greeting changed" in manager.call("demo", "whoami", {}).text


def test_closing_stops_the_server_process(manager: McpManager) -> None:
    pid = pid_of(manager)
    manager.close()
    status = Path(f"/proc/{pid}/status")
    assert not status.exists() or "State:\tZ" in status.read_text()
    result = manager.call("demo", "add", {"a": 1, "b": 1})
    assert result.is_error
    assert "shut down" in result.text


def test_switched_off_servers_are_not_started(tmp_path: Path) -> None:
    config = write_config(tmp_path / "mcp.json", {"off": {**stdio_entry(), "disabled": True}})
    manager = McpManager(config)
    try:
        assert manager.all_tools() == ([], {})
        with pytest.raises(McpServerError, match="switched off"):
            manager.tools("off")
    finally:
        manager.close()


@pytest.fixture
def http_server() -> Iterator[str]:
    """The test server over Streamable HTTP on 127.0.0.1; its URL."""
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "http"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(process.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(60)
        assert line and line[0].startswith("PORT "), (line, process.poll())
        yield f"http://127.0.0.1:{int(line[0].split()[1])}/mcp"
    finally:
        process.kill()
        process.communicate(timeout=30)


def test_a_streamable_http_servers_tools_are_listed_and_called(
    http_server: str, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "mcp.json",
        {"web": {"url": http_server, "headers": {"X-Test": "yes"}}},
    )
    manager = McpManager(config, call_timeout=20)
    try:
        tools = by_name(manager.tools("web"))
        assert {"web__add", "web__shout"} <= set(tools)
        assert tools["web__add"].run({"a": 20, "b": 22}).text == "42"
        assert tools["web__shout"].run({"text": "over http"}).text == "OVER HTTP"
        started = time.monotonic()
        hung = manager.call("web", "hang", {}, timeout=2)
        assert time.monotonic() - started < 2 + SLACK_SECONDS
        assert hung.is_error
        assert "did not answer within 2 s" in hung.text
    finally:
        manager.close()


def test_an_http_server_that_is_not_there_gives_a_message(tmp_path: Path) -> None:
    config = write_config(tmp_path / "mcp.json", {"gone": {"url": "http://127.0.0.1:9/mcp"}})
    manager = McpManager(config, start_timeout=20)
    try:
        started = time.monotonic()
        with pytest.raises(McpServerError, match="'gone' could not start: cannot connect"):
            manager.tools("gone")
        assert time.monotonic() - started < SLACK_SECONDS
    finally:
        manager.close()


def test_a_config_pasted_from_another_app_works(tmp_path: Path) -> None:
    """Claude Desktop's format, with the keys other apps add, pasted as it is."""
    pasted = f"""{{
      "mcpServers": {{
        "pasted server": {{
          "command": {json.dumps(sys.executable)},
          "args": [{json.dumps(str(SERVER))}],
          "env": {{"GREETING": "pasted", "PORT": 8080}}
        }},
        "remote": {{"type": "streamable-http", "url": "https://example.com/mcp"}},
        "windsurf-style": {{"serverUrl": "https://example.com/other/mcp"}},
        "cline-style": {{"command": "npx", "args": ["-y", "x"], "disabled": true,
                         "autoApprove": []}}
      }}
    }}"""
    config = tmp_path / "mcp.json"
    config.write_text(pasted, encoding="utf-8")
    servers = {server.name: server for server in load_servers(config)}
    assert servers["pasted server"].env == {"GREETING": "pasted", "PORT": "8080"}
    assert servers["remote"].transport == "http"
    assert servers["windsurf-style"].url == "https://example.com/other/mcp"
    assert servers["cline-style"].disabled
    manager = McpManager(config)
    try:
        tools = by_name(manager.tools("pasted server"))
        assert "pasted_server__whoami" in tools
        assert "greeting pasted" in tools["pasted_server__whoami"].run({}).text
    finally:
        manager.close()


def test_tool_names_never_clash_and_always_fit() -> None:
    assert tool_name("files", "read") != tool_name("other", "read")
    long = tool_name("a-server-with-a-rather-long-name", "a_tool_with_an_even_longer_name_x")
    also = tool_name("a-server-with-a-rather-long-name", "a_tool_with_an_even_longer_name_y")
    assert len(long) <= 64
    assert long != also
    registry = ToolRegistry()
    for name in (long, also, tool_name("my server.v2", "do/this")):
        registry.add(_Named(name))
    assert tool_name("my server.v2", "do/this") == "my_server_v2__do_this"


class _Named(McpTool):
    def __init__(self, name: str) -> None:  # only the name matters to the registry
        self.name = name
        self.description = ""
        self.parameters = {"type": "object", "properties": {}}


def test_hearths_manager_reads_the_config_folder(hearth_home: Path) -> None:
    paths = hearth_paths()
    save_server(
        config_path(paths),
        McpServerConfig(name="saved", command=sys.executable, args=(str(SERVER),)),
    )
    manager = McpManager.for_paths(paths)
    try:
        assert manager.config_file == hearth_home / "config" / "mcp.json"
        assert [server.name for server in manager.servers()] == ["saved"]
        assert manager.running() == []  # nothing starts before it is used
        assert manager.call("saved", "add", {"a": 5, "b": 5}).text == "10"
        assert manager.running() == ["saved"]
    finally:
        manager.close()


def test_callers_on_several_threads_share_one_server(manager: McpManager) -> None:
    answers: list[str] = []
    callers = [
        threading.Thread(target=lambda: answers.append(manager.call("demo", "whoami", {}).text))
        for _ in range(4)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(60)
    assert len(answers) == 4
    assert len(set(answers)) == 1, answers  # the same process answered every call
    assert manager.running() == ["demo"]
