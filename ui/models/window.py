"""The Models page in a window of its own, opened from the main window's toolbar.

Closing it only hides it: downloads carry on, and the page keeps its state.
"""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.models.page import ModelsPage


class ModelsWindow(QWidget):
    def __init__(self, page: ModelsPage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models — Hearth")
        self.resize(1000, 760)
        self.page = page
        page.setParent(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(page)

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self.hide()
