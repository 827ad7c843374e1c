"""Documents in the window: one owner for attaching, indexing, collections and citations.

- The paperclip and drops on the chat add files to the chat's own collection (made on
  first use and switched on for that chat); the Documents menu switches named
  collections on and off for the chat shown; "Manage collections…" opens the page.
- Indexing runs one collection at a time on the window's background runner, reporting
  files, pages and passages as it goes, with Pause and Cancel; watched folders are
  polled for changed files on the same runner every ``WATCH_MS``.
- Each finished answer whose question used documents gets its ``[n]`` marks made links
  and the "Searched 3 files · used 5 passages" line; a citation opens the viewer at its
  page or lines, the passage highlighted.
- The chat service asks, for each reply, for the passages of the chat's collections
  (``ChatService.documents_for``); with them on, no tool runs without asking.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QVBoxLayout, QWidget

from app.docs import sources
from app.docs.chat_docs import ChatDocs
from app.docs.context import link_citations
from app.docs.embedder import LlamaEmbedder
from app.docs.index import DocsError
from app.docs.indexer import IndexControl, Progress, index_collection
from app.docs.places import PlaceText, place_text
from app.docs.sources import Source
from app.docs.vectors import embed_missing
from app.hearth import Hearth
from app.library.local_models import LocalModel
from ui.background import BackgroundRunner, Worker, error_text
from ui.chat.chat_view import ChatView
from ui.chat.controller import ChatController
from ui.chat.message_widget import MessageWidget
from ui.docs.collections_dialog import CollectionsDialog
from ui.docs.sources_line import SourcesLine, citation_url, parse_citation
from ui.docs.strip import DocsStrip
from ui.docs.viewer import PassageViewer

log = logging.getLogger(__name__)

WATCH_MS = 5000

AskName = Callable[[QWidget], str | None]
ChooseFolder = Callable[[QWidget], str | None]
ChooseFiles = Callable[[QWidget], list[str]]
ChooseEmbedder = Callable[[QWidget, list[str]], str | None]
NO_EMBEDDER = "None: BM25 alone"


def _choose_embedder(parent: QWidget, names: list[str]) -> str | None:
    item, ok = QInputDialog.getItem(
        parent,
        "Embedding model",
        "Vector search for documents (a GGUF embedding model; BM25 needs none):",
        [NO_EMBEDDER, *names],
        0,
        False,
    )
    return item if ok else None


def _ask_name(parent: QWidget) -> str | None:
    name, ok = QInputDialog.getText(parent, "New collection", "Name (e.g. Taxes 2026):")
    return name if ok and name.strip() else None


def _choose_folder(parent: QWidget) -> str | None:
    return QFileDialog.getExistingDirectory(parent, "Add a folder (it is watched)") or None


def _choose_files(parent: QWidget) -> list[str]:
    from ui.docs.attach_button import choose_with_dialog

    return choose_with_dialog(parent)


class DocsController(QObject):
    """Signal: ``indexing_finished(object)`` with the last :class:`Progress`."""

    indexing_finished = Signal(object)

    def __init__(
        self,
        hearth: Hearth,
        runner: BackgroundRunner,
        chat: ChatController,
        view: ChatView,
        strip: DocsStrip,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.hearth = hearth
        self.runner = runner
        self.chat = chat
        self.view = view
        self.strip = strip
        self.window = parent
        self.docs = ChatDocs.open(hearth.paths.data)
        hearth.chat.documents_for = self.docs.provider(self._context_tokens)
        self.ask_name: AskName = _ask_name
        self.choose_folder: ChooseFolder = _choose_folder
        self.choose_files: ChooseFiles = _choose_files
        self.choose_embedder: ChooseEmbedder = _choose_embedder
        self.viewer: PassageViewer | None = None
        self.dialog: CollectionsDialog | None = None
        self._queue: deque[int] = deque()
        self._control: IndexControl | None = None
        self._job: Worker | None = None
        self._last = Progress()
        self._closed = False
        strip.menu.aboutToShow.connect(self.refresh_strip)
        strip.collection_toggled.connect(self._toggled)
        strip.manage_requested.connect(self.open_collections)
        strip.pause_clicked.connect(self.toggle_pause)
        strip.cancel_clicked.connect(self.cancel)
        view.message_shown.connect(self._message_shown)
        self.watch_timer = QTimer(self)
        self.watch_timer.setInterval(WATCH_MS)
        self.watch_timer.timeout.connect(self.check_watched)
        self.watch_timer.start()

    def _context_tokens(self) -> int:
        info = self.hearth.engine.info
        return info.n_ctx if info else 0

    @property
    def indexing(self) -> bool:
        return self._job is not None

    # -- adding documents ------------------------------------------------------------------

    def attach(self, paths: list[str]) -> None:
        """Files (or folders) for the chat shown: its own collection, indexed now."""
        if self._closed or not paths:
            return
        conversation = self.chat.conversation_id
        if conversation is None:
            title = "Documents: " + ", ".join(Path(p).name for p in paths)[:50]
            model = self.hearth.chat.model_name
            conversation = self.hearth.conversations.create_conversation(title, model).id
            self.chat.show_conversation(conversation)
            self.chat.conversations_changed.emit()
        collection = self.docs.index.chat_collection(conversation)
        problems = []
        for path in paths:
            try:
                self.docs.index.add_source(collection, Path(path))
            except DocsError as problem:
                problems.append(str(problem))
        if problems:
            self.strip.show_message(" ".join(problems))
        self.refresh_strip()
        self.index(collection)

    def _toggled(self, collection_id: int, on: bool) -> None:
        conversation = self.chat.conversation_id
        if conversation is None:
            self.strip.show_message("Send a first message, then switch collections on.")
            self.refresh_strip()
            return
        self.docs.index.switch_on(conversation, collection_id, on)
        self.refresh_strip()

    def refresh_strip(self) -> None:
        conversation = self.chat.conversation_id
        on = set(self.docs.index.chat_collections(conversation)) if conversation else set()
        shown = [
            (c.id, c.name, c.id in on)
            for c in self.docs.index.collections(include_chats=True)
            if c.chat_id is None or c.chat_id == conversation
        ]
        self.strip.set_collections(shown)

    # -- indexing ----------------------------------------------------------------------------

    def index(self, collection_id: int) -> None:
        if collection_id not in self._queue:
            self._queue.append(collection_id)
        self._next()

    def _next(self) -> None:
        if self._job is not None or not self._queue or self._closed:
            return
        collection = self._queue.popleft()
        control = self._control = IndexControl()
        index, embedder = self.docs.index, self.docs.embedder
        self._last = Progress()
        self._job = self.runner.run(
            lambda: index_collection(index, collection, control, embedder),
            on_yield=self._progress,
            on_error=lambda error: self.strip.show_message(f"Indexing failed: {error_text(error)}"),
            on_finished=self._job_finished,
        )

    def _progress(self, progress: Progress) -> None:
        self._last = progress
        if progress.finished:
            self.strip.show_finished(progress)
            self.indexing_finished.emit(progress)
        else:
            self.strip.show_progress(progress, self._control is not None and self._control.paused)

    def _job_finished(self) -> None:
        self._job = None
        self._control = None
        self.refresh_strip()
        self._refresh_dialog()
        self._next()

    def toggle_pause(self) -> None:
        control = self._control
        if control is None:
            return
        if control.paused:
            control.resume()
        else:
            control.pause()
        self.strip.show_progress(self._last, control.paused)

    def cancel(self) -> None:
        self._queue.clear()
        if self._control is not None:
            self._control.cancel()

    def check_watched(self) -> None:
        """Collections whose folders hold new or changed files are indexed again."""
        if self._job is not None or self._closed:
            return
        index = self.docs.index

        def changed() -> list[int]:
            found = []
            for collection in index.collections(include_chats=True):
                if index.stale_files(collection.id):
                    found.append(collection.id)
            return found

        def queue(ids: list[int]) -> None:
            for collection_id in ids:
                self.index(collection_id)

        self.runner.run(changed, on_done=queue)

    # -- citations ------------------------------------------------------------------------------

    def _message_shown(self, widget: MessageWidget) -> None:
        if self._closed:  # a reply finishing as the window closes: the index is shut
            return
        message = widget.message
        if message.role != "assistant" or message.status == "streaming" or not message.content:
            return
        if message.parent_id is None or widget.findChild(SourcesLine) is not None:
            return
        kept = sources.sources_for(self.docs.index, message.parent_id)
        if kept is None:
            return
        question = message.parent_id
        body = widget.body
        if hasattr(body, "set_markdown"):
            prefix = citation_url(question, 0).toString()[:-1]
            body.set_markdown(link_citations(message.content, len(kept.sources), prefix))
        line = SourcesLine(question, kept, widget)
        line.citation_clicked.connect(self.open_citation)
        layout = widget.layout()
        if isinstance(layout, QVBoxLayout):
            layout.insertWidget(layout.indexOf(widget.note_label), line)

    def open_citation(self, url: QUrl) -> bool:
        """Opens a citation link in the viewer; False when ``url`` is not one."""
        found = parse_citation(url)
        if found is None:
            return False
        kept = sources.sources_for(self.docs.index, found[0])
        source = kept.source(found[1]) if kept else None
        if source is None:
            QMessageBox.information(self.window, "Passage", "That passage is no longer kept.")
            return True
        self.show_source(source)
        return True

    def show_source(self, source: Source) -> None:
        if self.viewer is None:
            self.viewer = PassageViewer(self.window)
        viewer = self.viewer
        viewer.show_loading(source)
        viewer.show()
        viewer.raise_()

        def shown(place: PlaceText) -> None:
            if viewer.source is source:
                viewer.show_place(place)

        self.runner.run(lambda: place_text(source), on_done=shown)

    # -- the collections page ---------------------------------------------------------------

    def open_collections(self) -> None:
        if self.dialog is None:
            dialog = self.dialog = CollectionsDialog(self.window)
            dialog.new_requested.connect(self._new_collection)
            dialog.add_files_requested.connect(self._add_files)
            dialog.add_folder_requested.connect(self._add_folder)
            dialog.remove_requested.connect(self._remove)
            dialog.reindex_requested.connect(self.index)
            dialog.selected.connect(self._show_files)
            dialog.embedder_requested.connect(self.pick_embedder)
        self._refresh_dialog()
        self.dialog.show()
        self.dialog.raise_()

    def _refresh_dialog(self, select: int | None = None) -> None:
        if self.dialog is not None:
            self.dialog.show_collections(self.docs.index.collections(), select)
            self.dialog.embedder_label.setText(self.search_description())

    def search_description(self) -> str:
        embedder = self.docs.embedder
        if embedder is None:
            return "Search: BM25 (full text) alone; no embedding model."
        return f"Search: hybrid, BM25 with vectors from {embedder.name}."

    # -- the embedding model ---------------------------------------------------------------

    def pick_embedder(self) -> None:
        """Lists the local models (off the GUI thread), then asks which embeds."""
        self.runner.run(self.hearth.local_models, on_done=self._embedder_chosen_from)

    def _embedder_chosen_from(self, models: list[LocalModel]) -> None:
        choice = self.choose_embedder(self.window, [model.name for model in models])
        if choice is None:
            return
        if choice == NO_EMBEDDER:
            self._use_embedder(None)
            self.docs.index.set_embedder_path(None)
            self._refresh_dialog()
            return
        model = next((m for m in models if m.name == choice), None)
        if model is None:
            return
        embedder = LlamaEmbedder(model.path)
        index = self.docs.index
        self.strip.show_message(f"Embedding passages with {model.name}…")

        def embed_all() -> Iterator[int]:
            embedder.embed(["a test sentence"])  # a model that cannot embed fails here
            index.set_embedder_path(model.path)
            yield from embed_missing(index, embedder)

        def done(_result: object) -> None:
            self._use_embedder(embedder)
            self.strip.show_message(f"Vectors from {model.name}: search is hybrid.")
            self._refresh_dialog()

        def failed(error: Exception) -> None:
            embedder.close()
            self.strip.show_message(f"{model.name} cannot embed: {error_text(error)}")

        self.runner.run(
            embed_all,
            on_yield=lambda count: self.strip.show_message(f"Embedded {count} passages…"),
            on_done=done,
            on_error=failed,
        )

    def _use_embedder(self, embedder: LlamaEmbedder | None) -> None:
        old = self.docs.retriever.embedder
        self.docs.retriever.embedder = embedder
        close = getattr(old, "close", None)
        if close is not None and old is not embedder:
            close()

    def _show_files(self, collection_id: int) -> None:
        if self.dialog is not None:
            self.dialog.show_files(self.docs.index.files([collection_id]))

    def _new_collection(self) -> None:
        name = self.ask_name(self.window)
        if not name:
            return
        try:
            collection = self.docs.index.create_collection(name)
        except DocsError as problem:
            if self.dialog is not None:
                self.dialog.status.setText(str(problem))
            return
        self._refresh_dialog(collection)
        self.refresh_strip()

    def _add_files(self, collection_id: int) -> None:
        self._add(collection_id, self.choose_files(self.window))

    def _add_folder(self, collection_id: int) -> None:
        folder = self.choose_folder(self.window)
        self._add(collection_id, [folder] if folder else [])

    def _add(self, collection_id: int, paths: list[str]) -> None:
        problems = []
        for path in paths:
            try:
                self.docs.index.add_source(collection_id, Path(path))
            except DocsError as problem:
                problems.append(str(problem))
        if self.dialog is not None:
            self.dialog.status.setText(" ".join(problems))
        if paths:
            self.index(collection_id)

    def _remove(self, collection_id: int) -> None:
        self.docs.index.remove_collection(collection_id)
        self._refresh_dialog()
        self.refresh_strip()

    # -- closing --------------------------------------------------------------------------------

    def begin_shutdown(self) -> None:
        """Never blocks: indexing stops between pages (the file being read is not kept)."""
        self._closed = True
        self.watch_timer.stop()
        self._queue.clear()
        if self._control is not None:
            self._control.cancel()
        if self.hearth.chat.documents_for is not None:
            self.hearth.chat.documents_for = None

    def close(self) -> None:
        self.begin_shutdown()
        self.docs.close()
