"""List views with the sidebar's keyboard and mouse habits.

:class:`KeyboardListView` opens the current item on Enter (on every platform; plain Qt
starts editing on macOS) and hands Esc to whoever listens. :class:`ConversationListView`
adds F2 to rename, Delete (and Backspace on macOS keyboards) to delete, a context-menu
request for the item under the pointer or the keyboard cursor, and a hint when empty.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
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
    """A list where Enter opens the current item and Esc is reported.

    Signals:
        open_requested(QModelIndex): Enter on an item, or a left click on one.
        escape_pressed(): Esc while not editing.
    """

    open_requested = Signal(QModelIndex)
    escape_pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.clicked.connect(self._on_clicked)

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_requested.emit(index)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        editing = self.state() == QAbstractItemView.State.EditingState
        if not editing and event.key() in _OPEN_KEYS:
            index = self.currentIndex()
            if index.isValid():
                self.open_requested.emit(index)
                event.accept()
                return
        if not editing and event.key() == Qt.Key.Key_Escape:
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

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.state() != QAbstractItemView.State.EditingState:
            index = self.currentIndex()
            if event.key() == Qt.Key.Key_F2 and index.isValid():
                self.edit(index)
                event.accept()
                return
            is_delete = event.matches(QKeySequence.StandardKey.Delete) or (
                # Mac keyboards label Backspace "delete"; Cmd+Backspace is Finder's habit.
                event.key() == Qt.Key.Key_Backspace
                and event.modifiers() == Qt.KeyboardModifier.ControlModifier
            )
            if is_delete and index.isValid():
                self.delete_requested.emit(index)
                event.accept()
                return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            index = self.indexAt(event.pos())
            position = event.globalPos()
        else:
            # From the keyboard: the menu opens at the keyboard cursor's row.
            index = self.currentIndex()
            position = self.viewport().mapToGlobal(self.visualRect(index).center())
        if index.isValid():
            self.setCurrentIndex(index)
            self.menu_requested.emit(index, position)
        event.accept()

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
