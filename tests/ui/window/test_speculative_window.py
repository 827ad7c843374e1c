"""The window with speculative decoding chosen for the starter: a draft model of another
vocabulary is refused in a note the user sees, and the model still answers; a draft of
the same vocabulary drafts without a note."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.draft_copy import lower_precision_copy


def test_a_draft_of_another_vocabulary_is_refused_in_the_chat(open_window, gemma_model: Path):
    window = open_window(speculative="draft", draft_model=str(gemma_model))
    info = window.hearth.engine.info
    assert info is not None and info.speculative == "off"
    note = window.chat_view.template_note_label
    assert note.isVisible()
    assert "does not share this model's vocabulary" in note.text()
    assert "speculation is off" in window.model_bar.picker.toolTip()


def test_a_draft_of_the_same_vocabulary_loads_quietly(
    open_window, starter_model: Path, tmp_path_factory: pytest.TempPathFactory
):
    draft = lower_precision_copy(starter_model, tmp_path_factory.mktemp("window-draft"))
    window = open_window(speculative="draft", draft_model=str(draft))
    info = window.hearth.engine.info
    assert info is not None and info.speculative == "draft" and not info.speculative_note
    assert not window.chat_view.template_note_label.isVisible()
