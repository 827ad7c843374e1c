"""App-wide preferences (not per-model ones, which live in the database): a small JSON file.

Written atomically (a temporary file renamed over the old one), so a crash mid-write
leaves the previous settings, never half a file.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class AppSettings:
    last_model: str | None = None
    models_dir: str | None = None

    @classmethod
    def load(cls, path: Path) -> AppSettings:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as error:
            log.warning("ignoring unreadable settings file %s: %s", path, error)
            return cls()
        known = {field.name for field in fields(cls)}
        return cls(**{key: value for key, value in raw.items() if key in known})

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(asdict(self), stream, indent=2)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
