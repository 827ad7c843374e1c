"""``hearth mcp list|add|rm`` run as real programs, with a private HEARTH_HOME: servers
added three ways (a command, a URL, a pasted config), listed with their tools (the
test server written with the official SDK is started for it), and removed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SERVER = Path(__file__).parents[2] / "support" / "mcp_test_server.py"


def hearth(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.launcher", "mcp", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HEARTH_HOME": str(home)},
    )


def config_of(home: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((home / "config" / "mcp.json").read_text(encoding="utf-8"))


def test_add_list_with_tools_and_remove(hearth_home: Path) -> None:
    empty = hearth(hearth_home, "list")
    assert empty.returncode == 0
    assert "No MCP servers" in empty.stdout

    added = hearth(
        hearth_home, "add", "demo", "--env", "GREETING=hi", "--", sys.executable, str(SERVER)
    )
    assert added.returncode == 0, added.stderr
    assert "Added demo (stdio:" in added.stdout
    web = hearth(
        hearth_home, "add", "web", "--url", "http://127.0.0.1:9/mcp", "--header", "Auth=key"
    )
    assert web.returncode == 0, web.stderr
    assert config_of(hearth_home)["mcpServers"] == {
        "demo": {"command": sys.executable, "args": [str(SERVER)], "env": {"GREETING": "hi"}},
        "web": {"url": "http://127.0.0.1:9/mcp", "headers": {"Auth": "key"}},
    }

    listed = hearth(hearth_home, "list")
    assert listed.returncode == 0
    assert "demo" in listed.stdout and "stdio" in listed.stdout
    assert "http://127.0.0.1:9/mcp" in listed.stdout
    assert "GREETING" not in listed.stdout and "key" not in listed.stdout

    with_tools = hearth(hearth_home, "list", "--tools")
    assert "demo__add" in with_tools.stdout
    assert "Adds two whole numbers." in with_tools.stdout
    assert "web (http: http://127.0.0.1:9/mcp)" in with_tools.stdout
    assert "not reachable: the MCP server 'web' could not start" in with_tools.stdout
    assert with_tools.returncode == 1  # one server could not be reached
    assert "hearth: could not list the tools of web" in with_tools.stderr

    removed = hearth(hearth_home, "rm", "web")
    assert removed.returncode == 0
    assert "Removed web" in removed.stdout
    assert list(config_of(hearth_home)["mcpServers"]) == ["demo"]
    assert hearth(hearth_home, "list", "--tools").returncode == 0


def test_a_config_pasted_from_another_app_is_added(hearth_home: Path) -> None:
    pasted = json.dumps(
        {
            "mcpServers": {
                "files": {"command": "npx", "args": ["-y", "some-files-server", "/tmp"]},
                "remote": {"type": "http", "url": "https://example.com/mcp"},
            }
        }
    )
    added = hearth(hearth_home, "add", "--json", "-", stdin=pasted)
    assert added.returncode == 0, added.stderr
    assert "Added files (stdio: npx -y some-files-server /tmp)" in added.stdout
    assert "Added remote (http: https://example.com/mcp)" in added.stdout
    again = hearth(hearth_home, "add", "--json", pasted)
    assert again.returncode == 1
    assert "already a server named 'files', 'remote'" in again.stderr
    assert hearth(hearth_home, "add", "--json", pasted, "--replace").returncode == 0


def test_mistakes_are_one_clear_line(hearth_home: Path) -> None:
    cases = [
        (("rm", "nothing"), "there is no MCP server named 'nothing'"),
        (("add", "x"), "give the command that runs the server"),
        (("add", "x", "--url", "http://h/mcp", "extra"), "give a command or --url, not both"),
        (("add", "--json", "{not json"), "the pasted config is not valid JSON"),
        (("add", "x", "--env", "NOVALUE", "--", "cmd"), "--env must be NAME=VALUE"),
    ]
    for args, message in cases:
        done = hearth(hearth_home, *args)
        assert done.returncode == 1, args
        assert done.stderr.startswith("hearth: "), done.stderr
        assert message in done.stderr
        assert "Traceback" not in done.stderr

    config = hearth_home / "config" / "mcp.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("{broken", encoding="utf-8")
    broken = hearth(hearth_home, "list")
    assert broken.returncode == 1
    assert "is not valid JSON (line 1" in broken.stderr
