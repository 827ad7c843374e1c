"""Embedding models on the Models page: labelled as such, downloaded like chat models."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.hub.layout import local_path
from app.hub.queue import ItemStatus
from tests.support.embedding_gguf import write_embedding_gguf
from tests.support.hub_server import HubServer
from tests.ui.models.helpers import WAIT_MS, click_list_item, list_texts
from ui.models.search_panel import EMBEDDING_LABEL

NOMIC_REPO = "nomic-ai/nomic-embed-text-v1.5-GGUF"
NOMIC_FILE = "nomic-embed-text-v1.5.Q8_0.gguf"


def test_the_embedding_pick_is_labelled_and_downloads_like_a_chat_model(
    qtbot, page, hub: HubServer, hearth_home: Path, tmp_path: Path
):
    picks = list_texts(page.search_panel.results)
    (nomic,) = [text for text in picks if NOMIC_REPO in text]
    assert nomic.startswith("★ nomic-embed-text v1.5") and nomic.endswith(EMBEDDING_LABEL)
    assert all(EMBEDDING_LABEL not in text for text in picks if "Llama 3.1 8B" in text)

    # The test Hub serves a small stand-in under the catalog's repository and file name.
    hub.add_repo(NOMIC_REPO, {NOMIC_FILE: write_embedding_gguf(tmp_path / NOMIC_FILE)})
    click_list_item(qtbot, page.search_panel.results, NOMIC_REPO)
    qtbot.waitUntil(lambda: page.repo is not None, timeout=WAIT_MS)
    notice = page.files_panel.notice.text()
    assert EMBEDDING_LABEL in notice and "It cannot chat." in notice
    row = page.files_panel.row_of("Q8_0")
    qtbot.mouseClick(page.files_panel.download_button(row), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.downloads_panel.rows) == 1, timeout=WAIT_MS)
    (download,) = page.downloads_panel.rows.values()
    qtbot.waitUntil(lambda: download.status is ItemStatus.COMPLETED, timeout=WAIT_MS)
    assert local_path(hearth_home / "models", NOMIC_REPO, NOMIC_FILE).is_file()
    qtbot.waitUntil(
        lambda: any("nomic-embed-text" in t for t in list_texts(page.library_panel.models)),
        timeout=WAIT_MS,
    )
    (on_disk,) = [t for t in list_texts(page.library_panel.models) if "nomic-embed-text" in t]
    assert on_disk.endswith(EMBEDDING_LABEL) and NOMIC_REPO in on_disk
