"""The window with speculative decoding chosen for the starter: a draft model of another
vocabulary is refused in a note the user sees, and the model still answers; a draft of
the same vocabulary drafts without a note; a model that computes a batch otherwise than
one token says its greedy replies go without drafts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.engine.speculative import INEXACT_NOTE
from app.store.records import ModelSettings
from tests.support.draft_copy import lower_precision_copy
from tests.ui.window.conftest import LOAD_TIMEOUT_MS
from tests.ui.window.test_model_keys_in_window import choose_model


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


def test_a_model_whose_batches_round_otherwise_says_greedy_replies_go_without_drafts(
    qtbot, open_window, gemma_model: Path
):
    window = open_window()
    copy = window.hearth.paths.models / gemma_model.name
    shutil.copyfile(gemma_model, copy)
    key = window.hearth.model_key(copy)
    window.hearth.model_settings.save(ModelSettings(model_key=key, speculative="lookup"))
    window.refresh_models()
    choose_model(qtbot, window, copy)
    info = window.hearth.engine.info
    # Loaded with flash attention for the drafts; Gemma's repacked weights still round a
    # batch otherwise on this CPU, and the user is told what that means.
    assert info is not None and info.speculative == "lookup"
    assert info.speculative_note == INEXACT_NOTE
    note = window.chat_view.template_note_label
    qtbot.waitUntil(note.isVisible, timeout=LOAD_TIMEOUT_MS)
    assert "replies at temperature 0 are made without guesses" in note.text()
