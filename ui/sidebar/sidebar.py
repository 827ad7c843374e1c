"""The conversations sidebar: New chat, search, the list of chats, and an undo bar.

:class:`ConversationSidebar` is a self-contained widget over a
:class:`~app.store.conversations.ConversationStore`. It renames, deletes (softly, with
Undo), exports and searches on its own, and tells the window what the user wants to open
through signals. Short writes (rename, delete, restore) and the list reload run on the
GUI thread; search and export run on a worker thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QMenu,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.store.conversations import ConversationStore
from app.store.errors import NotFoundError
from ui.background import BackgroundRunner, error_text
from ui.sidebar.context_menu import ConversationMenuActions, build_conversation_menu
from ui.sidebar.conversation_delegate import ConversationDelegate
from ui.sidebar.conversation_model import ConversationListModel, ConversationRole
from ui.sidebar.export import (
    ExportPathChooser,
    choose_export_path,
    suggested_file_name,
    write_export,
)
from ui.sidebar.list_views import ConversationListView, KeyboardListView
from ui.sidebar.notice_bar import NoticeBar
from ui.sidebar.search_controller import DEFAULT_DEBOUNCE_MS, SearchController
from ui.sidebar.search_delegate import SearchHitDelegate
from ui.sidebar.search_field import SearchField
from ui.sidebar.search_results import SearchResultsModel, SearchRole

log = logging.getLogger(__name__)

UNDO_TIMEOUT_MS = 10_000
NOTICE_TIMEOUT_MS = 6_000
# Relative times ("5 min ago") are recomputed on paint; repaint often enough to stay true.
_TIME_LABEL_REFRESH_MS = 60_000
_TITLE_IN_NOTICE = 40

_LIST_PAGE = 0
_SEARCH_PAGE = 1


@dataclass(frozen=True)
class _PendingUndo:
    conversation_id: int
    was_open: bool


def _short_title(title: str) -> str:
    return title if len(title) <= _TITLE_IN_NOTICE else title[: _TITLE_IN_NOTICE - 1] + "…"


class ConversationSidebar(QWidget):
    """The chats list on the left of the window.

    Signals:
        conversation_selected(int conversation_id): the user opened a conversation
            (click, or Enter on the keyboard cursor), or Undo brought back the open one.
        new_chat_requested(): the New chat button was pressed.
        search_hit_activated(int conversation_id, int message_id): a search hit was opened.
        conversation_deleted(int conversation_id): moved to the bin (Undo may follow).
        conversation_restored(int conversation_id): Undo brought it back.
        conversation_renamed(int conversation_id, str title): a new title was saved.

    ``clock`` (Unix seconds) is what "5 min ago" is measured against. Call
    :meth:`stop_background_work` before closing the database.
    """

    conversation_selected = Signal(int)
    new_chat_requested = Signal()
    search_hit_activated = Signal(int, int)
    conversation_deleted = Signal(int)
    conversation_restored = Signal(int)
    conversation_renamed = Signal(int, str)

    def __init__(
        self,
        store: ConversationStore,
        parent: QWidget | None = None,
        *,
        choose_export_path: ExportPathChooser = choose_export_path,
        undo_timeout_ms: int = UNDO_TIMEOUT_MS,
        search_debounce_ms: int = DEFAULT_DEBOUNCE_MS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._choose_export_path = choose_export_path
        self._undo_timeout_ms = undo_timeout_ms
        # The conversation the window shows; the list's cursor may be elsewhere.
        self._open_id: int | None = None
        self._pending_undo: _PendingUndo | None = None
        self._menu: QMenu | None = None
        self._refresh_after_edit = False
        # One thread: the database serialises access anyway, and order stays predictable.
        self._runner = BackgroundRunner(self, max_threads=1, name="hearth-sidebar")

        self.new_chat_button = QPushButton("New chat", self)
        self.new_chat_button.setToolTip("Start a new conversation")
        self.new_chat_button.clicked.connect(self.new_chat_requested)

        self.search_field = SearchField(self)

        self.list_model = ConversationListModel(self, clock=clock)
        self.list_view = ConversationListView(self)
        self.list_view.setAccessibleName("Conversations")
        self.list_view.setModel(self.list_model)
        delegate = ConversationDelegate(self.list_view)
        self.list_view.setItemDelegate(delegate)
        # Queued: by then the view has left its editing state.
        delegate.closeEditor.connect(self._refresh_if_deferred, Qt.ConnectionType.QueuedConnection)

        self.results_model = SearchResultsModel(self)
        self.results_view = KeyboardListView(self, claims_escape=True)
        self.results_view.setAccessibleName("Search results")
        self.results_view.setModel(self.results_model)
        self.results_view.setItemDelegate(SearchHitDelegate(self.results_view))
        self.results_view.setResizeMode(KeyboardListView.ResizeMode.Adjust)
        self.search_status = QLabel(self)
        self.search_status.setWordWrap(True)
        self.search_status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.search_status.hide()

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.list_view)
        search_page = QWidget(self)
        search_layout = QVBoxLayout(search_page)
        search_layout.setContentsMargins(0, 0, 0, 0)
        search_layout.addWidget(self.search_status)
        search_layout.addWidget(self.results_view, 1)
        self.stack.addWidget(search_page)

        self.notice_bar = NoticeBar(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.new_chat_button)
        layout.addWidget(self.search_field)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.notice_bar)

        self._search = SearchController(store, self._runner, self, debounce_ms=search_debounce_ms)
        self._connect()
        self._time_labels = QTimer(self)
        self._time_labels.timeout.connect(self.list_view.viewport().update)
        self._time_labels.start(_TIME_LABEL_REFRESH_MS)
        self.refresh()

    def _connect(self) -> None:
        self.list_view.open_requested.connect(self._open_index)
        self.list_view.delete_requested.connect(self._delete_index)
        self.list_view.menu_requested.connect(self._show_menu)
        self.list_model.title_edited.connect(self._save_title)

        self.search_field.textChanged.connect(self._on_search_text)
        self.search_field.escape_pressed.connect(self._leave_search)
        self.search_field.down_pressed.connect(self._enter_results)
        self.search_field.enter_pressed.connect(self._open_current_hit)
        self.results_view.open_requested.connect(self._open_hit)
        self.results_view.escape_pressed.connect(self._leave_search)

        self._search.started.connect(self._on_search_started)
        self._search.results_ready.connect(self._on_search_results)
        self._search.failed.connect(self._on_search_failed)

        self.notice_bar.action_triggered.connect(self._undo_delete)
        self.notice_bar.expired.connect(self._forget_undo)

    # Public API ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the list from the store, keeping the highlighted row and the scroll.

        While a title is being edited the reload waits until the editor closes, so a
        refresh from elsewhere never throws away what the user is typing.
        """
        if self.list_view.state() == QAbstractItemView.State.EditingState:
            self._refresh_after_edit = True
            return
        self._refresh_after_edit = False
        keep = self._id_at(self.list_view.currentIndex())
        scroll = self.list_view.verticalScrollBar().value()
        self.list_model.set_conversations(self._store.list_conversations())
        self.list_view.verticalScrollBar().setValue(scroll)
        if self._open_id is not None and self.list_model.row_of(self._open_id) is None:
            self._open_id = None
        target = keep if keep is not None else self._open_id
        if target is not None:
            self._highlight(target)

    def _refresh_if_deferred(self) -> None:
        if self._refresh_after_edit:
            self.refresh()

    def select_conversation(self, conversation_id: int) -> None:
        """Show ``conversation_id`` as the open one (no signal; the window asked for it)."""
        if self.list_model.row_of(conversation_id) is None:
            self.refresh()
        if self.list_model.row_of(conversation_id) is None and not self._refresh_after_edit:
            self._open_id = None
            self.list_view.clearSelection()
            return
        self._open_id = conversation_id
        self._highlight(conversation_id)

    def clear_selection(self) -> None:
        """Nothing is open (a new, unsaved chat): no row is highlighted."""
        self._open_id = None
        self.list_view.clearSelection()
        self.list_view.setCurrentIndex(QModelIndex())

    def current_conversation_id(self) -> int | None:
        """The conversation last opened here or given to :meth:`select_conversation`."""
        return self._open_id

    def focus_search(self) -> None:
        """Put the cursor in the search field with its text selected (Ctrl+F)."""
        self.search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_field.selectAll()

    def stop_background_work(self, timeout_ms: int = -1) -> bool:
        """Drop pending searches and wait for running jobs; True when none is left.

        ``timeout_ms`` -1 waits as long as it takes; 0 only asks (an export in progress
        still finishes, on its own thread).
        """
        self._search.stop()
        return self._runner.wait(None if timeout_ms < 0 else timeout_ms / 1000)

    # The list --------------------------------------------------------------------------

    @staticmethod
    def _id_at(index: QModelIndex) -> int | None:
        if not index.isValid():
            return None
        value = index.data(ConversationRole.ID)
        return int(value) if value is not None else None

    def _highlight(self, conversation_id: int) -> None:
        row = self.list_model.row_of(conversation_id)
        if row is None:
            return
        index = self.list_model.index(row)
        self.list_view.setCurrentIndex(index)
        self.list_view.scrollTo(index)

    def _open_index(self, index: QModelIndex) -> None:
        conversation_id = self._id_at(index)
        if conversation_id is None:
            return
        self._open_id = conversation_id
        self.list_view.setCurrentIndex(index)
        self.conversation_selected.emit(conversation_id)

    def _save_title(self, conversation_id: int, title: str) -> None:
        try:
            self._store.rename_conversation(conversation_id, title)
        except NotFoundError:
            log.warning("Conversation %s vanished before its rename was saved", conversation_id)
            self.refresh()
            return
        self.conversation_renamed.emit(conversation_id, title)

    def _rename(self, conversation_id: int) -> None:
        row = self.list_model.row_of(conversation_id)
        if row is not None:
            index = self.list_model.index(row)
            self.list_view.setCurrentIndex(index)
            self.list_view.edit(index)

    # Delete and undo -------------------------------------------------------------------

    def _delete_index(self, index: QModelIndex) -> None:
        conversation_id = self._id_at(index)
        if conversation_id is not None:
            self._delete(conversation_id)

    def _delete(self, conversation_id: int) -> None:
        row = self.list_model.row_of(conversation_id)
        if row is None:
            return
        title = self.list_model.conversation_at(row).title
        try:
            self._store.delete_conversation(conversation_id)
        except NotFoundError:
            self.refresh()
            return
        was_open = self._open_id == conversation_id
        self.list_model.remove_conversation(conversation_id)
        if was_open:
            self._open_id = None
            # Qt highlights the next row; that would look like it is open. Keep only the
            # keyboard cursor there, so Delete can go on down the list.
            current = self.list_view.currentIndex()
            self.list_view.clearSelection()
            self.list_view.selectionModel().setCurrentIndex(
                current, QItemSelectionModel.SelectionFlag.NoUpdate
            )
        self._pending_undo = _PendingUndo(conversation_id, was_open)
        self.notice_bar.show_notice(
            f"Deleted \u201c{_short_title(title)}\u201d", self._undo_timeout_ms, "Undo"
        )
        self.conversation_deleted.emit(conversation_id)

    def _undo_delete(self) -> None:
        pending, self._pending_undo = self._pending_undo, None
        if pending is None:
            return
        conversation_id = pending.conversation_id
        try:
            self._store.restore_conversation(conversation_id)
        except NotFoundError:
            log.warning("Conversation %s was purged before Undo", conversation_id)
            self.refresh()
            return
        self.refresh()
        # It comes back where it was: the list is ordered by activity, which delete and
        # restore leave alone.
        self._highlight(conversation_id)
        self.conversation_restored.emit(conversation_id)
        if pending.was_open:
            self._open_id = conversation_id
            self.conversation_selected.emit(conversation_id)

    def _forget_undo(self) -> None:
        # The deletion stands; the row stays in the bin until a later start purges it.
        self._pending_undo = None

    # Context menu and export -----------------------------------------------------------

    def _show_menu(self, index: QModelIndex, position: QPoint) -> None:
        conversation_id = self._id_at(index)
        if conversation_id is None:
            return
        if self._menu is not None:
            self._menu.deleteLater()
        self._menu = build_conversation_menu(
            self,
            ConversationMenuActions(
                rename=partial(self._rename, conversation_id),
                export_markdown=partial(self._export, conversation_id, "markdown"),
                export_markdown_thinking=partial(
                    self._export, conversation_id, "markdown_thinking"
                ),
                export_json=partial(self._export, conversation_id, "json"),
                delete=partial(self._delete, conversation_id),
            ),
        )
        self._menu.popup(position)

    def _export(self, conversation_id: int, export_format: str) -> None:
        row = self.list_model.row_of(conversation_id)
        if row is None:
            return
        title = self.list_model.conversation_at(row).title
        path = self._choose_export_path(
            self, suggested_file_name(title, export_format), export_format
        )
        if path is None:
            return
        store = self._store

        def job() -> Path:
            return write_export(store, conversation_id, export_format, path)

        self._runner.run(
            job, on_done=self._on_exported, on_error=self._on_export_failed, must_finish=True
        )

    def _show_plain_notice(self, text: str) -> None:
        # This notice takes the bar; an Undo still on offer is no longer reachable.
        self._pending_undo = None
        self.notice_bar.show_notice(text, NOTICE_TIMEOUT_MS)

    def _on_exported(self, path: object) -> None:
        self._show_plain_notice(f"Exported to {Path(str(path)).name}")

    def _on_export_failed(self, error: Exception) -> None:
        log.warning("export failed: %s", error_text(error))
        self._show_plain_notice(f"Could not export: {error_text(error)}")

    # Search ----------------------------------------------------------------------------

    def _on_search_text(self, text: str) -> None:
        searching = bool(text.strip())
        self._search.set_text(text)
        if searching:
            self.stack.setCurrentIndex(_SEARCH_PAGE)
        else:
            self.results_model.set_hits([])
            self.search_status.hide()
            self.stack.setCurrentIndex(_LIST_PAGE)

    def _leave_search(self) -> None:
        self.search_field.clear()
        self.list_view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _enter_results(self) -> None:
        if self.stack.currentIndex() != _SEARCH_PAGE or self.results_model.rowCount() == 0:
            return
        self.results_view.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.results_view.currentIndex().isValid():
            self.results_view.setCurrentIndex(self.results_model.index(0))

    def _open_current_hit(self) -> None:
        if self.stack.currentIndex() != _SEARCH_PAGE or self.results_model.rowCount() == 0:
            return
        index = self.results_view.currentIndex()
        self._open_hit(index if index.isValid() else self.results_model.index(0))

    def _open_hit(self, index: QModelIndex) -> None:
        hit = index.data(SearchRole.HIT)
        if hit is None:
            return
        self.results_view.setCurrentIndex(index)
        self.select_conversation(hit.conversation_id)
        self.search_hit_activated.emit(hit.conversation_id, hit.message_id)

    def _on_search_started(self, query: str) -> None:
        if self.results_model.rowCount() == 0:
            self._set_search_status("Searching…")

    def _on_search_results(self, query: str, hits: list[object]) -> None:
        self.results_model.set_hits(hits)  # type: ignore[arg-type]
        if hits:
            self.search_status.hide()
            self.results_view.setCurrentIndex(self.results_model.index(0))
        else:
            self._set_search_status(f"No messages match \u201c{query.strip()}\u201d")

    def _on_search_failed(self, query: str, message: str) -> None:
        self.results_model.set_hits([])
        self._set_search_status(f"Search failed: {message}")

    def _set_search_status(self, text: str) -> None:
        self.search_status.setText(text)
        self.search_status.show()
