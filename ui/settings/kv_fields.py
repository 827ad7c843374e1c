"""The settings dialog's loading lines: the context Hearth chose, the KV cache's type and
the memory each type takes.

The figures come from the loaded model (:class:`~app.engine.protocol.ModelInfo`): its
context as loaded, what it was trained for, and its KV cache's size; the size for the
other types is scaled by bytes per element, as the fit estimate counts it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from app.engine.kv_cache import KV_CHOICES
from app.engine.protocol import ModelInfo
from app.hardware.units import format_gb
from app.library.context_choice import ContextChoice
from app.library.fit import KV_TYPE_SIZES

KV_CACHE_TYPE = (
    "The number format of the model's memory of the conversation (the KV cache). f16 is "
    "exact; q8_0 takes about half the memory with almost no loss; q4_0 about a quarter, "
    "with some loss. Quantized caches use flash attention. Changing it reloads the model."
)
_WORDS = {
    "f16": "f16 (full precision)",
    "q8_0": "q8_0 (about half the memory)",
    "q4_0": "q4_0 (about a quarter of the memory)",
}


def _per_element(kv_type: str) -> float:
    numerator, denominator = KV_TYPE_SIZES[kv_type]
    return numerator / denominator


class KvCacheBox(QComboBox):
    """The KV cache's type; ``kv_type()`` is None for the default (f16)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for kv_type in KV_CHOICES:
            self.addItem(_WORDS[kv_type], kv_type)

    def set_kv_type(self, kv_type: str | None) -> None:
        index = self.findData(kv_type or "f16")
        self.setCurrentIndex(max(0, index))

    def kv_type(self) -> str | None:
        chosen = str(self.currentData())
        return None if chosen == "f16" else chosen


def context_words(info: ModelInfo, set_by_user: bool) -> str:
    """ "Context: 8,192 tokens (chosen for this machine; the model can take 131,072)"."""
    trained = info.n_ctx_train or info.n_ctx
    return ContextChoice(info.n_ctx, trained, chosen_by_user=set_by_user).words()


def kv_memory_words(info: ModelInfo, kv_type: str) -> str:
    """The KV cache's memory with ``kv_type`` at the loaded context, and the saving."""
    if not info.kv_bytes or info.kv_type not in KV_TYPE_SIZES:
        return ""
    f16 = info.kv_bytes / _per_element(info.kv_type) * _per_element("f16")
    chosen = f16 * _per_element(kv_type) / _per_element("f16")
    line = f"KV cache at {info.n_ctx:,} tokens: {format_gb(int(chosen))} in {kv_type}"
    if kv_type == "f16":
        return line + "."
    return line + f", {format_gb(int(f16 - chosen))} less than f16 ({format_gb(int(f16))})."


def memory_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setObjectName("settingsNote")
    return label
