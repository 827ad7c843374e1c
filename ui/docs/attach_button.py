"""The paperclip beside the message box: choose documents for this chat."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QToolButton, QWidget

FILTER = (
    "Documents (*.pdf *.docx *.md *.markdown *.txt *.html *.htm *.csv *.tsv *.rst"
    " *.py *.js *.ts *.c *.cpp *.h *.java *.go *.rs *.rb *.json *.yaml *.yml *.toml);;"
    "All files (*)"
)
ChooseFiles = Callable[[QWidget], list[str]]


def choose_with_dialog(parent: QWidget) -> list[str]:
    paths, _filter = QFileDialog.getOpenFileNames(parent, "Attach documents", "", FILTER)
    return list(paths)


class AttachButton(QToolButton):
    """Signal: ``files_chosen(list)``, the paths the user picked (never empty)."""

    files_chosen = Signal(list)

    def __init__(self, parent: QWidget | None = None, choose: ChooseFiles = choose_with_dialog):
        super().__init__(parent)
        self.choose = choose
        # Words, not a paperclip emoji: without an emoji font (many Linux desktops) the
        # glyph shows as an empty box.
        self.setText("Attach…")
        self.setToolTip("Attach documents to this chat (or drop files on it)")
        self.setAccessibleName("Attach documents")
        self.setAutoRaise(True)
        self.clicked.connect(self._clicked)

    def _clicked(self) -> None:
        paths = self.choose(self.window())
        if paths:
            self.files_chosen.emit(paths)
