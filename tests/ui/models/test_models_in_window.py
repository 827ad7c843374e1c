"""The Models page from the main window: the toolbar button, a download that lands in
the model picker, and GGUF files dropped on the window imported in place."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QToolButton

from app.hub.queue import ItemStatus
from tests.support.hub_server import HubServer, write_gguf
from tests.support.library_hub import TINY
from tests.ui.models.helpers import WAIT_MS, open_repo, search


def picker_names(window) -> list[str]:
    picker = window.model_bar.picker
    return [picker.itemText(i) for i in range(picker.count())]


def test_models_button_download_then_the_model_is_in_the_picker(qtbot, window, hub: HubServer):
    toolbar_button = next(
        b for b in window.findChildren(QToolButton) if b.defaultAction() is window.models_action
    )
    qtbot.mouseClick(toolbar_button, Qt.MouseButton.LeftButton)
    page = window.models_window.page
    qtbot.waitExposed(window.models_window)
    search(qtbot, page, "tiny")
    open_repo(qtbot, page, TINY)
    qtbot.waitUntil(lambda: page.repo is not None, timeout=WAIT_MS)
    row_index = page.files_panel.row_of("Q4_K_M")
    qtbot.mouseClick(page.files_panel.download_button(row_index), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.downloads_panel.rows) == 1, timeout=WAIT_MS)
    (row,) = page.downloads_panel.rows.values()
    qtbot.waitUntil(lambda: row.status is ItemStatus.COMPLETED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Tiny-7B-Q4_K_M" in picker_names(window), timeout=WAIT_MS)

    window.models_window.close()  # hides it; the page and its downloads stay
    assert not window.models_window.isVisible()
    qtbot.mouseClick(toolbar_button, Qt.MouseButton.LeftButton)
    assert window.models_window.isVisible() and window.models_window.page is page


def drop_files(widget, paths: list[Path]) -> tuple[bool, bool]:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    center = widget.rect().center()
    enter = QDragEnterEvent(
        QPoint(center), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(
        QPointF(center), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted(), drop.isAccepted()


def test_gguf_files_dropped_on_the_window_are_imported_in_place(
    qtbot, window, tmp_path: Path, hearth_home: Path
):
    mine = write_gguf(tmp_path / "downloads" / "Dropped-Q4_0.gguf", payload_bytes=30_000)
    assert drop_files(window, [mine]) == (True, True)
    qtbot.waitUntil(lambda: "Dropped-Q4_0" in picker_names(window), timeout=WAIT_MS)
    assert "Imported Dropped-Q4_0.gguf" in window.statusBar().currentMessage()
    assert mine.is_file() and not list((hearth_home / "models").rglob("*.gguf"))

    other = write_gguf(tmp_path / "Also-Q8_0.gguf", payload_bytes=30_000)
    assert drop_files(window.composer.edit, [other]) == (True, True)  # on the message box
    qtbot.waitUntil(lambda: "Also-Q8_0" in picker_names(window), timeout=WAIT_MS)
    assert window.composer.edit.toPlainText() == ""  # not pasted as text

    text = tmp_path / "notes.txt"
    text.write_text("hello")
    drop_files(window, [text])  # a document: the chat takes it (tests/docs), never the models
    assert not list((hearth_home / "models").rglob("notes*"))
    assert all("notes" not in name for name in picker_names(window))
