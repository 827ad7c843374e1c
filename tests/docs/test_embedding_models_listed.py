"""A downloaded embedding model: offered by the documents' chooser, never by the chat picker."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.library.local_models import LocalModel
from app.paths import hearth_paths
from tests.support.embedding_gguf import write_embedding_gguf
from ui.model_bar import ModelBar

EMBED_NAME = "nomic-embed-text-v1.5.Q8_0"


def picker_labels(bar: ModelBar) -> list[str]:
    return [bar.picker.itemText(i) for i in range(bar.picker.count())]


def test_the_model_bar_leaves_embedding_models_out(qtbot, tmp_path: Path) -> None:
    bar = ModelBar()
    qtbot.addWidget(bar)
    chat = LocalModel("Tiny-Q4_0", tmp_path / "Tiny-Q4_0.gguf", 1)
    embed = LocalModel("bge-small", tmp_path / "bge-small.gguf", 1, is_embedding=True)
    bar.set_models([chat, embed], current=None)
    labels = picker_labels(bar)
    assert "Tiny-Q4_0" in labels and "bge-small" not in labels
    assert bar.picker.findData(str(embed.path)) < 0


def test_the_documents_chooser_offers_a_downloaded_embedding_model(
    qtbot, open_window, hearth_home: Path
) -> None:
    models = hearth_paths().ensure().models
    write_embedding_gguf(models / "nomic-ai" / "nomic-embed-text-v1.5-GGUF" / f"{EMBED_NAME}.gguf")
    window = open_window()
    bar = window.model_bar
    # The listing has come: the starter model is marked as such only by it.
    qtbot.waitUntil(lambda: any("(starter)" in label for label in picker_labels(bar)))
    assert not any("nomic" in label for label in picker_labels(bar))

    offered: list[list[str]] = []

    def choose(parent, names: list[str]) -> None:
        offered.append(names)
        return None  # the user closes the chooser

    docs = window.docs
    docs.choose_embedder = choose
    docs.open_collections()
    qtbot.mouseClick(docs.dialog.embedder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(offered), timeout=10_000)
    assert EMBED_NAME in offered[0]
    assert docs.docs.embedder is None  # nothing chosen, nothing changed
