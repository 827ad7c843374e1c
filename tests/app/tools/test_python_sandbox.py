"""The Python tool in its Linux confinement, with real processes: it prints and returns
output, keeps the code inside its time and memory limits, refuses the network and
every write outside its scratch folder, leaves no process behind, and hands back the
figures the code saves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.tools.base import ToolResult
from app.tools.python_sandbox import PythonTool
from app.tools.sandbox.base import Unconfined
from app.tools.sandbox.limits import SandboxLimits
from app.tools.sandbox.linux import LinuxConfinement

SLACK_SECONDS = 5.0


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


@pytest.fixture
def tool(scratch: Path) -> PythonTool:
    return PythonTool(scratch, limits=SandboxLimits(time_seconds=20))


def run(tool: PythonTool, code: str) -> ToolResult:
    return tool.run({"code": code})


def test_the_linux_confinement_is_available_here_and_says_what_it_is(tool: PythonTool) -> None:
    ready, description = tool.available()
    assert ready, description
    assert "network" in description
    assert "seccomp filter" in description
    assert "scratch folder the only writable place" in description
    assert tool.needs_approval is True


def test_prints_and_returns_the_output_and_the_last_value(tool: PythonTool) -> None:
    result = run(tool, "print('hello from the sandbox')\nx = 6\nx * 7")
    assert not result.is_error, result.text
    assert result.text == "hello from the sandbox\n42"


def test_an_exception_comes_back_as_an_error_naming_the_code_line(tool: PythonTool) -> None:
    result = run(tool, "a = 1\nb = a / 0\n")
    assert result.is_error
    assert "ZeroDivisionError" in result.text
    assert 'File "<code>", line 2' in result.text
    assert "b = a / 0" in result.text


def test_an_endless_loop_is_killed_at_the_time_limit(scratch: Path) -> None:
    tool = PythonTool(scratch, limits=SandboxLimits(time_seconds=2))
    started = time.monotonic()
    result = run(tool, "print('looping', flush=True)\nwhile True:\n    pass\n")
    elapsed = time.monotonic() - started
    assert elapsed < 2 + SLACK_SECONDS
    assert result.is_error
    assert "looping" in result.text
    assert "time limit of 2 s" in result.text


def test_a_sleeping_program_is_killed_at_the_time_limit_too(scratch: Path) -> None:
    tool = PythonTool(scratch, limits=SandboxLimits(time_seconds=2))
    started = time.monotonic()
    result = run(tool, "import time\ntime.sleep(600)\n")
    assert time.monotonic() - started < 2 + SLACK_SECONDS
    assert "time limit" in result.text


def test_allocating_two_gigabytes_fails_cleanly_at_the_memory_limit(scratch: Path) -> None:
    tool = PythonTool(scratch, limits=SandboxLimits(memory_bytes=512 << 20))
    result = run(tool, "data = bytearray(2 * 1024**3)\nprint('allocated')\n")
    assert result.is_error
    assert "MemoryError" in result.text
    assert "allocated" not in result.text


def test_a_flood_of_output_is_cut_not_kept(scratch: Path) -> None:
    tool = PythonTool(scratch, limits=SandboxLimits(time_seconds=3, output_bytes=1000))
    result = run(tool, "while True:\n    print('x' * 1000)\n")
    assert result.is_error
    assert result.text.count("x") <= 1000
    assert "output cut" in result.text


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A real server socket on 127.0.0.1 that the sandbox must not reach."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.5)
    try:
        yield server
    finally:
        server.close()


def connect_code(port: int) -> str:
    return (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
        "    print('CONNECTED')\n"
        "except OSError as error:\n"
        "    print('REFUSED', error)\n"
    )


def test_the_test_listener_is_reachable_without_the_sandbox(listener: socket.socket) -> None:
    """The control: the same code, unconfined, does connect, so the refusals below
    are the sandbox's doing."""
    port = listener.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-c", connect_code(port)], capture_output=True, text=True, timeout=30
    )
    assert "CONNECTED" in done.stdout
    listener.accept()[0].close()


@pytest.mark.parametrize("seccomp", [True, False], ids=["all-layers", "namespaces-alone"])
def test_the_network_is_refused(scratch: Path, listener: socket.socket, seccomp: bool) -> None:
    tool = PythonTool(scratch, confinement=LinuxConfinement(seccomp=seccomp))
    port = listener.getsockname()[1]
    result = run(tool, connect_code(port))
    assert "REFUSED" in result.text
    assert "CONNECTED" not in result.text
    with pytest.raises(socket.timeout):
        listener.accept()


def test_the_network_namespace_has_no_interface_up(scratch: Path) -> None:
    tool = PythonTool(scratch, confinement=LinuxConfinement(seccomp=False))
    result = run(tool, "print(open('/proc/net/dev').read())")
    lines = [line.split(":")[0].strip() for line in result.text.splitlines() if ":" in line]
    assert lines == ["lo"]


