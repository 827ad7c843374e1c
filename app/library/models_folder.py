"""The models folder the user chose (``AppSettings.models_dir``), applied to Hearth's paths.

Without a choice the folder is the default of :mod:`app.paths` (under ``HEARTH_HOME``
or the platform's data folder). A chosen folder is remembered in the settings file and
used from then on by the window and the command line alike.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.paths import HearthPaths, hearth_paths
from app.settings import AppSettings


def with_chosen_models_folder(paths: HearthPaths) -> HearthPaths:
    """``paths`` with ``models`` replaced by the folder saved in the settings, if any."""
    chosen = AppSettings.load(paths.settings_file).models_dir
    if not chosen:
        return paths
    return replace(paths, models=Path(chosen).expanduser())


def choose_models_folder(paths: HearthPaths, folder: Path | None) -> HearthPaths:
    """Remember ``folder`` (None: back to the default) and return the paths using it.

    The folder is created; models already in the old folder stay there.
    """
    settings = AppSettings.load(paths.settings_file)
    settings.models_dir = str(folder.expanduser().resolve()) if folder else None
    settings.save(paths.settings_file)
    models = Path(settings.models_dir) if settings.models_dir else hearth_paths().models
    models.mkdir(parents=True, exist_ok=True)
    return replace(paths, models=models)
