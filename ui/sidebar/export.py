"""Exporting a conversation to a file: where to write it, and writing it.

The path comes from an :data:`ExportPathChooser` (a save dialog by default; tests hand
in their own so no modal dialog opens). :func:`write_export` renders the conversation
with :mod:`app.store.export` (the answers only, or with the thinking) and writes it
through a temporary file, so a half-written export never sits under the chosen name. It
reads the database and the disk, so the sidebar runs it on a worker.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from app.store.conversations import ConversationStore
from app.store.export import export_json, export_markdown

# "markdown_thinking": Markdown with each reply's thinking quoted above its answer.
ExportFormat = Literal["markdown", "markdown_thinking", "json"]
ExportPathChooser = Callable[[QWidget, str, str], Path | None]
"""``(parent, suggested_file_name, format) -> path or None`` (``None``: the user cancelled)."""

EXTENSIONS: dict[str, str] = {"markdown": ".md", "markdown_thinking": ".md", "json": ".json"}
_FILTERS = {
    "markdown": "Markdown (*.md)",
    "markdown_thinking": "Markdown (*.md)",
    "json": "JSON (*.json)",
}
# Characters that Windows, macOS or Linux refuse in file names, and control characters.
_UNSAFE_NAME_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_MAX_STEM = 80


def suggested_file_name(title: str, export_format: str) -> str:
    """A file name for the export built from the conversation title."""
    stem = _UNSAFE_NAME_CHARS.sub(" ", title)
    stem = " ".join(stem.split()).strip(". ")[:_MAX_STEM].strip() or "Conversation"
    return stem + EXTENSIONS[export_format]


def choose_export_path(parent: QWidget, suggested_name: str, export_format: str) -> Path | None:
    """Ask with a save dialog, starting in the Documents folder."""
    folder = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    ) or str(Path.home())
    chosen, _ = QFileDialog.getSaveFileName(
        parent, "Export conversation", str(Path(folder) / suggested_name), _FILTERS[export_format]
    )
    if not chosen:
        return None
    path = Path(chosen)
    return path if path.suffix else path.with_suffix(EXTENSIONS[export_format])


def write_export(
    store: ConversationStore, conversation_id: int, export_format: str, path: Path
) -> Path:
    """Render the conversation in ``export_format`` and write it to ``path``."""
    if export_format == "markdown":
        text = export_markdown(store, conversation_id)
    elif export_format == "markdown_thinking":
        text = export_markdown(store, conversation_id, include_thinking=True)
    elif export_format == "json":
        text = export_json(store, conversation_id)
    else:
        raise ValueError(f"unknown export format {export_format!r}")
    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_text(text, encoding="utf-8", newline="\n")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
