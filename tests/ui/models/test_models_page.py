"""The Models page driven with pytest-qt against a test Hub on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.hub.layout import local_path, part_path
from app.hub.queue import ItemStatus
from tests.support.hub_server import HubServer, write_gguf
from tests.support.library_hub import GATED, TINY
from tests.ui.models.helpers import WAIT_MS, click_list_item, list_texts, open_repo, search
from ui.models.files_panel import FIT_COLUMN, RECOMMENDED


def test_the_catalog_comes_first_and_nothing_is_asked_of_the_network(page, hub: HubServer):
    texts = list_texts(page.search_panel.results)
    assert texts[0] == "Hearth's picks"
    assert any("Llama 3.1 8B Instruct" in t for t in texts[1:])
    assert any("Qwen2.5 72B Instruct" in t for t in texts[1:])
    assert hub.requests == []  # opening the page sends nothing


def test_a_catalog_model_shows_its_fit_from_the_catalog_even_offline(qtbot, page, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    click_list_item(qtbot, page.search_panel.results, "Qwen2.5 7B Instruct")
    table = page.files_panel.table
    qtbot.waitUntil(lambda: "offline" in page.files_panel.notice.text(), timeout=WAIT_MS)
    assert table.rowCount() == 3
    verdicts = [table.item(row, FIT_COLUMN).text() for row in range(3)]
    # Q4_K_M and Q5_K_M fit the 8 GB card; Q8_0 (8.1 GB) only partly: Q5_K_M is best.
    assert verdicts == ["fits on GPU", "fits on GPU", "partly on GPU"]
    assert [table.item(row, 0).text() for row in range(3)] == ["", RECOMMENDED, ""]
    assert "from Hearth's catalog" in table.item(0, FIT_COLUMN).toolTip()
    assert "catalog's figures" in page.files_panel.notice.text()
    assert not page.files_panel.download_button(0).isEnabled()  # needs the listing


def test_search_sorts_and_offline_search_says_offline(qtbot, page, monkeypatch):
    search(qtbot, page, "7B")
    assert list_texts(page.search_panel.results)[0].startswith(TINY)
    search(qtbot, page, "7B", "Most liked")
    assert list_texts(page.search_panel.results)[0].startswith("hearth-test/Liked-7B-GGUF")
    search(qtbot, page, "7B", "Recently updated")
    assert list_texts(page.search_panel.results)[0].startswith("hearth-test/Fresh-7B-GGUF")

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    search(qtbot, page, "llama")
    assert "offline" in page.search_panel.message.text()


def test_search_open_download_pause_resume_and_complete(
    qtbot, page, hub: HubServer, hearth_home: Path
):
    search(qtbot, page, "tiny")
    open_repo(qtbot, page, TINY)
    qtbot.waitUntil(lambda: page.repo is not None, timeout=WAIT_MS)
    table = page.files_panel.table
    names = [table.item(row, 1).text() for row in range(table.rowCount())]
    assert "big/Tiny-7B-Q2_K.gguf (2 parts)" in names  # split parts are one entry
    assert "mmproj-Tiny-7B-f16.gguf" in names
    marks = [table.item(row, 0).text() for row in range(table.rowCount())]
    assert marks.count(RECOMMENDED) == 1
    q8 = page.files_panel.row_of("Q8_0")
    assert table.item(q8, FIT_COLUMN).text() == "fits on GPU"
    assert "Test GPU" in table.item(q8, FIT_COLUMN).toolTip()
    projector = page.files_panel.row_of("mmproj-Tiny-7B-f16.gguf")
    assert table.item(projector, FIT_COLUMN).text() == "vision projector"

    hub.faults(TINY, "Tiny-7B-Q8_0.gguf").throttle_bps = 64 * 1024
    qtbot.mouseClick(page.files_panel.download_button(q8), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.downloads_panel.rows) == 1, timeout=WAIT_MS)
    (row,) = page.downloads_panel.rows.values()
    qtbot.waitUntil(lambda: row.bar.value() > 0, timeout=WAIT_MS)
    assert "Downloading" in row.detail.text()

    qtbot.mouseClick(row.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.status is ItemStatus.PAUSED, timeout=WAIT_MS)
    target = local_path(hearth_home / "models", TINY, "Tiny-7B-Q8_0.gguf")
    assert part_path(target).exists() and not target.exists()
    assert "Paused" in row.detail.text() and row.resume_button.isVisible()
    assert not any("Tiny-7B-Q8_0" in t for t in list_texts(page.library_panel.models))

    hub.faults(TINY, "Tiny-7B-Q8_0.gguf").throttle_bps = None
    qtbot.mouseClick(row.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.status is ItemStatus.COMPLETED, timeout=WAIT_MS)
    assert row.bar.value() == 1000 and "verified" in row.detail.text()
    assert target.is_file() and not part_path(target).exists()
    qtbot.waitUntil(
        lambda: any("Tiny-7B-Q8_0" in t for t in list_texts(page.library_panel.models)),
        timeout=WAIT_MS,
    )
    resumed = [r.range for r in hub.file_gets(TINY, "Tiny-7B-Q8_0.gguf")][-1]
    assert resumed and resumed.startswith("bytes=") and resumed != "bytes=0-"


def test_an_unfinished_download_is_back_after_a_restart(qtbot, open_page, hub: HubServer):
    first = open_page()
    search(qtbot, first, "tiny")
    open_repo(qtbot, first, TINY)
    qtbot.waitUntil(lambda: first.repo is not None, timeout=WAIT_MS)
    hub.faults(TINY, "Tiny-7B-F16.gguf").throttle_bps = 64 * 1024
    row_index = first.files_panel.row_of("F16")
    qtbot.mouseClick(first.files_panel.download_button(row_index), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(first.downloads_panel.rows) == 1, timeout=WAIT_MS)
    (row,) = first.downloads_panel.rows.values()
    qtbot.waitUntil(lambda: row.bar.value() > 0, timeout=WAIT_MS)
    first.shutdown()  # quitting pauses the download and keeps it
    first.close()

    hub.faults(TINY, "Tiny-7B-F16.gguf").throttle_bps = None
    second = open_page()
    qtbot.waitUntil(lambda: len(second.downloads_panel.rows) == 1, timeout=WAIT_MS)
    (again,) = second.downloads_panel.rows.values()
    assert again.status is ItemStatus.PAUSED and again.bar.value() > 0
    qtbot.mouseClick(again.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: again.status is ItemStatus.COMPLETED, timeout=WAIT_MS)


def test_a_damaged_download_shows_a_clear_error(qtbot, page, hub: HubServer):
    search(qtbot, page, "tiny")
    open_repo(qtbot, page, TINY)
    qtbot.waitUntil(lambda: page.repo is not None, timeout=WAIT_MS)
    hub.faults(TINY, "Tiny-7B-Q4_K_M.gguf").corrupt = True
    row_index = page.files_panel.row_of("Q4_K_M")
    qtbot.mouseClick(page.files_panel.download_button(row_index), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.downloads_panel.rows) == 1, timeout=WAIT_MS)
    (row,) = page.downloads_panel.rows.values()
    qtbot.waitUntil(lambda: row.status is ItemStatus.FAILED, timeout=WAIT_MS)
    assert "arrived damaged" in row.detail.text() and row.resume_button.isVisible()
    assert not any("Tiny-7B-Q4_K_M" in t for t in list_texts(page.library_panel.models))


def test_a_gated_repo_shows_the_licence_link_and_a_token_unlocks_it(qtbot, page, hub: HubServer):
    search(qtbot, page, "gated")
    open_repo(qtbot, page, GATED)
    qtbot.waitUntil(lambda: page.repo is not None, timeout=WAIT_MS)
    licence = f"{hub.endpoint}/{GATED}"
    assert f'href="{licence}"' in page.files_panel.notice.text()
    qtbot.mouseClick(page.files_panel.download_button(0), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.downloads_panel.rows) == 1, timeout=WAIT_MS)
    (row,) = page.downloads_panel.rows.values()
    qtbot.waitUntil(lambda: row.status is ItemStatus.FAILED, timeout=WAIT_MS)
    assert licence in row.detail.text() and "licence" in row.detail.text()

    qtbot.keyClicks(page.library_panel.token, "hf_gated_token")
    qtbot.mouseClick(page.library_panel.token_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: "Token kept in" in page.library_panel.token_status.text(), timeout=WAIT_MS
    )
    qtbot.mouseClick(row.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.status is ItemStatus.COMPLETED, timeout=WAIT_MS)


def test_import_in_place_then_remove_only_unregisters(qtbot, page, answers, tmp_path: Path):
    mine = write_gguf(tmp_path / "mine" / "Mine-Q4_0.gguf", payload_bytes=30_000)
    answers.file = str(mine)
    qtbot.mouseClick(page.library_panel.import_button, Qt.MouseButton.LeftButton)
    models = page.library_panel.models
    qtbot.waitUntil(lambda: any("Mine-Q4_0" in t for t in list_texts(models)), timeout=WAIT_MS)
    assert any("imported, used where it is" in t for t in list_texts(models))

    assert page.library_panel.select("Mine-Q4_0")
    answers.remove = (False, False)  # the user says no
    qtbot.mouseClick(page.library_panel.remove_button, Qt.MouseButton.LeftButton)
    assert answers.asked[-1].name == "Mine-Q4_0"
    assert any("Mine-Q4_0" in t for t in list_texts(models))

    answers.remove = (True, False)  # yes, but keep the file
    qtbot.mouseClick(page.library_panel.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not any("Mine-Q4_0" in t for t in list_texts(models)), timeout=WAIT_MS)
    assert mine.is_file()


def test_the_models_folder_is_shown_and_can_be_changed(
    qtbot, page, answers, tmp_path: Path, hearth_home: Path
):
    assert page.library_panel.folder_label.text() == str(hearth_home.resolve() / "models")
    elsewhere = tmp_path / "bigger-disk"
    write_gguf(elsewhere / "owner" / "repo" / "There-Q4_0.gguf")
    answers.folder = str(elsewhere)
    with qtbot.waitSignal(page.models_folder_changed, timeout=WAIT_MS):
        qtbot.mouseClick(page.library_panel.folder_button, Qt.MouseButton.LeftButton)
    models = page.library_panel.models
    qtbot.waitUntil(lambda: any("There-Q4_0" in t for t in list_texts(models)), timeout=WAIT_MS)
    assert page.library_panel.folder_label.text() == str(elsewhere.resolve())
