"""The model picker: a plain list for a few models, type-to-search for more."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.library.local_models import LocalModel
from ui.model_bar import SEARCH_AFTER, ModelBar

NAMES = [
    "Qwen3-8B-Q4_K_M",
    "Llama-3.2-3B-Instruct-Q4_K_M",
    "gemma-3-4b-it-Q4_K_M",
    "Phi-4-mini-instruct-Q4_K_M",
    "Mistral-7B-Instruct-v0.3-Q4_K_M",
    "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M",
    "granite-3.3-8b-instruct-Q4_K_M",
]


def models(names: list[str]) -> list[LocalModel]:
    return [LocalModel(name=n, path=Path(f"/models/{n}.gguf"), size_bytes=1) for n in names]


def make_bar(qtbot: QtBot, names: list[str]) -> tuple[ModelBar, list[str]]:
    bar = ModelBar()
    qtbot.addWidget(bar)
    bar.show()
    qtbot.waitExposed(bar)
    bar.set_models(models(names), f"/models/{names[0]}.gguf")
    chosen: list[str] = []
    bar.model_chosen.connect(chosen.append)
    return bar, chosen


def test_a_few_models_are_a_plain_list(qtbot: QtBot) -> None:
    bar, _chosen = make_bar(qtbot, NAMES[:SEARCH_AFTER])
    assert not bar.searchable
    assert not bar.picker.isEditable()


def test_typing_part_of_a_name_finds_and_loads_the_model(qtbot: QtBot) -> None:
    bar, chosen = make_bar(qtbot, NAMES)
    assert bar.searchable
    edit = bar.picker.lineEdit()
    assert edit.placeholderText()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "deepseek")
    popup = edit.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    shown = [popup.model().index(row, 0).data() for row in range(popup.model().rowCount())]
    assert shown == ["DeepSeek-R1-Distill-Qwen-7B-Q4_K_M"]
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert chosen == ["/models/DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf"]


def test_enter_after_typing_loads_the_first_match(qtbot: QtBot) -> None:
    bar, chosen = make_bar(qtbot, NAMES)
    edit = bar.picker.lineEdit()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "gran")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert chosen == ["/models/granite-3.3-8b-instruct-Q4_K_M.gguf"]


def test_a_search_in_the_middle_of_names_lists_every_match(qtbot: QtBot) -> None:
    bar, _chosen = make_bar(qtbot, NAMES)
    edit = bar.picker.lineEdit()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "instruct")
    popup = edit.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    assert popup.model().rowCount() == 4


def test_typing_that_picks_nothing_goes_back_to_the_model_in_use(qtbot: QtBot) -> None:
    bar, chosen = make_bar(qtbot, NAMES)
    edit = bar.picker.lineEdit()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "zzz")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert chosen == []
    assert bar.picker.currentText() == NAMES[0]


def test_the_arrow_keys_still_move_through_the_list(qtbot: QtBot) -> None:
    bar, chosen = make_bar(qtbot, NAMES)
    bar.picker.setFocus()
    qtbot.keyClick(bar.picker, Qt.Key.Key_Down)
    assert chosen == [f"/models/{NAMES[1]}.gguf"]
