"""Per-model settings: custom instructions, sampling, context length, GPU layers, template.

One row per model key (whatever stable name the library gives a model, e.g. its file
path relative to the models folder). A model with no row gets :class:`ModelSettings`'
defaults; saving writes every field, so what is read back is exactly what was saved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import astuple, fields

from app.store.database import Database
from app.store.records import ModelSettings

# The table's columns carry the dataclass's field names, so one list serves both ways.
_FIELDS = tuple(field.name for field in fields(ModelSettings))
_COLUMNS = ", ".join(_FIELDS)
_PLACEHOLDERS = ", ".join("?" for _ in _FIELDS)
_UPSERT_SQL = (
    f"INSERT INTO model_settings ({_COLUMNS}, updated_at) VALUES ({_PLACEHOLDERS}, ?) "
    "ON CONFLICT (model_key) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in (*_FIELDS[1:], "updated_at"))
)


class ModelSettingsStore:
    """Reads and saves :class:`ModelSettings`; safe to share between threads."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def get(self, model_key: str) -> ModelSettings:
        """The saved settings for ``model_key``, or the defaults if none were saved."""
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM model_settings WHERE model_key = ?", (model_key,)
            ).fetchone()
        if row is None:
            return ModelSettings(model_key=model_key)
        settings = ModelSettings(*row)
        if settings.thinking is not None:  # stored as 0/1
            settings.thinking = bool(settings.thinking)
        return settings

    def save(self, settings: ModelSettings) -> None:
        """Store every field of ``settings`` (replacing what was there), and commit."""
        with self._db.transaction() as conn:
            conn.execute(_UPSERT_SQL, (*astuple(settings), self._clock()))

    def reset(self, model_key: str) -> None:
        """Forget what was saved for ``model_key``; :meth:`get` returns defaults again."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM model_settings WHERE model_key = ?", (model_key,))

    def saved_model_keys(self) -> list[str]:
        """The models that have saved settings, in name order."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT model_key FROM model_settings ORDER BY model_key")
            return [row[0] for row in rows]
