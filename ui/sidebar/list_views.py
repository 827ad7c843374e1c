"""List views with the sidebar's keyboard and mouse habits.

:class:`KeyboardListView` opens the current item on Enter (on every platform; plain Qt
starts editing on macOS) and, when asked to, claims Esc (ahead of any window shortcut)
and reports it. :class:`ConversationListView`
adds F2 to rename, Delete (and Ctrl/Cmd+Backspace) to delete, a context-menu request for
the item under the pointer or at the keyboard cursor (Menu key, Shift+F10), and a hint
when the list is empty.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QEvent, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
)
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

_OPEN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class KeyboardListView(QListView):
    """A list where Enter opens the current item; Esc is reported if ``claims_escape``.

    Signals:
        open_requested(QModelIndex): Enter on an item, or a left click on one.
        escape_pressed(): Esc while not editing (only when ``claims_escape`` is set).
    """

    open_requested = Signal(QModelIndex)
    escape_pressed = Signal()

    def __init__(self, parent: QWidget | None = None, *, claims_escape: bool = False) -> None:
        super().__init__(parent)
        self._claims_escape = claims_escape
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.clicked.connect(self._on_clicked)

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_requested.emit(index)

    def _wants_escape(self, event: QKeyEvent) -> bool:
        return (
            self._claims_escape
            and event.key() == Qt.Key.Key_Escape
            and self.state() != QAbstractItemView.State.EditingState
        )

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and self._wants_escape(event)
        ):
            event.accept()  # deliver Esc here as a key press, not to a window shortcut
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        editing = self.state() == QAbstractItemView.State.EditingState
        if not editing and event.key() in _OPEN_KEYS:
            index = self.currentIndex()
            if index.isValid():
                self.open_requested.emit(index)
                event.accept()
                return
        if self._wants_escape(event):
            self.escape_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class ConversationListView(KeyboardListView):
    """The conversation list: rename, delete and a context menu from keys or pointer.

    Signals:
        delete_requested(QModelIndex): the Delete key on the current item.
        menu_requested(QModelIndex, QPoint global_position): a context menu is wanted.
    """

    delete_requested = Signal(QModelIndex)
    menu_requested = Signal(QModelIndex, QPoint)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        # Every row has the same two lines, which lets the view skip measuring each one.
        self.setUniformItemSizes(True)
        self.empty_text = "No conversations yet"

    def _row_action(self, event: QKeyEvent) -> Callable[[], None] | None:
        """What a key does to the keyboard cursor's row, if it is one of ours."""
        index = self.currentIndex()
        if self.state() == QAbstractItemView.State.EditingState or not index.isValid():
            return None
        key, modifiers = event.key(), event.modifiers()
        if key == Qt.Key.Key_F2:
            return partial(self.edit, index)
        if event.matches(QKeySequence.StandardKey.Delete) or (
            # Mac keyboards label Backspace "delete"; Cmd+Backspace is Finder's habit.
            key == Qt.Key.Key_Backspace and modifiers == Qt.KeyboardModifier.ControlModifier
        ):
            return partial(self.delete_requested.emit, index)
        if key == Qt.Key.Key_Menu or (
            key == Qt.Key.Key_F10 and modifiers == Qt.KeyboardModifier.ShiftModifier
        ):
            # Handled (and accepted) here, so the platform sends no second menu event.
            return self._request_menu_at_cursor
        return None

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and self._row_action(event) is not None
        ):
            event.accept()  # our keys reach keyPressEvent even if the window binds them
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self._row_action(event)
        if action is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            index = self.indexAt(event.pos())
            if index.isValid():
                self.menu_requested.emit(index, event.globalPos())
        else:
            self._request_menu_at_cursor()
        event.accept()

    def _request_menu_at_cursor(self) -> None:
        # From the keyboard: the menu opens at the keyboard cursor's row.
        index = self.currentIndex()
        if index.isValid():
            self.menu_requested.emit(
                index, self.viewport().mapToGlobal(self.visualRect(index).center())
            )

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0 and self.empty_text:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                self.viewport().rect().adjusted(12, 12, -12, -12),
                Qt.AlignmentFlag.AlignHCenter
                | Qt.AlignmentFlag.AlignTop
                | Qt.TextFlag.TextWordWrap,
                self.empty_text,
            )
            painter.end()
