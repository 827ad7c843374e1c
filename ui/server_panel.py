"""The API server in the window's toolbar: a switch, its state and address, the models on offer.

The server itself (:mod:`app.server`) runs on threads of its own and shares the window's
engine and queue. Starting, stopping and listing the models on offer run on this
panel's :class:`~ui.background.BackgroundRunner`, never on the GUI thread. The options
menu holds the two server settings kept in Hearth's settings: load another model when a
request names it, and keep API conversations as chats.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from app.engine.protocol import ModelInfo
from app.engine.scheduler import Scheduler
from app.hearth import Hearth
from app.server.backend import LocalBackend, OfferedModel
from app.server.config import JIT_SETTING, KEEP_SETTING, ServerConfig, with_app_settings
from app.server.runner import ServerRunner
from app.settings import AppSettings
from ui.background import BackgroundRunner, error_text

log = logging.getLogger(__name__)

# How often the panel looks at the loaded model and the queue while serving, in ms.
POLL_MS = 1000


class ServerPanel(QWidget):
    """Signals:

    - ``state_changed(str)``: ``off``, ``starting``, ``on``, ``stopping`` or ``failed``.
    - ``model_loaded(object)``: a request loaded another model (its ``ModelInfo``).
    - ``offers_changed(list)``: the ids of the models on offer, after each listing.
    """

    state_changed = Signal(str)
    model_loaded = Signal(object)
    offers_changed = Signal(list)

    def __init__(
        self, hearth: Hearth, parent: QWidget | None = None, *, config: ServerConfig | None = None
    ) -> None:
        super().__init__(parent)
        self.hearth = hearth
        self.config = config or ServerConfig()
        self.state = "off"
        self.url = ""
        self._runner: ServerRunner | None = None
        self._backend: LocalBackend | None = None
        self._loaded_path: object = None
        self._tasks = BackgroundRunner(self, max_threads=1, name="hearth-server-panel")
        self._relay_loaded = self._tasks.relay(self._model_loaded_here)

        self.switch = QCheckBox("API server", self)
        self.switch.setToolTip("Serve the loaded model over an OpenAI-compatible API")
        self.address = QLabel("Off", self)
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.offers = QLabel("", self)
        self.options = QToolButton(self)
        self.options.setText("Server options")
        self.options.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.options)
        self.jit_action = menu.addAction("Load other models when a request names them")
        self.jit_action.setCheckable(True)
        self.keep_action = menu.addAction("Keep API conversations as chats")
        self.keep_action.setCheckable(True)
        menu.addSeparator()
        self.copy_action = menu.addAction("Copy the address")
        self.copy_action.setEnabled(False)
        self.options.setMenu(menu)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(self.switch)
        layout.addWidget(self.address)
        layout.addWidget(self.offers)
        layout.addWidget(self.options)

        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._look)
        self.switch.toggled.connect(self._switched)
        self.jit_action.toggled.connect(self._jit_toggled)
        self.keep_action.toggled.connect(self._keep_toggled)
        self.copy_action.triggered.connect(self._copy_url)
        # The switch waits for the saved server settings, read off the GUI thread.
        self.switch.setEnabled(False)
        self.options.setEnabled(False)
        self._tasks.run(hearth.settings.read, on_done=self._settings_read)

    def _settings_read(self, settings: object) -> None:
        assert isinstance(settings, AppSettings)
        self.config = with_app_settings(self.config, settings)
        for action, on in (
            (self.jit_action, self.config.allow_jit_loading),
            (self.keep_action, self.config.keep_conversations),
        ):
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
        self.switch.setEnabled(True)
        self.options.setEnabled(True)

    # Switching -------------------------------------------------------------------------

    def _switched(self, on: bool) -> None:
        if on:
            self._start()
        else:
            self._stop()

    def _start(self) -> None:
        backend = LocalBackend(self.hearth, self.config, on_model_loaded=self._relay_loaded)
        runner = ServerRunner(backend, self.config)
        self._runner, self._backend = runner, backend
        self._set_state("starting", "Starting…")
        self._tasks.run(
            runner.start,
            on_done=lambda url: self._started(runner, url),
            on_error=lambda error: self._failed(runner, error),
        )

    def _started(self, runner: ServerRunner, url: object) -> None:
        if runner is not self._runner:  # switched off meanwhile
            return
        self.url = str(url)
        self.copy_action.setEnabled(True)
        self._set_state("on", self.url)
        self._poll.start()
        self._list_offers()

    def _failed(self, runner: ServerRunner, error: Exception) -> None:
        if runner is not self._runner:
            return
        self._runner = self._backend = None
        self.switch.blockSignals(True)
        self.switch.setChecked(False)
        self.switch.blockSignals(False)
        self._set_state("failed", f"Not serving: {error_text(error)}")

    def _stop(self) -> None:
        runner, self._runner, self._backend = self._runner, None, None
        self._poll.stop()
        self.url = ""
        self.copy_action.setEnabled(False)
        self.offers.setText("")
        if runner is None:
            self._set_state("off", "Off")
            return
        self._set_state("stopping", "Stopping…")
        self._tasks.run(runner.stop, on_done=lambda _: self._set_state("off", "Off"))

    def shutdown(self) -> None:
        """Stops serving now (every API reply is cancelled first): a second or less."""
        self.begin_shutdown()
        self.finish_shutdown(10.0)

    def begin_shutdown(self) -> None:
        """The window is closing. Never blocks: cancel every API reply, tell the server to stop."""
        self._poll.stop()
        self._tasks.abort_all()
        if self._runner is not None:
            self._runner.begin_stop()

    def finish_shutdown(self, timeout_s: float) -> bool:
        """Waits, at most ``timeout_s``, for the server to stop; True once it has."""
        runner, self._runner, self._backend = self._runner, None, None
        return runner.finish_stop(timeout_s) if runner is not None else True

    def _set_state(self, state: str, text: str) -> None:
        self.state = state
        self.address.setText(text)
        self.state_changed.emit(state)

    # What it offers --------------------------------------------------------------------

    def _list_offers(self) -> None:
        runner = self._runner
        if runner is None:
            return
        self._tasks.run(runner.backend.models, on_done=self._show_offers)

    def _show_offers(self, models: object) -> None:
        if self._runner is None:
            return
        offered: list[OfferedModel] = list(models)  # type: ignore[call-overload]
        ids = [model.id for model in offered]
        loaded = [model.id for model in offered if model.loaded]
        others = len(ids) - len(loaded)
        text = f"Offers {', '.join(loaded)}" if loaded else "No model loaded"
        if others:
            text += f" (+{others} on request)"
        self.offers.setText(text)
        self.offers.setToolTip("\n".join(ids))
        self.offers_changed.emit(ids)

    def _look(self) -> None:
        """While serving: follow the loaded model and show how many requests wait."""
        runner = self._runner
        if runner is None:
            return
        loaded = self.hearth.engine.load_request
        path = loaded.model_path if loaded else None
        if path != self._loaded_path:
            self._loaded_path = path
            self._list_offers()
        waiting = Scheduler.of(self.hearth.engine).snapshot().waiting
        self.address.setText(f"{self.url} · {waiting} waiting" if waiting else self.url)

    def _model_loaded_here(self, info: object) -> None:
        if isinstance(info, ModelInfo):
            self.model_loaded.emit(info)
            self._look()

    # Options ---------------------------------------------------------------------------

    def _jit_toggled(self, on: bool) -> None:
        self.config = replace(self.config, allow_jit_loading=on)
        if self._runner is not None:
            assert self._backend is not None
            self._backend.allow_jit_loading = on
            self._list_offers()
        self._save(JIT_SETTING, on)

    def _keep_toggled(self, on: bool) -> None:
        self.config = replace(self.config, keep_conversations=on)
        if self._runner is not None:
            assert self._backend is not None
            self._backend.keep_conversations = on
        self._save(KEEP_SETTING, on)

    def _save(self, name: str, value: bool) -> None:
        settings = self.hearth.settings

        def save() -> None:
            settings.update(**{name: value})

        self._tasks.run(save, on_error=lambda error: log.warning("not saved: %s", error))

    def _copy_url(self) -> None:
        if self.url:
            QGuiApplication.clipboard().setText(self.url)
