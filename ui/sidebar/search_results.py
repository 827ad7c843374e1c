"""Search hits for the sidebar: the list model and the safe rich-text form of a snippet.

Snippets are message text, which is untrusted (a model can be made to write any HTML).
The store marks matched words with two private-use characters; :func:`snippet_html`
escapes everything first and only then turns those marks into ``<b>`` tags, so nothing
from the message can become markup.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from app.store.records import SearchHit

# Private-use code points: they do not occur in ordinary text, so they can only be marks.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_END = "\ue001"
HIGHLIGHT = (HIGHLIGHT_START, HIGHLIGHT_END)

_ROLE_LABELS = {"user": "You", "assistant": "Assistant", "system": "System"}

AnyIndex = QModelIndex | QPersistentModelIndex


class SearchRole(IntEnum):
    """Extra data roles for search hits."""

    HTML = Qt.ItemDataRole.UserRole + 11
    HIT = Qt.ItemDataRole.UserRole + 12


def snippet_html(snippet: str) -> str:
    """The snippet as rich text: escaped, with matched words in bold."""
    escaped = html.escape(snippet, quote=False)
    return escaped.replace(HIGHLIGHT_START, "<b>").replace(HIGHLIGHT_END, "</b>")


def snippet_text(snippet: str) -> str:
    """The snippet as plain text (for accessibility and tooltips)."""
    return snippet.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")


def hit_html(hit: SearchHit) -> str:
    """One hit's two lines: the conversation title, then "Who: snippet"."""
    title = html.escape(hit.conversation_title, quote=False)
    who = _ROLE_LABELS.get(hit.role, hit.role.capitalize())
    return (
        f'<div style="font-weight:600">{title}</div>'
        f"<div>{html.escape(who, quote=False)}: {snippet_html(hit.snippet)}</div>"
    )


class SearchResultsModel(QAbstractListModel):
    """The hits of the latest search, best first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hits: list[SearchHit] = []

    def rowCount(self, parent: AnyIndex | None = None) -> int:
        if parent is not None and parent.isValid():
            return 0
        return len(self._hits)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return f"{hit.conversation_title}\n{snippet_text(hit.snippet)}"
        if role == SearchRole.HTML:
            return hit_html(hit)
        if role == SearchRole.HIT:
            return hit
        return None

    def set_hits(self, hits: Sequence[SearchHit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self.endResetModel()

    def hit_at(self, row: int) -> SearchHit:
        return self._hits[row]
