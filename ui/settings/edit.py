"""Opening the settings dialog for one model and saving what the user chose."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QDialog, QWidget

from app.engine.protocol import ModelInfo
from app.store.model_settings import ModelSettingsStore
from app.store.records import ModelSettings
from ui.settings.dialog import OWN_TOOLS, ModelSettingsDialog


def edit_model_settings(
    parent: QWidget | None,
    store: ModelSettingsStore,
    model_key: str,
    display_name: str,
    trained_context: int | None,
    *,
    info: ModelInfo | None = None,
    tool_choices: Sequence[tuple[str, str]] = OWN_TOOLS,
    draft_choices: Sequence[tuple[str, str]] = (),
) -> ModelSettings | None:
    """Show the dialog (modal); on Save, store the settings and return them, else ``None``.

    ``info`` (the loaded model) lets the dialog say what its template cannot do;
    ``tool_choices`` are the tools it offers as the model's defaults, ``draft_choices``
    the local models it offers as a draft model.
    """
    dialog = ModelSettingsDialog(
        store.get(model_key),
        display_name,
        trained_context,
        parent,
        info=info,
        tool_choices=tool_choices,
        draft_choices=draft_choices,
    )
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        settings = dialog.settings()
        store.save(settings)
        return settings
    finally:
        dialog.deleteLater()
