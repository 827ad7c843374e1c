"""One window per data folder: a second launch brings the first window forward and ends.

The server side runs here under pytest-qt with a real ``QLocalSocket`` client; the later
launches are real ``python -m ui.launcher`` processes on a private HEARTH_HOME.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from PySide6.QtNetwork import QLocalSocket
from PySide6.QtWidgets import QWidget

from app.store import ConversationStore, Database
from ui.single_instance import LOCK_NAME, WindowLock, server_name

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 60_000

_HOLD_LOCK = """
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from ui.single_instance import WindowLock
app = QCoreApplication(sys.argv[:1])
lock = WindowLock(Path(sys.argv[1]))
print("claimed" if lock.claim() else "refused", flush=True)
sys.stdin.readline()
"""


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HEARTH_HOME": str(home),
        "PYTHONPATH": str(REPO_ROOT),
        "QT_QPA_PLATFORM": "offscreen",
    }


def _launch(home: Path, *args: str, **options: object) -> subprocess.Popen[str]:
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-m", "ui.launcher", *args],
        cwd=REPO_ROOT,
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


def _connect(qtbot, data: Path) -> QLocalSocket:  # type: ignore[no-untyped-def]
    client = QLocalSocket()
    with qtbot.waitSignal(client.connected, timeout=TIMEOUT_MS):
        client.connectToServer(server_name(data))
    return client


def _read_line(qtbot, client: QLocalSocket) -> bytes:  # type: ignore[no-untyped-def]
    received = bytearray()

    def has_line() -> bool:
        received.extend(bytes(client.readAll().data()))
        return b"\n" in received

    qtbot.waitUntil(has_line, timeout=TIMEOUT_MS)
    return bytes(received)


def test_an_activate_request_brings_the_window_to_the_front(qtbot, tmp_path: Path) -> None:
    data = tmp_path / "data"
    lock = WindowLock(data)
    assert lock.claim()
    window = QWidget()
    qtbot.addWidget(window)
    window.showMinimized()
    assert window.isMinimized()
    lock.set_window(window)
    try:
        client = _connect(qtbot, data)
        with qtbot.waitSignal(lock.activate_requested, timeout=TIMEOUT_MS):
            client.write(b"activate\n")

        assert _read_line(qtbot, client) == b"ok\n"
        assert window.isVisible() and not window.isMinimized()
    finally:
        lock.release()


def test_a_request_before_the_window_exists_brings_it_forward_once_shown(
    qtbot, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    lock = WindowLock(data)
    assert lock.claim()  # as at start-up: the lock is taken before the window is built
    try:
        client = _connect(qtbot, data)
        with qtbot.waitSignal(lock.activate_requested, timeout=TIMEOUT_MS):
            client.write(b"activate\n")
        window = QWidget()
        qtbot.addWidget(window)
        window.showMinimized()

        lock.set_window(window)

        assert window.isVisible() and not window.isMinimized()
    finally:
        lock.release()


def test_anything_but_activate_is_ignored(qtbot, tmp_path: Path) -> None:
    data = tmp_path / "data"
    lock = WindowLock(data)
    assert lock.claim()
    try:
        client = _connect(qtbot, data)
        with (
            qtbot.assertNotEmitted(lock.activate_requested),
            qtbot.waitSignal(client.disconnected, timeout=TIMEOUT_MS),
        ):
            client.write(b"quit\n")
    finally:
        lock.release()


def test_one_window_per_data_folder(qtbot, tmp_path: Path) -> None:
    first = WindowLock(tmp_path / "one" / "data")
    other_folder = WindowLock(tmp_path / "two" / "data")
    assert first.claim()
    try:
        assert not WindowLock(tmp_path / "one" / "data").claim()
        assert other_folder.claim()  # another data folder has a window of its own
    finally:
        other_folder.release()
        first.release()
    again = WindowLock(tmp_path / "one" / "data")
    assert again.claim()  # the first window closed: the next launch opens one
    again.release()


def test_the_lock_of_a_killed_window_is_taken_over(qtbot, tmp_path: Path) -> None:
    data = tmp_path / "data"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(data)],
        cwd=REPO_ROOT,
        env=_env(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "claimed"
        assert not WindowLock(data).claim()
    finally:
        holder.kill()
        holder.communicate(timeout=60)

    lock = WindowLock(data)
    assert lock.claim()
    try:
        client = _connect(qtbot, data)  # listening, despite the dead window's socket
        with qtbot.waitSignal(lock.activate_requested, timeout=TIMEOUT_MS):
            client.write(b"activate\n")
    finally:
        lock.release()


def test_a_second_launch_hands_over_and_leaves_the_first_windows_undo(
    qtbot, hearth_home: Path
) -> None:
    data = hearth_home.resolve() / "data"
    # The first window has just deleted a chat; its Undo still offers it.
    with Database.open(data / "hearth.sqlite3") as db:
        store = ConversationStore(db)
        chat = store.create_conversation("Keep me", None)
        store.add_message(chat.id, None, "user", "Keep me")
        store.delete_conversation(chat.id)
    first = WindowLock(data)
    assert first.claim()
    try:
        with qtbot.waitSignal(first.activate_requested, timeout=TIMEOUT_MS):
            second = _launch(hearth_home)
        out, err = second.communicate(timeout=60)
    finally:
        first.release()

    assert second.returncode == 0, err
    assert out == f"Hearth is already open for {data}; brought its window to the front.\n"
    with Database.open(data / "hearth.sqlite3") as db:
        store = ConversationStore(db)
        assert [c.id for c in store.list_deleted_conversations()] == [chat.id]
        store.restore_conversation(chat.id)  # Undo still works
        assert [c.title for c in store.list_conversations()] == ["Keep me"]


def test_the_command_line_runs_beside_the_window(qtbot, hearth_home: Path) -> None:
    data = hearth_home.resolve() / "data"
    with Database.open(data / "hearth.sqlite3") as db:
        ConversationStore(db).create_conversation("Beside the window", None)
    first = WindowLock(data)
    assert first.claim()
    try:
        with qtbot.assertNotEmitted(first.activate_requested):
            cli = _launch(hearth_home, "conversations", "list")
            out, err = cli.communicate(timeout=60)
    finally:
        first.release()

    assert cli.returncode == 0, err
    assert "Beside the window" in out


def test_a_real_second_window_launch_brings_the_first_forward(qtbot, hearth_home: Path) -> None:
    data = hearth_home.resolve() / "data"
    first = _launch(hearth_home, start_new_session=True)  # its group: window and engine host
    try:
        qtbot.waitUntil((data / LOCK_NAME).exists, timeout=TIMEOUT_MS)

        second = _launch(hearth_home)
        out, err = second.communicate(timeout=90)

        assert second.returncode == 0, err
        assert out == f"Hearth is already open for {data}; brought its window to the front.\n"
        log = hearth_home / "logs" / "hearth.log"
        qtbot.waitUntil(
            lambda: log.is_file() and "asked for the window" in log.read_text(),
            timeout=TIMEOUT_MS,
        )
        assert first.poll() is None  # the first window is still open
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        first.communicate(timeout=60)
