"""The list model behind the sidebar: conversations, newest first, with editable titles.

The model holds snapshots (:class:`~app.store.records.Conversation`) and knows nothing of
the database. An edited title is applied to the row and announced with
:attr:`ConversationListModel.title_edited`; the sidebar writes it to the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from app.library.model_keys import key_label
from app.store.records import Conversation
from ui.sidebar.relative_time import relative_time

AnyIndex = QModelIndex | QPersistentModelIndex


class ConversationRole(IntEnum):
    """Extra data roles the delegate and the sidebar read."""

    ID = Qt.ItemDataRole.UserRole + 1
    SUBTITLE = Qt.ItemDataRole.UserRole + 2
    CONVERSATION = Qt.ItemDataRole.UserRole + 3


def model_label(model: str | None) -> str:
    """A short name for a model key such as ``org/repo/name-Q4_K_M.gguf``."""
    return key_label(model)


class ConversationListModel(QAbstractListModel):
    """Conversations for a list view; titles are editable in place.

    Signals:
        title_edited(int conversation_id, str title): the user committed a new title.
    """

    title_edited = Signal(int, str)

    def __init__(
        self, parent: QObject | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(parent)
        self._rows: list[Conversation] = []
        self._clock = clock

    # Reading -------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex | None = None) -> int:
        # A list model has children only under the invisible root.
        if parent is not None and parent.isValid():
            return 0
        return len(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        conversation = self._rows[index.row()]
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.EditRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return conversation.title
        if role == ConversationRole.ID:
            return conversation.id
        if role == ConversationRole.SUBTITLE:
            when = relative_time(conversation.updated_at, self._clock())
            return f"{model_label(conversation.model)} · {when}"
        if role == ConversationRole.CONVERSATION:
            return conversation
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return self.data(index, ConversationRole.SUBTITLE)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def row_of(self, conversation_id: int) -> int | None:
        """The row showing ``conversation_id``, or ``None``."""
        for row, conversation in enumerate(self._rows):
            if conversation.id == conversation_id:
                return row
        return None

    def conversation_at(self, row: int) -> Conversation:
        return self._rows[row]

    # Changing ------------------------------------------------------------------------

    def set_conversations(self, conversations: Sequence[Conversation]) -> None:
        """Replace every row (the caller restores the selection afterwards)."""
        self.beginResetModel()
        self._rows = list(conversations)
        self.endResetModel()

    def remove_conversation(self, conversation_id: int) -> Conversation | None:
        """Take the row out; returns the conversation that was there, if any."""
        row = self.row_of(conversation_id)
        if row is None:
            return None
        self.beginRemoveRows(QModelIndex(), row, row)
        removed = self._rows.pop(row)
        self.endRemoveRows()
        return removed

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        title = str(value).strip()
        conversation = self._rows[index.row()]
        # An empty title would leave an unclickable blank row; keep the old one.
        if not title or title == conversation.title:
            return False
        self._rows[index.row()] = replace(conversation, title=title)
        self.dataChanged.emit(index, index)
        self.title_edited.emit(conversation.id, title)
        return True
