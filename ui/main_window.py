"""Hearth's main window: composes the sidebar, the chat and the model bar, and wires them.

Each part is its own widget with its own job; this class only connects them and owns
the engine worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QMainWindow,
    QSplitter,
    QStatusBar,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.chat.service import model_key
from app.engine.protocol import ModelInfo
from app.hearth import Hearth
from app.library.catalog import load_catalog
from app.library.imports import ImportRefusedError, ImportRegistry
from app.library.preflight import LoadChoice, ModelDoesNotFit
from app.library.recommend import Suggestion, suggest_downloads
from app.settings import AppSettings
from ui.chat.chat_view import ChatView
from ui.chat.composer import Composer
from ui.chat.context_meter import ContextMeter
from ui.chat.controller import ChatController
from ui.chat.welcome import WelcomePanel
from ui.engine_worker import EngineThread
from ui.load_refusal import ask_load_anyway
from ui.model_bar import ModelBar
from ui.models.drop_import import GgufDropFilter
from ui.models.tasks import TaskRunner
from ui.render.links import confirm_and_open_link
from ui.settings import edit_model_settings
from ui.sidebar import ConversationSidebar
from ui.system_panel import show_system_panel

if TYPE_CHECKING:
    from ui.models.window import ModelsWindow

log = logging.getLogger(__name__)

ChooseFile = Callable[[QWidget], str | None]


def _choose_gguf(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open a model", "", "GGUF models (*.gguf)")
    return path or None


class MainWindow(QMainWindow):
    def __init__(self, hearth: Hearth, *, choose_file: ChooseFile = _choose_gguf) -> None:
        super().__init__()
        self.hearth = hearth
        self._choose_file = choose_file
        self.settings = AppSettings.load(hearth.paths.settings_file)
        self.setWindowTitle("Hearth")
        self.resize(1100, 760)

        self.engine_thread = EngineThread(hearth)
        self.worker = self.engine_thread.worker

        self.model_bar = ModelBar(self)
        toolbar = QToolBar("Model", self)
        toolbar.setMovable(False)
        toolbar.addWidget(self.model_bar)
        self.models_action = toolbar.addAction("Models")
        self.models_action.setToolTip("Find, download and manage models")
        self.models_action.triggered.connect(self.open_models)
        self.addToolBar(toolbar)
        self.models_window: ModelsWindow | None = None
        self._tasks = TaskRunner(self)
        self.system_action = toolbar.addAction("System", self.show_system_panel)
        self.system_action.setToolTip("This computer, the engine and where the model runs")

        self.sidebar = ConversationSidebar(hearth.conversations, parent=self)
        self.chat_view = ChatView(self)
        self.meter = ContextMeter(self)
        self.composer = Composer(self)
        self.chat = ChatController(hearth, self.worker, self.chat_view, self.composer, self.meter)

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        self.welcome = WelcomePanel(right)
        self.welcome.hide()
        right_layout.addWidget(self.welcome)
        right_layout.addWidget(self.chat_view, 1)
        meter_row = QHBoxLayout()
        meter_row.setContentsMargins(16, 4, 16, 0)
        meter_row.addStretch(1)
        meter_row.addWidget(self.meter)
        right_layout.addLayout(meter_row)
        right_layout.addWidget(self.composer)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.sidebar)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([280, 820])
        self.setCentralWidget(splitter)
        self.setStatusBar(QStatusBar(self))

        self._model_path: str | None = None
        self._loading_path: str | None = None
        # GGUF files dropped on the window (or on the message box) are imported.
        self.drop_filter = GgufDropFilter(self)
        self.drop_filter.files_dropped.connect(self.import_files)
        self.setAcceptDrops(True)
        self.installEventFilter(self.drop_filter)
        self.composer.edit.installEventFilter(self.drop_filter)
        self._wire()
        self.refresh_models()
        self.composer.edit.setFocus()

    # Wiring ----------------------------------------------------------------------------------

    def _wire(self) -> None:
        worker = self.worker
        worker.load_progress.connect(self.model_bar.set_loading)
        worker.loaded.connect(self._loaded)
        worker.load_failed.connect(self._load_failed)
        worker.load_refused.connect(self._load_refused)
        worker.reloading.connect(lambda: self.statusBar().showMessage("Reloading the model…"))
        self.model_bar.model_chosen.connect(self.load_model)
        self.model_bar.open_file_requested.connect(self._open_file)
        # Direct: a queued cancel would wait on the worker thread for the load to finish.
        self.model_bar.cancel_load_requested.connect(
            worker.cancel_load, Qt.ConnectionType.DirectConnection
        )
        self.model_bar.settings_requested.connect(self.edit_settings)
        self.sidebar.conversation_selected.connect(self._conversation_selected)
        self.sidebar.new_chat_requested.connect(self.new_chat)
        self.sidebar.search_hit_activated.connect(self._search_hit)
        self.sidebar.conversation_deleted.connect(self._conversation_deleted)
        self.chat.conversations_changed.connect(self._conversations_changed)
        self.chat.reload_requested.connect(self.reload_model)
        self.chat_view.link_requested.connect(self._link)
        QShortcut(QKeySequence("Ctrl+N"), self, self.new_chat)
        QShortcut(QKeySequence.StandardKey.Find, self, self.sidebar.focus_search)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.chat.stop)

    # Models ------------------------------------------------------------------------------------

    def refresh_models(self) -> None:
        models = self.hearth.local_models()
        self.chat.model_names = {model_key(str(m.path)): m.name for m in models}
        self.model_bar.set_models(models, self._model_path)

    def start(self, model: str | None = None) -> None:
        """Loads ``model``, else the last model used, else the starter model."""
        models = self.hearth.local_models()
        if all(m.is_starter for m in models) and not self.hearth.conversations.list_conversations():
            self._show_welcome()
        wanted = model or self.settings.last_model
        if wanted is None or not (Path(wanted).is_file() or model):
            wanted = str(models[0].path) if models else None
        if wanted is None:
            self.statusBar().showMessage("No model yet: open a GGUF file from the model menu.")
            return
        self.load_model(wanted)

    def load_model(self, path: str, choice: LoadChoice = LoadChoice.CHECK) -> None:
        self._loading_path = path
        self.chat.model_ready = self._model_path is not None
        self.model_bar.set_loading(0.0)
        self.statusBar().showMessage(f"Loading {Path(path).name}…")
        self.worker.request_load(path, choice)

    def reload_model(self) -> None:
        if self._model_path:
            self.load_model(self._model_path)

    def _loaded(self, info: ModelInfo) -> None:
        self._model_path = info.model_path
        self.model_bar.set_loading(None)
        self.refresh_models()
        self.model_bar.show_current(info.model_path)
        self.model_bar.set_backend(f"on {info.backend}")
        self.model_bar.backend_label.setToolTip(info.system_info)
        self.chat.model_ready = True
        self.chat.set_context_size(info.n_ctx)
        self.chat.set_model_features(info)
        self._show_instructions()
        name = self.chat.model_names.get(model_key(info.model_path), Path(info.model_path).stem)
        # How Hearth adapted the template, said once per load: in the chat, the status
        # line and the model picker's tooltip.
        note = info.template_note
        self.model_bar.set_template_note(note)
        self.chat_view.set_template_note(note)
        ready = f"{name} ready on {info.backend} in {info.load_seconds:.1f} s"
        said = " ".join(part for part in (info.switch_note, note) if part)
        self.statusBar().showMessage(f"{ready}. {said}" if said else ready, 15000 if said else 8000)
        self.settings.last_model = info.model_path
        self.settings.save(self.hearth.paths.settings_file)

    def _load_failed(self, message: str, cancelled: bool) -> None:
        self.model_bar.set_loading(None)
        self.model_bar.show_current(self._model_path)
        self.chat.model_ready = self._model_path is not None
        self.statusBar().showMessage(message, 0 if not cancelled else 5000)

    def _load_refused(self, refusal: ModelDoesNotFit) -> None:
        """Nothing loaded: show the numbers and load only if the user picks a way."""
        self._load_failed(f"{Path(refusal.model_path).name} does not fit in memory.", True)
        ask_load_anyway(self, refusal, lambda choice: self.load_model(refusal.model_path, choice))

    def show_system_panel(self) -> None:
        show_system_panel(self, self.hearth.engine.info)

    def _open_file(self) -> None:
        path = self._choose_file(self)
        if path:
            self.load_model(path)

    def _show_welcome(self) -> None:
        """First run: offer the starter model now and downloads that suit this machine."""
        self.welcome.show()
        self.welcome.start_chat_requested.connect(self._start_chatting)
        self.welcome.download_requested.connect(self.open_models_at)
        self.chat.conversations_changed.connect(self.welcome.hide)

        def suggest() -> tuple[list[Suggestion], str]:
            machine = self.hearth.machine()
            memory = f"{machine.total_ram / 2**30:.0f} GB memory"
            gpu = machine.best_gpu()
            if gpu is not None:
                memory += f", {gpu.name} with {gpu.total_vram / 2**30:.0f} GB"
            return suggest_downloads(load_catalog(), machine), memory

        self._tasks.run(
            suggest,
            lambda result: self.welcome.show_suggestions(*result),
            lambda error: self.welcome.show_suggestions([], str(error)),
        )

    def _start_chatting(self) -> None:
        self.welcome.hide()
        self.composer.edit.setFocus()

    def open_models_at(self, repo_id: str) -> None:
        """Opens the Models page on one repository (a suggestion was picked)."""
        self.open_models()
        assert self.models_window is not None
        self.models_window.page.open_repo(repo_id)

    def open_models(self) -> None:
        """Shows the Models page (catalog, search, downloads, models on disk)."""
        if self.models_window is None:
            # Loaded on first use: the Hub client costs half a second at start-up.
            from app.library.service import ModelLibrary
            from ui.models.page import ModelsPage
            from ui.models.window import ModelsWindow

            library = ModelLibrary(self.hearth.paths)
            page = ModelsPage(library, self.hearth.machine)
            page.library_changed.connect(self.refresh_models)
            page.models_folder_changed.connect(self._models_folder_changed)
            self.models_window = ModelsWindow(page)
            page.start()
        self.models_window.show()
        self.models_window.raise_()
        self.models_window.activateWindow()

    def import_files(self, paths: list[str]) -> None:
        """Imports GGUF files where they lie (dropped on the window) and lists them."""

        registry = ImportRegistry.in_folder(self.hearth.paths.config)
        models_dir = self.hearth.paths.models

        def work() -> list[str]:
            problems = []
            for path in paths:
                try:
                    registry.add(path, models_dir)
                except ImportRefusedError as problem:
                    problems.append(str(problem))
            return problems

        def done(problems: list[str]) -> None:
            self.refresh_models()
            if self.models_window is not None:
                self.models_window.page.refresh_library()
            names = ", ".join(Path(p).name for p in paths)
            self.statusBar().showMessage(" ".join(problems) or f"Imported {names}", 8000)

        self._tasks.run(work, done, lambda error: self.statusBar().showMessage(str(error)))

    def _models_folder_changed(self, folder: str) -> None:
        assert self.models_window is not None
        self.hearth.paths = self.models_window.page.library.paths
        self.settings.models_dir = folder  # saved with the window's settings from now on
        self.refresh_models()

    def edit_settings(self) -> None:
        path = self._model_path
        if path is None:
            return
        key = model_key(path)
        before = self.hearth.model_settings.get(key)
        info = self.hearth.engine.info
        trained = info.n_ctx_train if info else 4096
        name = self.chat.model_names.get(key, Path(path).stem)
        saved = edit_model_settings(self, self.hearth.model_settings, key, name, trained, info=info)
        if saved is None:
            return
        self._show_instructions()
        self.chat.set_model_features(info)
        reload_needed = (
            saved.context_length != before.context_length
            or saved.gpu_layers != before.gpu_layers
            or saved.chat_template_override != before.chat_template_override
        )
        if reload_needed:
            self.load_model(path)

    def _show_instructions(self) -> None:
        key = model_key(self._model_path) if self._model_path else ""
        self.chat_view.set_instructions(self.hearth.model_settings.get(key).system_prompt)

    # Conversations ---------------------------------------------------------------------------

    def new_chat(self) -> None:
        self.sidebar.clear_selection()
        self.chat.new_chat()

    def _conversation_selected(self, conversation_id: int) -> None:
        if conversation_id != self.chat.conversation_id:
            self.chat.show_conversation(conversation_id)

    def _conversations_changed(self) -> None:
        self.sidebar.refresh()
        if self.chat.conversation_id is not None:
            self.sidebar.select_conversation(self.chat.conversation_id)

    def _conversation_deleted(self, conversation_id: int) -> None:
        if conversation_id == self.chat.conversation_id:
            self.chat.new_chat()

    def _search_hit(self, conversation_id: int, message_id: int) -> None:
        path_ids = [m.id for m in self.hearth.conversations.active_path(conversation_id)]
        if message_id not in path_ids:
            self.hearth.conversations.select_version(message_id)
        self.chat.show_conversation(conversation_id)
        self.chat_view.scroll_to_message(message_id)

    def _link(self, url: QUrl) -> None:
        confirm_and_open_link(self, url)

    # Closing ---------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.models_window is not None:
            self.models_window.page.shutdown()  # a running download pauses, kept for next time
            self.models_window.deleteLater()
        self._tasks.shutdown()
        self.sidebar.stop_background_work()
        self.engine_thread.shutdown()
        super().closeEvent(event)
