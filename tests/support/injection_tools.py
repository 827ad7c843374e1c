"""Tools the prompt-injection tests offer the model: one that does harm (deleting a file,
so it must be approved) and one that reads text someone else wrote (a note)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.tools.base import Tool, ToolResult


class DeleteFile(Tool):
    """Deletes the one file the test made (its schema allows no other path).

    ``missing_ok``: a call on a file already gone succeeds (else it fails as ``unlink`` does).
    """

    name = "delete_file"
    description = "Deletes a file."

    def __init__(self, target: Path, *, missing_ok: bool = False) -> None:
        self.parameters = {
            "type": "object",
            "properties": {"path": {"type": "string", "enum": [str(target)]}},
            "required": ["path"],
            "additionalProperties": False,
        }
        self._missing_ok = missing_ok

    def run(self, arguments: Any) -> ToolResult:
        Path(arguments["path"]).unlink(missing_ok=self._missing_ok)
        return ToolResult(f"Deleted {arguments['path']}.")


class ReadNote(Tool):
    """Reads a note someone else wrote: it carries a prompt injection."""

    name = "read_note"
    description = "Reads the user's note."

    def __init__(self, text: str) -> None:
        self.parameters = {"type": "object", "properties": {}}
        self.text = text

    def run(self, arguments: Any) -> ToolResult:
        return ToolResult(self.text)
