"""Per-model settings: the dialog, and the call that opens it and saves on Save."""

from ui.settings.dialog import ModelSettingsDialog
from ui.settings.edit import edit_model_settings

__all__ = ["ModelSettingsDialog", "edit_model_settings"]
