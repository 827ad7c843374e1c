"""The Models page: composes the search, files, downloads and library panels and runs
their requests on its :class:`~ui.background.BackgroundRunner` through one
:class:`~app.library.service.ModelLibrary`.

Nothing goes to the network until the user searches, opens a repository or downloads;
the catalog, the fit of its files and the models on disk need no connection. The "Remote
servers" tab (:mod:`ui.models.remote_panel`) contacts a server only when asked to.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.hardware.machine import MachineInfo
from app.hub.client import RepoSummary, SearchSort
from app.hub.errors import HubAccessError, HubOfflineError
from app.hub.queue import DownloadQueue, ItemChanged, ItemProgress, ItemStatus, QueueEvent
from app.library.credentials import save_token
from app.library.local_models import LocalModel
from app.library.remote_fit import FileChoice
from app.library.service import ModelLibrary, RepoFiles
from ui.background import BackgroundRunner, error_text
from ui.models.downloads_panel import DownloadsPanel
from ui.models.files_panel import FilesPanel
from ui.models.library_panel import LibraryPanel
from ui.models.remote_panel import RemotePanel
from ui.models.search_panel import EMBEDDING_LABEL, EMBEDDING_TIP, SearchPanel

log = logging.getLogger(__name__)

AskRemove = Callable[[QWidget, LocalModel], "tuple[bool, bool]"]
ChoosePath = Callable[[QWidget], "str | None"]
OFFLINE_WORDS = "You are offline: Hugging Face can't be reached. Your models and chats still work."


def ask_remove(parent: QWidget, model: LocalModel) -> tuple[bool, bool]:
    """Asks before removing; returns (go ahead, delete the file of an imported model)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Remove model")
    delete_file = QCheckBox("Also delete the file from disk", box)
    if model.is_imported:
        box.setText(f"Stop listing {model.name}? The file stays at {model.path}.")
        box.setCheckBox(delete_file)
    else:
        box.setText(f"Delete {model.name} from the models folder? Its files are deleted.")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    confirmed = box.exec() == QMessageBox.StandardButton.Yes
    return confirmed, delete_file.isChecked()


