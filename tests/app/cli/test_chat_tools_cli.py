"""``hearth chat --tools``: calls shown on stderr, the calculator run by itself, and every
other call asked about on the terminal (declined when stdin is no terminal), run as a
real ``hearth`` process with the starter model."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.cli.main import main
from app.hearth import Hearth
from app.paths import hearth_paths
from app.store.records import Message
from app.tools.mcp.config import config_path
from tests.support.model_settings import save_settings
from tests.support.terminal import read_all

HEARTH = Path(sys.executable).parent / "hearth"
MCP_SERVER = Path(__file__).parents[2] / "support" / "mcp_test_server.py"


@pytest.fixture
def home(hearth_home: Path, starter_model: Path) -> Path:
    """A Hearth home where the starter model answers the same way every time."""
    save_settings(starter_model, temperature=0.0)
    return hearth_home


def hearth_chat(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs ``hearth chat`` with no terminal: stdin empty, output captured."""
    env = {**os.environ, "HEARTH_HOME": str(home)}
    return subprocess.run(
        [str(HEARTH), "chat", "--max-tokens", "60", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )


def on_a_terminal(home: Path, answer: str, *args: str) -> tuple[int, str, str]:
    """Runs ``hearth chat`` with a terminal for stdin and stderr, typing ``answer``."""
    leader, follower = pty.openpty()
    os.write(leader, answer.encode())
    shown: list[bytes] = []
    reader = threading.Thread(target=lambda: shown.append(read_all(leader)))
    reader.start()
    env = {**os.environ, "HEARTH_HOME": str(home), "NO_COLOR": "1"}
    try:
        child = subprocess.run(
            [str(HEARTH), "chat", "--max-tokens", "60", *args],
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=follower,
            env=env,
            timeout=240,
        )
    finally:
        os.close(follower)
        reader.join(timeout=30)
    return child.returncode, child.stdout.decode(), b"".join(shown).decode(errors="replace")


def stored_path() -> list[Message]:
    hearth = Hearth.open()
    try:
        newest = max(hearth.conversations.list_conversations(), key=lambda c: c.id)
        return hearth.conversations.active_path(newest.id)
    finally:
        hearth.close()


def tool_message(path: list[Message]) -> Message:
    return next(message for message in path if message.role == "tool")


def test_a_forced_calculator_call_runs_without_asking(home: Path):
    done = hearth_chat(
        home,
        "--tools",
        "calculator",
        "--tool-choice",
        "required",
        "--system",
        "Use the calculator for arithmetic.",
        "What is 37*41?",
    )
    assert done.returncode == 0, done.stderr
    assert '[calling calculator {"expression": "37*41"}]' in done.stderr
    assert "[calculator -> 1517]" in done.stderr
    assert "approval" not in done.stderr
    path = stored_path()
    assert [m.role for m in path] == ["user", "assistant", "tool", "assistant"]
    assert tool_message(path).content == "1517"
    assert done.stdout.strip() == path[-1].content.strip()


def test_python_is_declined_when_stdin_is_not_a_terminal(home: Path):
    done = hearth_chat(
        home, "--tools", "python", "--tool-choice", "required", "Run this Python code: print(6*7)"
    )
    assert done.returncode == 0, done.stderr
    assert (
        "hearth: python needs your approval, but the input is not a terminal,"
        " so the call was declined" in done.stderr
    )
    assert "[python -> The user declined this call" in done.stderr
    assert tool_message(stored_path()).tool_outcome == "declined"


def test_python_asks_on_the_terminal_showing_the_code(home: Path):
    code, _out, terminal = on_a_terminal(
        home,
        "o\n",
        "--tools",
        "python",
        "--tool-choice",
        "required",
        "Run this Python code: print(6*7)",
    )
    assert code == 0, terminal
    assert "The model wants to use python (Hearth's own tool)." in terminal
    assert "Code to run (in the sandbox):\r\n    print(6*7)" in terminal
    assert "Allow? [o]nce, for this [c]hat, [d]eny:" in terminal
    assert "[python -> 42]" in terminal
    assert terminal.index("Allow?") < terminal.index("[python -> 42]")
    assert tool_message(stored_path()).content == "42"


def test_an_mcp_servers_tool_names_its_server_when_it_asks(home: Path):
    config = config_path(hearth_paths())
    config.parent.mkdir(parents=True, exist_ok=True)
    entry = {"command": sys.executable, "args": [str(MCP_SERVER), "stdio"]}
    entry["env"] = {"GREETING": "hi from demo"}  # type: ignore[assignment]
    config.write_text(json.dumps({"mcpServers": {"demo": entry}}), encoding="utf-8")
    code, _out, terminal = on_a_terminal(
        home, "d\n", "--tools", "demo__whoami", "--tool-choice", "required", "Who are you?"
    )
    assert code == 0, terminal
    assert "The model wants to use demo__whoami (the MCP server demo)." in terminal
    assert "[demo__whoami -> The user declined this call" in terminal
    assert tool_message(stored_path()).tool_outcome == "declined"


def test_an_unknown_tool_is_refused_before_loading(hearth_home: Path, capsys):
    code = main(["chat", "--tools", "calculator,teleport", "Hello"])
    _out, err = capsys.readouterr()
    assert code == 1
    assert "no tool or MCP server named teleport" in err
    assert "calculator, clock, python" in err
    assert "Loading" not in err
