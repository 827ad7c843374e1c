"""The first-run welcome: chat with the starter model now, or get a model that suits
this computer."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.cli.output import human_size
from app.library.recommend import Suggestion


class WelcomePanel(QFrame):
    """Signals: ``start_chat_requested()``; ``download_requested(str repo_id)``."""

    start_chat_requested = Signal()
    download_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        title = QLabel("<h2>Welcome to Hearth</h2>", self)
        intro = QLabel(
            "Models run on this computer, offline. The small starter model is ready now;"
            " a larger one answers far better.",
            self,
        )
        intro.setWordWrap(True)
        self.start_button = QPushButton("Chat with the starter model", self)
        self.start_button.clicked.connect(self.start_chat_requested)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.suggestions_title = QLabel(self)
        self.suggestions_title.setWordWrap(True)
        layout.addWidget(self.suggestions_title)
        self._rows = QVBoxLayout()
        layout.addLayout(self._rows)
        self.buttons: list[QPushButton] = []
        self.suggestions_title.setText("Looking for models that suit this computer…")

    def show_suggestions(self, suggestions: list[Suggestion], memory_text: str) -> None:
        if not suggestions:
            self.suggestions_title.setText(
                f"None of Hearth's picks fits this computer ({memory_text}); the Models page"
                " can search for smaller ones."
            )
            return
        self.suggestions_title.setText(f"<b>Recommended for this computer</b> ({memory_text}):")
        for suggestion in suggestions:
            row = QHBoxLayout()
            label = QLabel(
                f"{suggestion.name} · {suggestion.file_name} · "
                f"{human_size(suggestion.size_bytes)} · {suggestion.verdict.label}",
                self,
            )
            label.setToolTip(suggestion.explain)
            button = QPushButton("Get it…", self)
            button.setToolTip(f"Open {suggestion.repo_id} in the Models page")
            button.clicked.connect(
                lambda _checked=False, repo=suggestion.repo_id: self.download_requested.emit(repo)
            )
            row.addWidget(label, 1)
            row.addWidget(button)
            self._rows.addLayout(row)
            self.buttons.append(button)
