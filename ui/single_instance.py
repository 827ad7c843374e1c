"""One window per data folder: the first launch keeps it, a later one brings it to the front.

The first window takes a lock file in the data folder (a ``QLockFile``, which notices a
lock left by a Hearth that crashed and takes it over) and listens on a local socket named
after the data folder. A later launch on the same folder finds the lock taken, asks the
first over that socket to come to the front, and ends. Only the window takes the lock:
the command line runs beside the window freely.

The exchange is one line each way: the later launch sends ``activate``, the first
answers ``ok`` once it has raised its window.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

ACTIVATE = b"activate"
OK = b"ok"
LOCK_NAME = "window.lock"
# Longer than any request needs; a peer that sends more is not a Hearth.
_MAX_LINE = 64
# A first window answers once its event loop runs, after opening the database: allow
# for a slow start on a busy machine.
ASK_TIMEOUT_S = 20.0


def server_name(data_folder: Path) -> str:
    """The local socket name for this data folder (the same for every launch on it)."""
    digest = hashlib.sha256(os.fsencode(Path(data_folder).resolve())).hexdigest()
    return f"hearth-{digest[:24]}"


def bring_to_front(window: QWidget) -> None:
    """Show the window, restored if minimised, raised and active."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


class WindowLock(QObject):
    """The claim of one window on a data folder; see the module docstring.

    Signals:
        activate_requested(): a later launch asked for the window (the window, if one
            was given with :meth:`set_window`, has been brought to the front).
    """

    activate_requested = Signal()

    def __init__(self, data_folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_folder = Path(data_folder)
        self.name = server_name(self.data_folder)
        self._lock = QLockFile(str(self.data_folder / LOCK_NAME))
        # Never stale by age: only a lock whose process has ended is taken over.
        self._lock.setStaleLockTime(0)
        self._server: QLocalServer | None = None
        self._window: QWidget | None = None
        self._pending = False
        # Whether the lock is really held (see claim); only then is the folder ours alone.
        self.exclusive = False
        # What each connection has sent so far; None once it has been answered.
        self._buffers: dict[QLocalSocket, bytes | None] = {}

    def claim(self) -> bool:
        """Take the folder for this window; ``False`` if another window already has it.

        Where no lock file can be made at all (a read-only folder, say) the window still
        opens, with ``exclusive`` left ``False``.
        """
        self.data_folder.mkdir(parents=True, exist_ok=True)
        if self._lock.tryLock(0):
            self.exclusive = True
        elif self._lock.error() == QLockFile.LockError.LockFailedError:
            return False
        else:
            log.warning(
                "Cannot take the window lock in %s: %s", self.data_folder, self._lock.error()
            )
        # A socket file a crashed window left behind would make listen() fail; the lock
        # says no live window owns it.
        QLocalServer.removeServer(self.name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            log.warning(
                "Cannot listen for other launches on %s: %s", self.name, server.errorString()
            )
        server.newConnection.connect(self._accept)
        self._server = server
        return True

    def set_window(self, window: QWidget) -> None:
        """The window to bring to the front when asked (at once, if asked already)."""
        self._window = window
        if self._pending:
            self._pending = False
            bring_to_front(window)

    def handle_activate(self) -> None:
        log.info("Another launch of Hearth asked for the window; bringing it to the front")
        if self._window is None:
            self._pending = True
        else:
            bring_to_front(self._window)
        self.activate_requested.emit()

    def release(self) -> None:
        """Stop listening and give the folder up (when the window closes)."""
        for socket in list(self._buffers):
            socket.abort()
        if self._server is not None:
            self._server.close()
            self._server = None
        if self.exclusive:
            self._lock.unlock()
            self.exclusive = False

    def _accept(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            self._buffers[socket] = b""
            socket.readyRead.connect(self._read)
            socket.disconnected.connect(self._forget)

    def _read(self) -> None:
        """One line from a later launch: answer ``activate``, drop anything else."""
        socket = self.sender()
        if not isinstance(socket, QLocalSocket):
            return
        received = bytes(socket.readAll().data())
        previous = self._buffers.get(socket)
        if previous is None:
            return  # answered already, or not one of ours
        buffer = previous + received
        self._buffers[socket] = buffer
        if b"\n" not in buffer:
            if len(buffer) > _MAX_LINE:
                socket.abort()
            return
        if buffer.split(b"\n", 1)[0].strip() != ACTIVATE:
            socket.abort()
            return
        self._buffers[socket] = None
        self.handle_activate()
        socket.write(OK + b"\n")
        socket.flush()  # the later launch reads the answer and hangs up

    def _forget(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._buffers.pop(socket, None)
            socket.deleteLater()


def ask_to_activate(data_folder: Path, timeout_s: float = ASK_TIMEOUT_S) -> bool:
    """Ask the window that holds this folder to come to the front; ``True`` once it has.

    Tries again until ``timeout_s``: the first window may have taken the lock but not yet
    begun to listen, or not yet begun to answer.
    """
    name = server_name(data_folder)
    deadline = time.monotonic() + timeout_s
    while True:
        socket = QLocalSocket()
        socket.connectToServer(name)
        if socket.waitForConnected(_ms_left(deadline)):
            socket.write(ACTIVATE + b"\n")
            socket.flush()
            reply = b""
            while b"\n" not in reply and socket.waitForReadyRead(_ms_left(deadline)):
                reply += bytes(socket.readAll().data())
            socket.abort()
            if reply.split(b"\n", 1)[0].strip() == OK:
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)  # not listening yet: the first window is still starting


def _ms_left(deadline: float) -> int:
    return max(1, int((deadline - time.monotonic()) * 1000))