def test_writes_outside_the_scratch_folder_fail_and_inside_work(
    tool: PythonTool, scratch: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    in_home = Path.home() / f"hearth-sandbox-escape-{uuid.uuid4().hex}.txt"
    code = (
        "import pathlib\n"
        f"for target in [{str(outside)!r}, {str(in_home)!r}, '/tmp/escape.txt',"
        " '/usr/escape.txt', 'inside.txt', 'sub/inside.txt']:\n"
        "    try:\n"
        "        path = pathlib.Path(target)\n"
        "        path.parent.mkdir(parents=True, exist_ok=True)\n"
        "        path.write_text('written')\n"
        "        print('WROTE', target)\n"
        "    except OSError as error:\n"
        "        print('REFUSED', target, type(error).__name__)\n"
    )
    try:
        result = run(tool, code)
    finally:
        written_home = in_home.exists()
        in_home.unlink(missing_ok=True)
    assert f"REFUSED {outside}" in result.text
    assert f"REFUSED {in_home}" in result.text
    assert "REFUSED /tmp/escape.txt" in result.text
    assert "REFUSED /usr/escape.txt" in result.text
    assert "WROTE inside.txt" in result.text
    assert not outside.exists()
    assert not written_home
    assert (scratch / "inside.txt").read_text() == "written"
    assert (scratch / "sub" / "inside.txt").read_text() == "written"


def test_the_users_files_are_not_even_visible(tool: PythonTool, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the user's secret")
    code = (
        f"import os\ntry:\n    print(open({str(secret)!r}).read())\n"
        "except OSError as error:\n    print('HIDDEN', type(error).__name__)\n"
        f"print('home exists:', os.path.exists({str(Path.home() / '.bashrc')!r}))\n"
    )
    result = run(tool, code)
    assert "HIDDEN FileNotFoundError" in result.text
    assert "the user's secret" not in result.text
    assert "home exists: False" in result.text


def test_the_code_has_no_privilege_and_cannot_make_namespaces_or_mounts(
    tool: PythonTool,
) -> None:
    code = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "status = open('/proc/self/status').read()\n"
        "print('caps', status.split('CapEff:')[1].split()[0])\n"
        "print('unshare', libc.unshare(0x10000000), ctypes.get_errno())\n"
        "print('mount', libc.mount(b'none', b'/', None, 32, None), ctypes.get_errno())\n"
    )
    result = run(tool, code)
    assert "caps 0000000000000000" in result.text
    assert "unshare -1 1" in result.text  # EPERM
    assert "mount -1 1" in result.text


def processes_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_no_process_outlives_the_run(tool: PythonTool) -> None:
    token = f"hearth-leftover-{uuid.uuid4().hex}"
    code = (
        "import os, subprocess, sys\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)',"
        f" {token!r}])\n"
        "print('detached a child')\n"
    )
    result = run(tool, code)
    assert "detached a child" in result.text
    assert processes_with(token) == []


def test_a_saved_matplotlib_figure_comes_back_as_an_image(tool: PythonTool, scratch: Path) -> None:
    code = (
        "import matplotlib.pyplot as plt\n"
        "plt.plot([1, 2, 3], [1, 4, 9])\n"
        "plt.savefig('squares.png')\n"
        "print('saved')\n"
    )
    result = run(tool, code)
    assert not result.is_error, result.text
    assert result.images == (scratch.resolve() / "squares.png",)
    assert result.images[0].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "squares.png" in result.text

    again = run(tool, "print('no new figure')")
    assert again.images == ()


def test_an_image_link_out_of_the_scratch_folder_is_not_returned(
    tool: PythonTool, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "private.png"
    elsewhere.write_bytes(b"\x89PNG\r\n\x1a\nprivate")
    result = run(tool, f"import os\nos.symlink({str(elsewhere)!r}, 'looks-like.png')")
    assert not result.is_error, result.text
    assert result.images == ()


def test_without_confinement_the_tool_is_off_and_runs_nothing(scratch: Path) -> None:
    tool = PythonTool(scratch, confinement=Unconfined("user namespaces are switched off"))
    assert tool.available() == (False, "user namespaces are switched off")
    result = run(tool, "open('ran.txt', 'w').write('ran')")
    assert result.is_error
    assert "off: user namespaces are switched off" in result.text
    assert not (scratch / "ran.txt").exists()


def test_the_default_scratch_folder_is_made_on_first_use() -> None:
    tool = PythonTool()
    try:
        result = run(tool, "open('note.txt', 'w').write('kept')\nimport os\nos.getcwd()")
        assert str(tool.scratch.resolve()) in result.text
        assert (tool.scratch / "note.txt").read_text() == "kept"
        assert os.access(tool.scratch, os.W_OK)
    finally:
        import shutil

        shutil.rmtree(tool.scratch, ignore_errors=True)
