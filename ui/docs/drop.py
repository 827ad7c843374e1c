"""Documents dragged from the file manager and dropped on the chat become the chat's."""

from __future__ import annotations

from pathlib import Path

from app.docs.readers import is_supported
from ui.file_drop import FileDropFilter


class DocumentDropFilter(FileDropFilter):
    """Accepts drags of folders and of files of kinds Hearth reads; emits ``files_dropped``.

    Other drags (a GGUF model, text) are left to the widget and its other filters.
    """

    def wants(self, path: str) -> bool:
        return Path(path).is_dir() or is_supported(Path(path))
