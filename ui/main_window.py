"""Hearth's main window: composes the sidebar, the chat and the model bar, and wires them.

Each part is its own widget with its own job; this class only connects them and owns
the engine worker thread. Disk and machine work (listing the models folder, imports,
suggestions, saving the last model) runs on the window's
:class:`~ui.background.BackgroundRunner`; the results come back on the GUI thread.

Closing never keeps the window on screen: :meth:`MainWindow.closeEvent` asks every
thread to stop and returns within about a second; :meth:`MainWindow.finish_closing`,
called once the window is gone (``ui.application``), waits for them, bounded, before
``Hearth.close`` ends the engine host and closes the database.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer, QUrl, Signal, Slot
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

from app.engine.protocol import ModelInfo
from app.hearth import Hearth
from app.library.catalog import load_catalog
from app.library.imports import ImportRefusedError, ImportRegistry
from app.library.local_models import LocalModel
from app.library.preflight import LoadChoice, ModelDoesNotFit
from app.library.recommend import Suggestion, suggest_downloads
from app.remote.connect import AddedServer
from app.remote.refs import is_remote_ref
from app.remote.servers import RemoteServer, RemoteServers
from app.store.errors import StoreError
from app.tools.mcp.config import McpConfigError, config_path, load_servers
from ui.background import BackgroundRunner, error_text
from ui.chat.chat_view import ChatView
from ui.chat.composer import Composer
from ui.chat.context_meter import ContextMeter
from ui.chat.controller import ChatController
from ui.chat.tool_controls import OWN_TOOLS
from ui.chat.welcome import WelcomePanel
from ui.docs.controller import DocsController
from ui.docs.drop import DocumentDropFilter
from ui.engine_worker import EngineThread
from ui.load_refusal import ask_load_anyway
from ui.model_bar import ModelBar
from ui.models.drop_import import GgufDropFilter
from ui.remote_dialog import AddServerDialog
from ui.render.links import confirm_and_open_link
from ui.render.math_image import warm_up as warm_up_formulas
from ui.server_panel import ServerPanel
from ui.settings import edit_model_settings
from ui.sidebar import ConversationSidebar
from ui.system_panel import show_system_panel
from ui.think.controller import ThinkLongerController

if TYPE_CHECKING:
    from ui.arena.window import ArenaWindow
    from ui.models.window import ModelsWindow
    from ui.settings.mcp_page import McpServersDialog

log = logging.getLogger(__name__)

ChooseFile = Callable[[QWidget], str | None]

# How long closeEvent waits for the engine thread to end (a stopped reply, a cancelled
# load: usually milliseconds); the rest is left to finish_closing, out of sight.
CLOSE_WAIT_S = 0.5
# How long finish_closing waits for everything, after the window has gone.
FINISH_WAIT_S = 15.0
# How often the window looks for what other Hearth processes wrote to the database.
OUTSIDE_WRITES_POLL_MS = 500


@dataclass(frozen=True)
class ModelListing:
    """The models on disk, and a friendly name for each key replies carry; the remote
    servers with their models as last listed (read from the config, never asked)."""

    models: list[LocalModel]
    names: dict[str, str]
    remote: list[RemoteServer] = field(default_factory=list)


@dataclass(frozen=True)
class ToolsAvailable:
    """The MCP servers switched on, why Python is off here (None: it works), and the
    tools added to the toolbox beyond Hearth's own."""

    servers: list[str]
    python_problem: str | None
    extra: list[str]


@dataclass(frozen=True)
class StartChoice:
    listing: ModelListing
    first_run: bool  # only the starter model and no chats yet: show the welcome
    model: str | None  # what to load
    zoom: int  # the conversation's text size, as the user left it


