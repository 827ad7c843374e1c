"""GGUF files the user already had, used where they lie: a small JSON list in the config folder.

Importing never copies or moves a file. It checks that the file is a readable, complete
GGUF (its header and the end of its weights), then records its absolute path; the
library lists it beside the downloaded models. Removing an imported model takes it off
the list and leaves the file alone unless the caller asks for it to be deleted (see
:mod:`app.library.removal`). The list is written atomically, like the settings.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from app.library.gguf_header import GGUFError, GGUFHeader, read_gguf_header
from app.library.local_models import split_parts

log = logging.getLogger(__name__)

IMPORTS_FILE = "imported_models.json"
IMPORTS_VERSION = 1


class ImportRefusedError(ValueError):
    """The file cannot be imported; the message says why, for the user."""


def missing_bytes(header: GGUFHeader) -> int:
    """How many bytes short of its last tensor's end the file is (0 or less: complete).

    The header reader only checks that the last tensor starts inside the file; this
    checks that it ends there too. Unknown tensor types count as complete.
    """
    import gguf  # a dependency already; imported here to keep this module light to load

    end = 0
    for tensor in header.tensors:
        try:
            block, type_size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(tensor.type_id)]
        except (KeyError, ValueError):
            return 0
        elements = 1
        for dimension in tensor.shape:
            elements *= dimension
        end = max(end, tensor.offset + elements // block * type_size)
    return header.data_offset + end - header.file_size


class ImportRegistry:
    """The imported files, kept in ``path`` (normally ``<config>/imported_models.json``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_folder(cls, config_dir: Path) -> ImportRegistry:
        return cls(config_dir / IMPORTS_FILE)

    def paths(self) -> list[Path]:
        """Every recorded file, in the order imported (including ones gone missing)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return [Path(p) for p in raw.get("paths", [])]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, AttributeError) as err:
            log.warning("ignoring unreadable import list %s: %s", self.path, err)
            return []

    def add(self, file: Path | str, models_dir: Path | None = None) -> Path:
        """Check ``file`` and record it; returns its absolute path.

        A file already inside ``models_dir`` is listed anyway and is not recorded.
        """
        path = Path(file).expanduser().resolve()
        if not path.is_file():
            raise ImportRefusedError(f"There is no file at {path}.")
        if path.suffix.lower() != ".gguf":
            raise ImportRefusedError(
                f"{path.name} is not a GGUF model file (its name must end in .gguf)."
            )
        parts = split_parts(path)
        if parts and parts[0] != path:
            raise ImportRefusedError(
                f"{path.name} is part of a split model: import {parts[0].name}."
            )
        missing = [part.name for part in parts if not part.is_file()]
        if missing:
            raise ImportRefusedError(
                f"{path.name} is split, and these parts are missing: {', '.join(missing)}."
            )
        try:
            header = read_gguf_header(path)
        except GGUFError as err:
            raise ImportRefusedError(f"Hearth cannot use {path.name}: {err}") from err
        short = missing_bytes(header)
        if short > 0:
            raise ImportRefusedError(
                f"{path.name} is truncated: {short:,} bytes of its weights are missing"
                " (an interrupted download or copy?)"
            )
        if models_dir is not None and path.is_relative_to(models_dir.resolve()):
            return path
        known = self.paths()
        if path not in known:
            self._save([*known, path])
        return path

    def remove(self, file: Path | str) -> bool:
        """Forget ``file``; False if it was not recorded. The file itself is untouched."""
        path = Path(file).expanduser().resolve()
        known = self.paths()
        if path not in known:
            return False
        self._save([p for p in known if p != path])
        return True

    def __contains__(self, file: object) -> bool:
        return isinstance(file, (str, Path)) and Path(file).expanduser().resolve() in self.paths()

    def _save(self, paths: list[Path]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"version": IMPORTS_VERSION, "paths": [str(p) for p in paths]}
        handle, temporary = tempfile.mkstemp(prefix=".imports-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(payload, stream, indent=2)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