def choose_gguf(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Import a model", "", "GGUF models (*.gguf)")
    return path or None


def choose_folder(parent: QWidget) -> str | None:
    return QFileDialog.getExistingDirectory(parent, "Models folder") or None


class ModelsPage(QWidget):
    """Signals: ``library_changed()`` (models added or removed),
    ``models_folder_changed(str)``."""

    library_changed = Signal()
    models_folder_changed = Signal(str)

    def __init__(
        self,
        library: ModelLibrary,
        machine: Callable[[], MachineInfo],
        *,
        confirm_remove: AskRemove = ask_remove,
        choose_file: ChoosePath = choose_gguf,
        choose_dir: ChoosePath = choose_folder,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self._machine = machine
        self._confirm_remove = confirm_remove
        self._choose_file = choose_file
        self._choose_dir = choose_dir
        self.runner = BackgroundRunner(self, name="hearth-models")
        self.search_panel = SearchPanel(self)
        self.files_panel = FilesPanel(self)
        self.downloads_panel = DownloadsPanel(self)
        self.library_panel = LibraryPanel(self)
        self.remote_panel = RemotePanel(self.runner, library.paths.config, parent=self)
        self.queue: DownloadQueue | None = None
        self.repo: RepoFiles | None = None
        self._search_id = self._open_id = 0

        downloads_scroll = QScrollArea(self)
        downloads_scroll.setWidgetResizable(True)
        downloads_scroll.setWidget(self.downloads_panel)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(downloads_scroll, "Downloads")
        self.tabs.addTab(self.library_panel, "On this computer")
        self.tabs.addTab(self.remote_panel, "Remote servers")
        top = QSplitter(Qt.Orientation.Horizontal, self)
        top.addWidget(self.search_panel)
        top.addWidget(self.files_panel)
        top.setSizes([360, 640])
        body = QSplitter(Qt.Orientation.Vertical, self)
        body.addWidget(top)
        body.addWidget(self.tabs)
        body.setSizes([460, 260])
        layout = QVBoxLayout(self)
        layout.addWidget(body)
        self._wire()

    def _wire(self) -> None:
        self.search_panel.search_requested.connect(self.search)
        self.search_panel.repo_chosen.connect(self.open_repo)
        self.files_panel.download_requested.connect(self.download)
        self.downloads_panel.completed.connect(self._download_completed)
        self.library_panel.remove_requested.connect(self.remove)
        self.library_panel.import_requested.connect(self._import_chosen)
        self.library_panel.change_folder_requested.connect(self._change_folder)
        self.library_panel.token_entered.connect(self.keep_token)

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Show the catalog and the local models; reopen unfinished downloads (paused)."""
        self.search_panel.show_catalog(list(self.library.catalog.models))
        if self.library.catalog_error:
            self.search_panel.show_message(self.library.catalog_error)
        self._start_queue()
        self.refresh_library()

    def shutdown(self, timeout_s: float = 10) -> bool:
        """Pause the running download (kept for next time) and wait for the workers.

        True when everything stopped within ``timeout_s``.
        """
        self.begin_shutdown()
        return self.finish_shutdown(timeout_s)

    def begin_shutdown(self) -> None:
        """Never blocks: pause the running download and drop the jobs' callbacks."""
        if self.queue is not None:
            self.queue.close(timeout=0)
        self.runner.abort_all()

    def finish_shutdown(self, timeout_s: float) -> bool:
        """After :meth:`begin_shutdown`: wait up to ``timeout_s`` for the threads to end."""
        deadline = time.monotonic() + timeout_s
        if self.queue is not None:
            # Joins the download thread; its .part and the queue's state are then on disk.
            self.queue.close(timeout=max(0.0, deadline - time.monotonic()))
        # Writes (imports, removals, the token) end first; a search stuck on the network
        # is left to its daemon thread.
        return self.runner.wait(max(0.0, deadline - time.monotonic()), aborted_too=False)

    def _start_queue(self) -> None:
        self.queue = self.library.queue()
        self.queue.add_listener(self.runner.relay(self._queue_event))
        self.queue.start()
        self.downloads_panel.set_queue(self.queue)

    def _queue_event(self, event: QueueEvent) -> None:
        """A download's event, on the GUI thread (the queue reports on its own thread)."""
        if isinstance(event, ItemChanged):
            self.downloads_panel.item_changed(event.item.item_id)
        elif isinstance(event, ItemProgress):
            self.downloads_panel.item_progress(event.item_id, event.progress)

    # -- search and files -------------------------------------------------------------------
    def search(self, query: str, sort: object) -> None:
        self._search_id += 1
        ticket = self._search_id
        self.search_panel.set_busy(True)
        # Qt hands a str-based enum back as its plain value: turn it into the enum again.
        chosen = SearchSort(sort) if isinstance(sort, str) else SearchSort.DOWNLOADS

        def done(results: list[RepoSummary]) -> None:
            if ticket == self._search_id:
                self.search_panel.set_busy(False)
                self.search_panel.show_results(query, results)

        def failed(error: Exception) -> None:
            if ticket == self._search_id:
                self.search_panel.set_busy(False)
                offline = isinstance(error, HubOfflineError)
                self.search_panel.show_message(OFFLINE_WORDS if offline else error_text(error))

        self.runner.run(lambda: self.library.search(query, chosen), on_done=done, on_error=failed)

    def open_repo(self, repo_id: str) -> None:
        self._open_id += 1
        ticket = self._open_id
        self.repo = None
        self.files_panel.show_loading(repo_id)
        model = self.library.catalog.for_repo(repo_id)
        if model is not None:  # the catalog's figures at once, even offline
            machine = self._machine()
            choices = self.library.catalog_choices(model, machine)
            self.files_panel.show_choices(repo_id, choices, can_download=False)
            kind = f" ({EMBEDDING_LABEL})" if model.is_embedding else ""
            self.files_panel.title.setText(
                f"<b>{model.name}</b>{kind} — {repo_id}: listing its files…"
            )

        def done(repo: RepoFiles) -> None:
            if ticket != self._open_id:
                return
            self.repo = repo
            self.files_panel.show_choices(repo_id, repo.choices, can_download=True)
            notes = [html.escape(note) for note in repo.notes]
            if repo.listing.gated:
                notes.insert(0, _licence_words(repo.licence_url))
            if model is not None and model.is_embedding:
                notes.insert(0, f"<b>{EMBEDDING_LABEL}</b>: {html.escape(EMBEDDING_TIP)}")
            self.files_panel.show_notice("<br>".join(notes))

        def failed(error: Exception) -> None:
            if ticket != self._open_id:
                return
            if isinstance(error, HubAccessError):
                self.files_panel.show_notice(_licence_words(error.licence_url))
            elif isinstance(error, HubOfflineError):
                extra = " The catalog's figures are shown; downloading needs a connection."
                self.files_panel.show_notice(OFFLINE_WORDS + (extra if model else ""))
            else:
                self.files_panel.show_notice(html.escape(str(error)))
            if model is None:
                self.files_panel.title.setText(f"{repo_id}: its files could not be listed.")

        self.runner.run(
            lambda: self.library.open_repo(repo_id, self._machine()), on_done=done, on_error=failed
        )

    def download(self, choice: FileChoice) -> None:
        if self.repo is None or self.queue is None:
            return
        self.queue.add(choice.group, self.repo.listing.revision, self.library.endpoint)
        self.tabs.setCurrentIndex(0)

    def _download_completed(self, item_id: str) -> None:
        self.refresh_library()
        self.library_changed.emit()

    # -- the library ------------------------------------------------------------------------
    def refresh_library(self) -> None:
        folder = str(self.library.models_dir)
        self.library_panel.folder_label.setText(folder)

        def done(models: list[LocalModel]) -> None:
            self.library_panel.show_models(models, folder)

        self.runner.run(self.library.models, on_done=done, on_error=self._say_error)

    def import_files(self, paths: list[str]) -> None:
        """Import GGUF files in place (from the file dialog or a drop)."""

        def work() -> list[str]:
            problems = []
            for path in paths:
                try:
                    self.library.import_file(path)
                except ValueError as err:  # ImportRefusedError: said to the user
                    problems.append(str(err))
            return problems

        def done(problems: list[str]) -> None:
            self.library_panel.token_status.setText(
                " ".join(problems) or f"Imported {len(paths)} file(s)."
            )
            self.refresh_library()
            self.library_changed.emit()

        self.runner.run(work, on_done=done, on_error=self._say_error, must_finish=True)

    def remove(self, model: LocalModel) -> None:
        confirmed, delete_file = self._confirm_remove(self, model)
        if not confirmed:
            return
        deleting = not model.is_imported or delete_file

        def done(_deleted: object) -> None:
            self.refresh_library()
            self.library_changed.emit()

        self.runner.run(
            lambda: self.library.remove(model, delete_files=deleting),
            on_done=done,
            on_error=self._say_error,
            must_finish=True,
        )

    def keep_token(self, token: str) -> None:
        def kept(where: object) -> None:
            self.library_panel.token_status.setText(f"Token kept in {where}.")

        def failed(error: Exception) -> None:
            self.library_panel.token_status.setText(
                f"Could not keep the token: {error_text(error)}"
            )

        self.runner.run(lambda: save_token(token), on_done=kept, on_error=failed, must_finish=True)

    def _say_error(self, error: Exception) -> None:
        self.library_panel.token_status.setText(error_text(error))

    def _import_chosen(self) -> None:
        path = self._choose_file(self)
        if path:
            self.import_files([path])

    def _change_folder(self) -> None:
        folder = self._choose_dir(self)
        if not folder:
            return
        unfinished = self.queue is not None and any(
            i.status is not ItemStatus.COMPLETED for i in self.queue.items()
        )
        if unfinished:
            self.library_panel.token_status.setText(
                "Finish or cancel the downloads first: their partial files are in the"
                " current folder."
            )
            return
        if self.queue is not None:
            self.queue.close(timeout=10)
        self.library.set_models_dir(Path(folder))
        self._start_queue()
        self.refresh_library()
        self.models_folder_changed.emit(str(self.library.models_dir))
        self.library_changed.emit()


def _licence_words(url: str) -> str:
    link = html.escape(url)
    return (
        f'This model is gated: accept its licence at <a href="{link}">{link}</a> while signed in'
        " to Hugging Face, then save your access token under “On this computer”."
    )