def _choose_gguf(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open a model", "", "GGUF models (*.gguf)")
    return path or None


class MainWindow(QMainWindow):
    """Signals: ``models_listed()`` once the model picker shows a fresh listing."""

    models_listed = Signal()

    def __init__(self, hearth: Hearth, *, choose_file: ChooseFile = _choose_gguf) -> None:
        super().__init__()
        self.hearth = hearth
        self._choose_file = choose_file
        self._models_ticket = 0
        self._closing_begun = False
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
        self.add_server_dialog: AddServerDialog | None = None
        self._tasks = BackgroundRunner(self, name="hearth-window")
        self.system_action = toolbar.addAction("System", self.show_system_panel)
        self.system_action.setToolTip("This computer, the engine and where the model runs")
        self.mcp_action = toolbar.addAction("MCP servers", self.open_mcp_servers)
        self.mcp_action.setToolTip("The MCP servers whose tools chats can offer the model")
        self.mcp_dialog: McpServersDialog | None = None
        self.arena_action = toolbar.addAction("Arena", self.open_arena)
        self.arena_action.setToolTip("Compare two models blind, vote, and see their ratings")
        self.arena_window: ArenaWindow | None = None
        self._tools_available = ToolsAvailable([], None, [])
        self.server_panel = ServerPanel(hearth, self)
        toolbar.addWidget(self.server_panel)

        self.sidebar = ConversationSidebar(hearth.conversations, parent=self)
        self.chat_view = ChatView(self)
        self.meter = ContextMeter(self)
        self.composer = Composer(self)
        self.chat = ChatController(hearth, self.worker, self.chat_view, self.composer, self.meter)
        self.think_longer = ThinkLongerController(
            hearth, self.chat, self.chat_view, self.composer, self._think_note, self
        )

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
        # Documents dropped on the chat, or chosen with the paperclip, join the chat.
        self.docs = DocsController(
            hearth, self._tasks, self.chat, self.chat_view, self.composer.docs_strip, self
        )
        self.docs_drop = DocumentDropFilter(self)
        self.docs_drop.files_dropped.connect(self.docs.attach)
        self.composer.attach_button.files_chosen.connect(self.docs.attach)
        for target in (self, self.composer.edit, self.chat_view):
            target.installEventFilter(self.docs_drop)
        self.chat_view.setAcceptDrops(True)
        self._wire()
        self.refresh_models()
        self.refresh_tools()
        self.composer.edit.setFocus()

    # Wiring ----------------------------------------------------------------------------------

    def _wire(self) -> None:
        worker = self.worker
        worker.load_progress.connect(self.model_bar.set_loading)
        worker.loaded.connect(self._loaded)
        self.server_panel.model_loaded.connect(self._loaded)  # an API request loaded it
        self.chat_view.zoom_changed.connect(self._save_zoom)
        worker.load_failed.connect(self._load_failed)
        worker.load_refused.connect(self._load_refused)
        # A method of this window, not a lambda: reloading is emitted on the engine's
        # thread, and only a slot of an object living here is called here (queued).
        worker.reloading.connect(self._reloading)
        self.model_bar.model_chosen.connect(self.load_model)
        self.model_bar.open_file_requested.connect(self._open_file)
        self.model_bar.add_server_requested.connect(self.add_server)
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
        self.chat.notice.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.composer.tool_controls.manage_requested.connect(self.open_mcp_servers)
        self.chat_view.link_requested.connect(self._link)
        QShortcut(QKeySequence("Ctrl+N"), self, self.new_chat)
        QShortcut(QKeySequence.StandardKey.Find, self, self.sidebar.focus_search)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.chat.stop)
        # The command line beside the window writes to the same database: its chats join
        # the list, and a reply it is writing in the chat on screen shows as it comes.
        self._outside_writes = QTimer(self)
        self._outside_writes.setInterval(OUTSIDE_WRITES_POLL_MS)
        self._outside_writes.timeout.connect(self._follow_outside_writes)
        self._outside_writes.start()

    def _follow_outside_writes(self) -> None:
        try:
            changed = self.hearth.conversations.changed_elsewhere()
        except (StoreError, sqlite3.Error):  # asked again at the next tick
            return
        if changed:
            self.sidebar.refresh()
        if self.chat.foreign.due_for_lease_check():
            # A file lock per writer and a write: never on the GUI thread.
            self._tasks.run(self.hearth.conversations.mark_interrupted)
        self.chat.poll_foreign()

    # Models ------------------------------------------------------------------------------------

    def refresh_models(self) -> None:
        """Lists the models on disk off the GUI thread; the picker follows when it is done."""
        self._models_ticket += 1
        ticket = self._models_ticket
        self._tasks.run(
            self._list_models,
            on_done=lambda listing: self._show_models(ticket, listing),
            on_error=self._models_not_listed,
        )

    def _list_models(self) -> ModelListing:
        """On a worker thread: walk the models folder, and name every model's key."""
        models = self.hearth.local_models()
        names: dict[str, str] = {}
        for model in models:
            names[self.hearth.model_key(model.path)] = model.name
        for model in models:  # replies stored before keys held the repo and path
            names.setdefault(model.path.name, model.name)
        remote = RemoteServers.in_folder(self.hearth.paths.config).all()
        for server in remote:
            names.update((str(ref), ref.label) for ref in server.refs())
        return ModelListing(models, names, remote)

    def _show_models(self, ticket: int, listing: ModelListing) -> None:
        if ticket != self._models_ticket:
            return  # a newer listing is on its way
        self.chat.model_names = listing.names
        self.model_bar.set_models(listing.models, self._model_path, listing.remote)
        self.models_listed.emit()

    def _models_not_listed(self, error: Exception) -> None:
        self.statusBar().showMessage(f"Could not list the models: {error_text(error)}")

    @Slot(int)
    def _save_zoom(self, level: int) -> None:
        settings = self.hearth.settings
        self._tasks.run(lambda: settings.update(text_zoom=level), must_finish=True)

    def start(self, model: str | None = None) -> None:
        """Loads ``model``, else the last model used, else the starter model.

        The models folder and the settings are read off the GUI thread first.
        """
        hearth = self.hearth
        # The formula typesetter (matplotlib, about 46 MB and half a second) loads on a
        # thread of its own now, beside the model, rather than when the first message
        # appears: every chat shows one within seconds, and its memory is then in place
        # from the start instead of arriving mid-chat.
        warm_up_formulas()
        self._models_ticket += 1
        ticket = self._models_ticket

        def choose() -> StartChoice:
            listing = self._list_models()
            models = listing.models
            first_run = all(m.is_starter for m in models) and not (
                hearth.conversations.list_conversations()
            )
            settings = hearth.settings.read()
            wanted = model or settings.last_model
            if wanted is None or not (Path(wanted).is_file() or model):
                wanted = str(models[0].path) if models else None
            return StartChoice(listing, first_run, wanted, settings.text_zoom)

        def begin(choice: StartChoice) -> None:
            self._show_models(ticket, choice.listing)
            self.chat_view.set_zoom(choice.zoom)
            if choice.first_run:
                self._show_welcome()
            if choice.model is None:
                self.statusBar().showMessage("No model yet: open a GGUF file from the model menu.")
                return
            self.load_model(choice.model)

        self._tasks.run(choose, on_done=begin, on_error=self._models_not_listed)

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
        self.refresh_models()  # the picker lists it once the folder has been walked
        self.model_bar.show_current(info.model_path)
        self.model_bar.set_backend(f"on {info.backend}")
        self.model_bar.backend_label.setToolTip(info.system_info)
        self.chat.model_ready = True
        self.chat.set_context_size(info.n_ctx)
        self.chat.set_model_features(info)
        self._show_instructions()
        key = self.hearth.model_key(info.model_path)
        name = self.chat.model_names.get(key, Path(info.model_path).stem)
        # How Hearth adapted the template, said once per load: in the chat, the status
        # line and the model picker's tooltip.
        # A draft model that could not be used says so beside the template's note.
        note = " ".join(part for part in (info.template_note, info.speculative_note) if part)
        self.model_bar.set_template_note(note)
        self.chat_view.set_template_note(note)
        ready = f"{name} ready on {info.backend} in {info.load_seconds:.1f} s"
        said = " ".join(part for part in (info.switch_note, note) if part)
        self.statusBar().showMessage(f"{ready}. {said}" if said else ready, 15000 if said else 8000)
        settings = self.hearth.settings
        self._tasks.run(lambda: settings.update(last_model=info.model_path), must_finish=True)

    def _load_failed(self, message: str, cancelled: bool) -> None:
        self.model_bar.set_loading(None)
        self.model_bar.show_current(self._model_path)
        self.chat.model_ready = self._model_path is not None
        self.statusBar().showMessage(message, 0 if not cancelled else 5000)

    @Slot()
    def _reloading(self) -> None:
        self.statusBar().showMessage("Reloading the model…")

    def _load_refused(self, refusal: ModelDoesNotFit) -> None:
        """Nothing loaded: show the numbers and load only if the user picks a way."""
        self._load_failed(f"{Path(refusal.model_path).name} does not fit in memory.", True)
        ask_load_anyway(self, refusal, lambda choice: self.load_model(refusal.model_path, choice))

    # Tools ------------------------------------------------------------------------------------

    def refresh_tools(self) -> None:
        """Finds, off the GUI thread, the MCP servers switched on and whether this
        computer's Python sandbox works; the Tools menu follows."""
        toolbox, config = self.hearth.chat.toolbox, config_path(self.hearth.paths)

        def find() -> ToolsAvailable:
            ready, reason = toolbox.python_tool(None).available()
            try:
                servers = [server.name for server in load_servers(config) if not server.disabled]
            except McpConfigError:
                servers = []  # the page and the reply say what is wrong with the file
            own = {name for name, _words in OWN_TOOLS}
            extra = [name for name in toolbox.own_names() if name not in own]
            return ToolsAvailable(servers, None if ready else reason, extra)

        self._tasks.run(find, on_done=self._show_tools_available)

    def _show_tools_available(self, available: ToolsAvailable) -> None:
        self._tools_available = available
        self.composer.tool_controls.set_available(
            available.servers, available.python_problem, available.extra
        )

    def tool_choices(self) -> list[tuple[str, str]]:
        """The tools a model may offer by default: Hearth's own and the servers switched on."""
        others = [*self._tools_available.servers, *self._tools_available.extra]
        return [*OWN_TOOLS, *((name, name) for name in others)]

    def open_mcp_servers(self) -> None:
        """Shows the MCP servers page (made on first use; it lists the servers afresh)."""
        if self.mcp_dialog is None:
            from ui.settings.mcp_page import McpServersDialog

            hearth = self.hearth
            self.mcp_dialog = McpServersDialog(
                config_path(hearth.paths), lambda: hearth.mcp, parent=self
            )
            self.mcp_dialog.servers_changed.connect(self.refresh_tools)
        self.mcp_dialog.reload()
        self.mcp_dialog.show()
        self.mcp_dialog.raise_()
        self.mcp_dialog.activateWindow()

    def open_arena(self) -> None:
        """Shows the arena (ui.arena), made on first use."""
        if self.arena_window is None:
            from ui.arena.window import ArenaWindow

            self.arena_window = ArenaWindow(self.hearth)
            self.arena_window.models_switched.connect(self._arena_switched)
            self.arena_window.start()
        self.arena_window.show()
        self.arena_window.raise_()
        self.arena_window.activateWindow()

    def _arena_switched(self) -> None:
        info = self.hearth.engine.info
        if info is not None:
            self._loaded(info)

    def _think_note(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    def show_system_panel(self) -> None:
        show_system_panel(self, self.hearth.engine.info)

    def add_server(self) -> None:
        """Opens "Add a server…"; once the server is kept, the picker lists its models."""
        self.add_server_dialog = AddServerDialog(self._tasks, self.hearth.paths.config, self)
        self.add_server_dialog.server_added.connect(self._server_added)
        self.add_server_dialog.open()

    def _server_added(self, added: AddedServer) -> None:
        self.refresh_models()
        count = len(added.server.models)
        self.statusBar().showMessage(
            f"Added {added.server.name}: {count} models, listed as remote in the model picker.",
            10000,
        )

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
        # A chat opened from the list (the command line's, written beside the window).
        self.sidebar.conversation_selected.connect(self.welcome.hide)
        self.sidebar.search_hit_activated.connect(self.welcome.hide)

        def suggest() -> tuple[list[Suggestion], str]:
            machine = self.hearth.machine()
            memory = f"{machine.total_ram / 2**30:.0f} GB memory"
            gpu = machine.best_gpu()
            if gpu is not None:
                memory += f", {gpu.name} with {gpu.total_vram / 2**30:.0f} GB"
            return suggest_downloads(load_catalog(), machine), memory

        self._tasks.run(
            suggest,
            on_done=lambda result: self.welcome.show_suggestions(*result),
            on_error=lambda error: self.welcome.show_suggestions([], error_text(error)),
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

            library = ModelLibrary(self.hearth.paths, settings=self.hearth.settings)
            page = ModelsPage(library, self.hearth.machine)
            page.library_changed.connect(self.refresh_models)
            page.models_folder_changed.connect(self._models_folder_changed)
            page.remote_panel.changed.connect(self.refresh_models)
            page.remote_panel.model_chosen.connect(self.load_model)
            self.models_window = ModelsWindow(page)
            page.start()
        self.models_window.show()
        self.models_window.raise_()
        self.models_window.activateWindow()

    def import_files(self, paths: list[str]) -> None:
        """Imports GGUF files where they lie (dropped on the window) and lists them."""

        config, models_dir = self.hearth.paths.config, self.hearth.paths.models

        def work() -> list[str]:
            registry = ImportRegistry.in_folder(config)
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

        self._tasks.run(
            work,
            on_done=done,
            on_error=lambda error: self.statusBar().showMessage(error_text(error)),
            must_finish=True,
        )

    def _models_folder_changed(self, folder: str) -> None:
        assert self.models_window is not None
        # The library has saved the choice (app.settings owns the file); use it from now on.
        self.hearth.use_paths(self.models_window.page.library.paths)
        self.refresh_models()

    def edit_settings(self) -> None:
        path = self._model_path
        if path is None:
            return
        key = self.hearth.model_key(path)
        before = self.hearth.model_settings.get(key)
        info = self.hearth.engine.info
        trained = info.n_ctx_train if info else 4096
        name = self.chat.model_names.get(key, Path(path).stem)
        saved = edit_model_settings(
            self,
            self.hearth.model_settings,
            key,
            name,
            trained,
            info=info,
            tool_choices=self.tool_choices(),
            draft_choices=self._draft_choices(key),
        )
        if saved is None:
            return
        self._show_instructions()
        self.chat.set_model_features(info)
        reload_needed = (
            saved.context_length != before.context_length
            or saved.gpu_layers != before.gpu_layers
            or saved.kv_cache_type != before.kv_cache_type
            or saved.speculative != before.speculative
            or saved.draft_model != before.draft_model
            or saved.chat_template_override != before.chat_template_override
        )
        if reload_needed:
            self.load_model(path)

    def _draft_choices(self, key: str) -> list[tuple[str, str]]:
        """(name, key) of the local models listed, but this one, to offer as a draft."""
        choices: dict[str, str] = {}
        for model_key, name in self.chat.model_names.items():
            if model_key != key and not is_remote_ref(model_key) and name not in choices:
                choices[name] = model_key
        return sorted(choices.items())

    def _show_instructions(self) -> None:
        key = self.hearth.model_key(self._model_path) if self._model_path else ""
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
        if self.docs.open_citation(url):  # a citation opens in Hearth's own viewer
            return
        confirm_and_open_link(self, url)

    # Closing ---------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closes at once: every thread is asked to stop, none is waited for here but the
        engine's, for at most ``CLOSE_WAIT_S``; :meth:`finish_closing` does the waiting."""
        self._begin_closing()
        self.engine_thread.thread.wait(int(CLOSE_WAIT_S * 1000))
        super().closeEvent(event)

    def _begin_closing(self) -> None:
        """Never blocks: stop the reply and any load, pause the download, drop the jobs."""
        if self._closing_begun:
            return
        self._closing_begun = True
        self._outside_writes.stop()
        if self.models_window is not None:
            self.models_window.page.begin_shutdown()  # a download pauses, kept for next time
            self.models_window.hide()
        self._tasks.abort_all()
        if self.mcp_dialog is not None:
            self.mcp_dialog.shutdown()
        self.chat.begin_shutdown()
        self.docs.begin_shutdown()
        self.think_longer.begin_shutdown()
        if self.arena_window is not None:
            self.arena_window.begin_shutdown()
            self.arena_window.hide()
        self.server_panel.begin_shutdown()
        self.sidebar.stop_background_work(0)
        self.worker.stop_reply()
        self.worker.cancel_load()
        self.engine_thread.thread.quit()

    def finish_closing(self, timeout_s: float = FINISH_WAIT_S) -> bool:
        """After the window has closed, before ``Hearth.close``: wait for the threads.

        Bounded by ``timeout_s`` in all; True when every one has ended. Whatever is left
        (a job stuck on the network) runs on a daemon thread and ends with the process;
        ``Hearth.close`` ends the engine host either way.
        """
        self._begin_closing()
        deadline = time.monotonic() + timeout_s

        def left() -> float:
            return max(0.0, deadline - time.monotonic())

        ended = True
        if self.models_window is not None:
            ended = self.models_window.page.finish_shutdown(left()) and ended
            self.models_window.deleteLater()
            self.models_window = None
        ended = self._tasks.wait(left(), aborted_too=False) and ended  # the writes
        self.docs.close()
        ended = self.sidebar.stop_background_work(int(left() * 1000)) and ended
        ended = self.server_panel.finish_shutdown(left()) and ended
        self.engine_thread.thread.wait(int(left() * 1000))
        # What the threads said before they ended (the stopped reply's end, say) is
        # handled now, while the database is still open.
        QCoreApplication.sendPostedEvents()
        return self.engine_thread.thread.isFinished() and ended
