"""GGUF files dragged from the file manager and dropped on a widget become imports."""

from __future__ import annotations

from ui.file_drop import FileDropFilter


class GgufDropFilter(FileDropFilter):
    """Accepts drags of ``.gguf`` files and emits ``files_dropped(list)``.

    Other drags (text, images) are left to the widget.
    """

    def wants(self, path: str) -> bool:
        return path.lower().endswith(".gguf")
