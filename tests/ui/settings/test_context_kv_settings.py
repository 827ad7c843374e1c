"""The settings dialog says which context Hearth chose, offers a quantized KV cache and
shows the memory it saves."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from app.engine.protocol import ModelInfo
from app.hardware.units import GIB
from app.store import ModelSettings, ModelSettingsStore
from tests.support.settings_dialog import shown
from ui.settings import ModelSettingsDialog

MODEL_KEY = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf"


def _info(**fields: object) -> ModelInfo:
    base: dict[str, object] = {
        "model_path": "/models/" + MODEL_KEY,
        "name": "Llama 3.1 8B",
        "n_ctx": 8192,
        "n_ctx_train": 131_072,
        "n_layers": 32,
        "n_gpu_layers": 0,
        "backend": "CPU",
        "system_info": "",
        "template_source": "model",
        "load_seconds": 1.0,
        "kv_type": "f16",
        "kv_bytes": GIB,  # 32 layers x 8,192 tokens x 8 heads x 128 x 2 (K, V) x 2 bytes
    }
    return ModelInfo(**{**base, **fields})  # type: ignore[arg-type]


def _open(qtbot: QtBot, settings: ModelSettings, info: ModelInfo) -> ModelSettingsDialog:
    return shown(qtbot, ModelSettingsDialog(settings, "Llama 3.1 8B", info.n_ctx_train, info=info))


def _choose(qtbot: QtBot, box: QComboBox, text: str) -> None:
    box.setFocus()
    while not box.currentText().startswith(text):
        before = box.currentIndex()
        qtbot.keyClick(box, Qt.Key.Key_Down)
        assert box.currentIndex() != before, f"{text!r} is not offered"


def test_the_dialog_says_which_context_hearth_chose(qtbot: QtBot, store: ModelSettingsStore):
    dialog = _open(qtbot, store.get(MODEL_KEY), _info())
    assert dialog.context_note.text() == (
        "Context: 8,192 tokens (chosen for this machine; the model can take 131,072)"
    )
    settings = store.get(MODEL_KEY)
    settings.context_length = 16_384
    chosen = _open(qtbot, settings, _info(n_ctx=16_384, kv_bytes=2 * GIB))
    assert chosen.context_note.text() == (
        "Context: 16,384 tokens (set for this model; it can take 131,072)"
    )


def test_a_q8_0_cache_is_chosen_saved_and_its_saving_shown(qtbot: QtBot, store: ModelSettingsStore):
    dialog = _open(qtbot, store.get(MODEL_KEY), _info())
    assert dialog.kv_cache_box.currentText().startswith("f16")
    assert dialog.kv_memory_note.text() == "KV cache at 8,192 tokens: 1.0 GB in f16."

    _choose(qtbot, dialog.kv_cache_box, "q8_0")
    assert dialog.kv_memory_note.text() == (
        "KV cache at 8,192 tokens: 544 MB in q8_0, 480 MB less than f16 (1.0 GB)."
    )
    _choose(qtbot, dialog.kv_cache_box, "q4_0")
    assert "288 MB in q4_0, 736 MB less than f16" in dialog.kv_memory_note.text()
    qtbot.keyClick(dialog.kv_cache_box, Qt.Key.Key_Up)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    store.save(dialog.settings())

    assert store.get(MODEL_KEY).kv_cache_type == "q8_0"
    # Loaded with q8_0, the dialog shows that cache's size and the f16 it saves.
    again = _open(qtbot, store.get(MODEL_KEY), _info(kv_type="q8_0", kv_bytes=544 * 1024**2))
    assert again.kv_cache_box.currentText().startswith("q8_0")
    assert again.kv_memory_note.text().startswith("KV cache at 8,192 tokens: 544 MB in q8_0")
    qtbot.mouseClick(again.reset_button, Qt.MouseButton.LeftButton)
    assert again.settings().kv_cache_type is None
    assert again.kv_memory_note.text() == "KV cache at 8,192 tokens: 1.0 GB in f16."
