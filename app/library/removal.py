"""Removing a model from the library.

A downloaded model's files (every part of a split model, and any partial download
beside them) are deleted, and its repository folder too once empty. An imported model
is taken off the import list; its file is deleted only when the caller says so. Asking
the user first is the front end's job: this module does what it is told.
"""

from __future__ import annotations

from pathlib import Path

from app.hub.layout import part_path
from app.library.imports import ImportRegistry
from app.library.local_models import LocalModel, split_parts


class RemovalError(ValueError):
    """The model cannot be removed; the message says why."""


def model_files(model: LocalModel) -> list[Path]:
    """The files that make up ``model`` on disk (all parts of a split model)."""
    return [p for p in (split_parts(model.path) or [model.path]) if p.exists()]


def remove_model(
    model: LocalModel,
    models_dir: Path,
    registry: ImportRegistry,
    *,
    delete_files: bool,
) -> list[Path]:
    """Remove ``model``; returns the files deleted (none when only unregistered).

    ``delete_files`` must be True for a model in the models folder (removing it means
    deleting it); for an imported model it decides whether the file goes too.
    """
    if model.is_starter:
        raise RemovalError("The starter model comes with Hearth and cannot be removed.")
    if model.is_imported or model.path in registry:
        registry.remove(model.path)
        if not delete_files:
            return []
    elif not delete_files:
        raise RemovalError(f"Removing {model.name} deletes its files: confirm to go on.")
    deleted = []
    for file in model_files(model):
        part_path(file).unlink(missing_ok=True)
        file.unlink()
        deleted.append(file)
    _prune_empty_folders(model.path.parent, models_dir)
    return deleted


def _prune_empty_folders(folder: Path, models_dir: Path) -> None:
    """Delete ``folder`` and its parents while empty, stopping at the models folder."""
    root = models_dir.resolve()
    current = folder.resolve()
    while current != root and current.is_relative_to(root):
        try:
            current.rmdir()  # only succeeds when empty
        except OSError:
            return
        current = current.parent
