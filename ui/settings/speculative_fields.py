"""The settings dialog's speculative decoding lines: the mode, and the draft model.

Modes are ``app.engine.speculative``'s. The draft model is one of the local models (the
caller passes their names and keys) or a key typed in; it is asked for only with "Draft
model". Both are loading settings: changing them reloads the model.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QWidget

from app.engine.speculative import DEFAULT_MODE, DRAFT, MODE_TITLES, MODES

SPECULATIVE = (
    "Speculative decoding guesses a few tokens ahead and has the model check them in one"
    " step, so replies come faster where the guesses are right; the reply is the same."
    " Prompt lookup guesses from the conversation itself and pays when the answer repeats"
    " the prompt (editing, summarising, rewriting code). A draft model is a small model of"
    " the same family (the same vocabulary) that guesses for this one. With either, the"
    " model loads with flash attention, so that a batch of guesses is computed exactly as"
    " each token alone; where this machine still rounds a batch differently, replies at"
    " temperature 0 are made without guesses. Changing it reloads the model."
)
DRAFT_MODEL = (
    "A small model sharing this model's vocabulary, for example Llama 3.2 1B for a Llama"
    " 3.x 70B, or Qwen2.5 0.5B for a Qwen2.5 72B. A model of another vocabulary is refused"
    " when the model loads, and the model then runs without speculation."
)


class SpeculativeFields:
    """The mode box and the draft model box (the dialog lays out :meth:`rows`)."""

    def __init__(
        self, draft_choices: Sequence[tuple[str, str]], parent: QWidget | None = None
    ) -> None:
        """``draft_choices``: (name, model key) of the local models to offer as drafts."""
        self.mode_box = QComboBox(parent)
        self.mode_box.setAccessibleName("Speculative decoding")
        self.mode_box.addItem(f"Default ({MODE_TITLES[DEFAULT_MODE]})", None)
        for mode in MODES:
            self.mode_box.addItem(MODE_TITLES[mode], mode)
        self.draft_box = QComboBox(parent)
        self.draft_box.setAccessibleName("Draft model")
        self.draft_box.setEditable(True)
        self.draft_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        lineedit = self.draft_box.lineEdit()
        if lineedit is not None:
            lineedit.setPlaceholderText("Choose a small model of the same family")
        for name, key in draft_choices:
            self.draft_box.addItem(name, key)
            self.draft_box.setItemData(self.draft_box.count() - 1, key, 3)  # tooltip
        self.mode_box.currentIndexChanged.connect(self._show_draft)
        self._show_draft()

    def rows(self) -> list[tuple[str, QWidget, str]]:
        """(label, field, tooltip) of the two rows, for the dialog's form."""
        return [
            ("S&peculative decoding", self.mode_box, SPECULATIVE),
            ("&Draft model", self.draft_box, DRAFT_MODEL),
        ]

    def _show_draft(self) -> None:
        self.draft_box.setEnabled(self.mode_box.currentData() == DRAFT)

    def set_values(self, mode: str | None, draft_model: str | None) -> None:
        index = self.mode_box.findData(mode) if mode in MODES else 0
        self.mode_box.setCurrentIndex(max(0, index))
        found = self.draft_box.findData(draft_model) if draft_model else -1
        if found >= 0:
            self.draft_box.setCurrentIndex(found)
        else:
            self.draft_box.setCurrentIndex(-1)
            self.draft_box.setEditText(draft_model or "")
        self._show_draft()

    def mode(self) -> str | None:
        data = self.mode_box.currentData()
        return str(data) if data else None

    def draft_model(self) -> str | None:
        """The chosen model's key, or what was typed (None when empty)."""
        text = self.draft_box.currentText().strip()
        if not text:
            return None
        index = self.draft_box.currentIndex()
        if index >= 0 and self.draft_box.itemText(index) == text:
            return str(self.draft_box.itemData(index))
        return text
