"""The collections page and the Documents menu in the window: make a collection of a
folder, see each file's state (an unreadable one says why), switch it on for a chat,
pause and cancel indexing, and a file added to the watched folder gets indexed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from tests.docs.helpers import write_sample_folder


def menu_action(strip, text: str):
    return next(action for action in strip.menu.actions() if action.text() == text)


def test_collections_page_folder_watch_pause_cancel(qtbot, open_window, tmp_path: Path) -> None:
    window = open_window()
    docs = window.docs
    strip = window.composer.docs_strip
    folder = write_sample_folder(tmp_path / "taxes")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 not really")
    docs.ask_name = lambda parent: "Taxes 2026"
    docs.choose_folder = lambda parent: str(folder)

    docs.refresh_strip()
    menu_action(strip, "Manage collections…").trigger()
    dialog = docs.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    assert dialog.collections.count() == 1 and dialog.current_id is not None
    qtbot.mouseClick(dialog.add_folder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: strip.progress_label.text().startswith("Indexed"), timeout=30_000)
    qtbot.waitUntil(lambda: dialog.files.count() == 4, timeout=5_000)
    texts = [dialog.files.item(i).text() for i in range(dialog.files.count())]
    assert "harbour.pdf: 3 pages · 3 passages" in texts
    assert any(t.startswith("scan.pdf: not indexed. scan.pdf: not a readable PDF") for t in texts)
    assert "3 files" in dialog.collections.item(0).text()

    # Switch it on for a chat.
    conversation = window.hearth.conversations.create_conversation("t", None).id
    window.chat.show_conversation(conversation)
    docs.refresh_strip()
    menu_action(strip, "Taxes 2026").trigger()
    assert docs.docs.index.chat_collections(conversation) == [dialog.current_id]
    assert strip.button.text() == "Documents (1 on)"

    # A file added to the watched folder is indexed on the next poll.
    (folder / "new-note.md").write_text("The tide tables for 2026 arrived in March.\n")
    docs.check_watched()
    qtbot.waitUntil(
        lambda: any(
            "tide tables" in h.passage.text
            for h in docs.docs.search("tide tables", [dialog.current_id]).hits
        ),
        timeout=30_000,
    )

    # Pause and cancel a long run.
    many = tmp_path / "many"
    many.mkdir()
    for n in range(400):
        (many / f"note{n:03}.txt").write_text(f"Note {n}.\n" * 200)
    docs.choose_folder = lambda parent: str(many)
    qtbot.mouseClick(dialog.add_folder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: strip.pause_button.isVisible(), timeout=10_000)
    qtbot.mouseClick(strip.pause_button, Qt.MouseButton.LeftButton)
    assert strip.progress_label.text().startswith("Paused: ")
    assert strip.pause_button.text() == "Resume"
    qtbot.mouseClick(strip.pause_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(strip.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not docs.indexing, timeout=10_000)
    assert strip.progress_label.text().startswith("Cancelled: ")
    indexed = len(docs.docs.index.files([dialog.current_id]))
    assert indexed < 4 + 1 + 400


def test_paperclip_attaches_to_a_new_chat(qtbot, open_window, tmp_path: Path) -> None:
    window = open_window()
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe ferry leaves at seven.\n")
    window.composer.attach_button.choose = lambda parent: [str(notes)]
    assert window.chat.conversation_id is None
    qtbot.mouseClick(window.composer.attach_button, Qt.MouseButton.LeftButton)
    strip = window.composer.docs_strip
    qtbot.waitUntil(lambda: strip.progress_label.text().startswith("Indexed"), timeout=30_000)
    conversation = window.chat.conversation_id
    assert conversation is not None
    assert strip.button.text() == "Documents (1 on)"
    index = window.docs.docs.index
    (collection,) = index.chat_collections(conversation)
    assert [Path(f.path).name for f in index.files([collection])] == ["notes.md"]


def test_choosing_an_embedding_model_makes_search_hybrid(
    qtbot, open_window, tmp_path: Path
) -> None:
    from ui.docs.controller import NO_EMBEDDER

    window = open_window()
    docs = window.docs
    folder = write_sample_folder(tmp_path / "garden")
    docs.ask_name = lambda parent: "Garden"
    docs.choose_folder = lambda parent: str(folder)
    docs.open_collections()
    dialog = docs.dialog
    assert dialog.embedder_label.text().startswith("Search: BM25 (full text) alone")
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.add_folder_button, Qt.MouseButton.LeftButton)
    strip = window.composer.docs_strip
    qtbot.waitUntil(lambda: strip.progress_label.text().startswith("Indexed"), timeout=30_000)

    offered: list[list[str]] = []

    def choose(parent, names: list[str]) -> str:
        offered.append(names)
        return "SmolLM2-135M-Instruct"

    docs.choose_embedder = choose
    qtbot.mouseClick(dialog.embedder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "hybrid" in dialog.embedder_label.text(), timeout=60_000)
    assert "SmolLM2-135M-Instruct" in offered[0]
    assert strip.progress_label.text().startswith("Vectors from SmolLM2")
    with docs.docs.index.db.read() as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM passages), (SELECT count(*) FROM vectors)"
        ).fetchone()
    assert counts[0] == counts[1] > 0

    docs.choose_embedder = lambda parent, names: NO_EMBEDDER
    qtbot.mouseClick(dialog.embedder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: "BM25 (full text) alone" in dialog.embedder_label.text(), timeout=10_000
    )
    assert docs.docs.index.embedder_path() is None
