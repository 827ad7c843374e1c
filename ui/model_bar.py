"""The toolbar's model area: which model is loaded, on what, and loading progress.

With more than :data:`SEARCH_AFTER` models the picker takes typing: a few letters of
any part of a model's name narrow the list to the models that contain them, and Enter
or a click loads the one picked.

Models on remote servers follow the local ones, each marked "(remote)" with its server's
name, as the servers last listed them (the bar never contacts a server); "Add a server…"
asks the window to open the dialog for a new one. Embedding models are never listed: they
cannot chat (the documents' "Embedding model…" chooser offers them).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolBar,
    QToolButton,
    QWidget,
)

from app.library.local_models import LocalModel, chat_models
from app.remote.refs import is_remote_ref, parse_ref
from app.remote.servers import RemoteServer

OPEN_FILE = "__open_file__"
ADD_SERVER = "__add_server__"
PICKER_TIP = "The model to chat with"
# Models the picker lists before it also takes typing to search.
SEARCH_AFTER = 5
SEARCH_HINT = "Type to search models"


class ModelBar(QWidget):
    """Signals: ``model_chosen(str path)`` (a file's path, or ``remote:SERVER/MODEL``),
    ``open_file_requested()``, ``add_server_requested()``, ``cancel_load_requested()``,
    ``settings_requested()``."""

    model_chosen = Signal(str)
    open_file_requested = Signal()
    add_server_requested = Signal()
    cancel_load_requested = Signal()
    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picker = QComboBox(self)
        self.picker.setMinimumWidth(260)
        self.picker.setAccessibleName("Model")
        self.picker.setToolTip(PICKER_TIP)
        self.backend_label = QLabel(self)
        self.backend_label.setObjectName("backend")
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setFixedWidth(160)
        self.progress.setFormat("Loading %p%")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName("Cancel loading")
        self.settings_button = QPushButton("Instructions && settings…", self)
        self.settings_button.setToolTip("Custom instructions, sampling and context for this model")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Model:", self))
        layout.addWidget(self.picker)
        layout.addWidget(self.backend_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        layout.addStretch(1)
        layout.addWidget(self.settings_button)
        self.progress.hide()
        self.cancel_button.hide()
        self._current_path: str | None = None
        # What typing searches: the picker's labels. A model of its own, because a
        # completer on the combo box's own model activates the wrong row when it
        # matches inside names (Qt maps the filtered row straight back).
        self._labels = QStringListModel(self)
        self._highlighted = ""
        self.picker.activated.connect(self._activated)
        self.cancel_button.clicked.connect(self.cancel_load_requested)
        self.settings_button.clicked.connect(self.settings_requested)

    @property
    def searchable(self) -> bool:
        """Whether the picker takes typing (there are more than a few models)."""
        return self.picker.isEditable()

    def set_models(
        self,
        models: list[LocalModel],
        current: str | None,
        remote: Sequence[RemoteServer] = (),
    ) -> None:
        self.picker.blockSignals(True)
        models = chat_models(models)
        refs = [(server, ref) for server in remote for ref in server.refs()]
        self._set_searchable(len(models) + len(refs) > SEARCH_AFTER)
        self.picker.clear()
        for model in models:
            label = model.name + (" (starter)" if model.is_starter else "")
            self.picker.addItem(label, str(model.path))
            self.picker.setItemData(self.picker.count() - 1, str(model.path), 3)  # tooltip
        for server, ref in refs:
            self.picker.addItem(ref.label, str(ref))
            tip = f"On the remote server {server.name} ({server.base_url})"
            self.picker.setItemData(self.picker.count() - 1, tip, 3)
        if current and self.picker.findData(current) < 0:
            label = parse_ref(current).label if is_remote_ref(current) else Path(current).stem
            self.picker.addItem(label, current)
        self.picker.insertSeparator(self.picker.count())
        self.picker.addItem("Add a server…", ADD_SERVER)
        self.picker.setItemData(
            self.picker.count() - 1, "Chat with models on an OpenAI-compatible server", 3
        )
        self.picker.addItem("Open a GGUF file…", OPEN_FILE)
        labels = [self.picker.itemText(i) for i in range(self.picker.count())]
        self._labels.setStringList([label for label in labels if label])
        self.picker.blockSignals(False)
        self.show_current(current)

    def show_current(self, path: str | None) -> None:
        self._current_path = path
        index = self.picker.findData(path) if path else -1
        self.picker.blockSignals(True)
        self.picker.setCurrentIndex(index)
        self.picker.blockSignals(False)

    def set_loading(self, fraction: float | None) -> None:
        loading = fraction is not None
        self.progress.setVisible(loading)
        self.cancel_button.setVisible(loading)
        self.picker.setEnabled(not loading)
        if fraction is not None:
            self.progress.setValue(int(fraction * 100))

    def set_template_note(self, note: str) -> None:
        """Adds to the picker's tooltip how Hearth adapted the loaded model's template."""
        tip = f"{PICKER_TIP}\n{SEARCH_HINT}" if self.searchable else PICKER_TIP
        self.picker.setToolTip(f"{tip}\n\n{note}" if note else tip)

    def set_backend(self, text: str) -> None:
        self.backend_label.setText(text)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ParentChange:
            self._name_toolbar_overflow()
        return super().event(event)

    def _name_toolbar_overflow(self) -> None:
        """The toolbar this bar sits in shows an unnamed » button when the window is
        narrow; screen readers get a name for it."""
        widget = self.parentWidget()
        while widget is not None and not isinstance(widget, QToolBar):
            widget = widget.parentWidget()
        if widget is not None:
            for button in widget.findChildren(QToolButton, "qt_toolbar_ext_button"):
                button.setAccessibleName("More toolbar buttons")

    def _set_searchable(self, searchable: bool) -> None:
        if searchable == self.picker.isEditable():
            return
        self.picker.setEditable(searchable)
        if not searchable:
            return
        self.picker.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        edit = self.picker.lineEdit()
        assert edit is not None  # an editable combo box has one
        edit.setPlaceholderText(SEARCH_HINT)
        edit.setAccessibleName("Search models")
        edit.editingFinished.connect(self._restore_text)
        completer = QCompleter(self._labels, self.picker)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        # The row the user moved to or clicked. On Enter, the completer in a combo box's
        # line edit reports a row of the unfiltered list when it matched inside names,
        # so the one it last highlighted is what counts.
        completer.highlighted[str].connect(self._highlight)  # type: ignore[index]
        completer.activated[str].connect(self._picked)  # type: ignore[index]
        edit.textEdited.connect(lambda _text: self._highlight(""))
        edit.returnPressed.connect(self._first_match)
        # On the line edit, not the combo box: the combo box would pick a row itself.
        edit.setCompleter(completer)
        self.picker.setToolTip(f"{self.picker.toolTip()}\n{SEARCH_HINT}")

    def _highlight(self, label: str) -> None:
        self._highlighted = label

    def _picked(self, label: str) -> None:
        """A model chosen from the search results."""
        label = self._highlighted or label
        self._highlighted = ""
        index = self.picker.findText(label, Qt.MatchFlag.MatchExactly)
        if index >= 0 and index != self.picker.currentIndex():
            self.picker.setCurrentIndex(index)
            self._activated(index)

    def _first_match(self) -> None:
        """Enter on typed text that names no model exactly: the first model it matches."""
        typed = self.picker.currentText().strip().lower()
        if not typed or self.picker.findText(self.picker.currentText()) >= 0:
            return
        for label in self._labels.stringList():
            if typed in label.lower():
                self._picked(label)
                return

    def _restore_text(self) -> None:
        """Typing that picked nothing goes back to the model in use."""
        if self.picker.findText(self.picker.currentText(), Qt.MatchFlag.MatchExactly) < 0:
            self.show_current(self._current_path)

    def _activated(self, index: int) -> None:
        data = self.picker.itemData(index)
        if data == OPEN_FILE:
            self.show_current(self._current_path)
            self.open_file_requested.emit()
        elif data == ADD_SERVER:
            self.show_current(self._current_path)
            self.add_server_requested.emit()
        elif data and data != self._current_path:
            self.model_chosen.emit(str(data))
