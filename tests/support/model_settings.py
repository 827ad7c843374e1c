"""Per-model settings saved before a command runs, in the Hearth home in use (HEARTH_HOME)."""

from __future__ import annotations

from pathlib import Path

from app.chat.service import model_key
from app.hearth import Hearth


def save_settings(model_path: Path, **fields: object) -> None:
    """Sets ``fields`` in the settings of the model at ``model_path`` and saves them."""
    hearth = Hearth.open()
    try:
        settings = hearth.model_settings.get(model_key(str(model_path)))
        for name, value in fields.items():
            setattr(settings, name, value)
        hearth.model_settings.save(settings)
    finally:
        hearth.close()
