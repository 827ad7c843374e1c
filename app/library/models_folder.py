"""The models folder the user chose (the ``models_dir`` setting), applied to Hearth's paths.

Without a choice the folder is the default of :mod:`app.paths` (under ``HEARTH_HOME``
or the platform's data folder). A chosen folder is remembered in the settings file
(through :class:`~app.settings.SettingsFile`, its one owner) and used from then on by
the window and the command line alike.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.paths import HearthPaths, hearth_paths
from app.settings import SettingsFile


def with_chosen_models_folder(
    paths: HearthPaths, settings: SettingsFile | None = None
) -> HearthPaths:
    """``paths`` with ``models`` replaced by the folder saved in the settings, if any."""
    chosen = (settings or SettingsFile(paths.settings_file)).read().models_dir
    if not chosen:
        return paths
    return replace(paths, models=Path(chosen).expanduser())


def choose_models_folder(
    paths: HearthPaths, folder: Path | None, settings: SettingsFile | None = None
) -> HearthPaths:
    """Remember ``folder`` (None: back to the default) and return the paths using it.

    The folder is created; models already in the old folder stay there. Only the
    ``models_dir`` setting is written: every other setting stays as it is on disk.
    """
    chosen = str(folder.expanduser().resolve()) if folder else None
    (settings or SettingsFile(paths.settings_file)).update(models_dir=chosen)
    models = Path(chosen) if chosen else hearth_paths().models
    models.mkdir(parents=True, exist_ok=True)
    return replace(paths, models=models)
