"""The one owner of ``settings.json``: app-wide preferences (per-model ones live in the
database).

Every read and write of the file goes through :class:`SettingsFile`. Readers get what
is on disk now (:meth:`SettingsFile.read`); writers name only the keys they change
(:meth:`SettingsFile.update`), which reads, changes and writes the file under a lock
file beside it (``settings.json.lock``, an OS lock through ``filelock``, released
when a process dies). So the window, the command line and a second process never
lose each other's keys: none writes back a stale copy of keys it did not change.

Writes are atomic: a temporary file in the same folder, flushed and ``fsync``-ed, then
renamed over the old one (``os.replace``), so a crash mid-write leaves the previous
settings, never half a file. Keys this version does not know (written by a newer
Hearth) are kept as they are.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from filelock import FileLock

log = logging.getLogger(__name__)

# Longest wait for another process's write (each holds the lock for a few milliseconds).
LOCK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class AppSettings:
    """The preferences, as read at one moment."""

    last_model: str | None = None  # path of the model last loaded in the window
    models_dir: str | None = None  # the models folder the user chose (None: the default)
    # The API server (app.server): load another local model when a request names it, and
    # keep the server's requests and replies as chats. Both off until the user turns them on.
    server_jit_loading: bool = False
    server_keep_conversations: bool = False
    # The conversation's text size, in zoom steps from the default (Ctrl+= / Ctrl+-).
    text_zoom: int = 0


SETTING_NAMES = frozenset(field.name for field in fields(AppSettings))


def _allowed_types() -> dict[str, tuple[type, ...]]:
    """Each setting's allowed value types, from the dataclass's annotations."""
    allowed: dict[str, tuple[type, ...]] = {}
    for name, hint in typing.get_type_hints(AppSettings).items():
        options = typing.get_args(hint) or (hint,)
        allowed[name] = tuple(option for option in options if isinstance(option, type))
    return allowed


_ALLOWED = _allowed_types()


def _fits(name: str, value: object) -> bool:
    allowed = _ALLOWED[name]
    if isinstance(value, bool):  # a bool is an int to isinstance: only a bool setting takes it
        return bool in allowed
    return isinstance(value, allowed)


def _settings_from(raw: dict[str, Any], path: Path) -> AppSettings:
    """The known keys of ``raw`` whose values have the right type (a hand-edited file
    with ``"server_jit_loading": "yes"`` reads as the default, with a warning)."""
    values = {}
    for key, value in raw.items():
        if key not in SETTING_NAMES:
            continue
        if _fits(key, value):
            values[key] = value
        else:
            log.warning("ignoring setting %s=%r in %s: of the wrong type", key, value, path)
    return AppSettings(**values)


class SettingsFile:
    """Reads and changes one ``settings.json``; safe across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path.with_name(path.name + ".lock")), timeout=LOCK_TIMEOUT_S)

    def read(self) -> AppSettings:
        """The settings on disk now (defaults for a missing or unreadable file)."""
        return _settings_from(self._read_raw(), self.path)

    def update(self, **changes: str | bool | int | None) -> AppSettings:
        """Set the named settings (None clears one) and keep every other key as it is.

        Returns the settings as written. Raises ``TypeError`` for a name that is not a
        setting, ``filelock.Timeout`` if another process holds the file far too long.
        """
        unknown = set(changes) - SETTING_NAMES
        if unknown:
            raise TypeError(f"not a setting: {', '.join(sorted(unknown))}")
        wrong = [f"{name}={value!r}" for name, value in changes.items() if not _fits(name, value)]
        if wrong:
            raise TypeError(f"a setting of the wrong type: {', '.join(wrong)}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            raw = self._read_raw()
            raw.update(changes)
            self._write(raw)
        return _settings_from(raw, self.path)

    def _read_raw(self) -> dict[str, Any]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("ignoring unreadable settings file %s: %s", self.path, error)
            return {}
        if not isinstance(raw, dict):
            log.warning("ignoring settings file %s: not a JSON object", self.path)
            return {}
        return raw

    def _write(self, raw: dict[str, Any]) -> None:
        folder = self.path.parent
        handle, temporary = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(raw, stream, indent=2)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no directory handles)."""
    if os.name != "posix":
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


__all__ = ["AppSettings", "SettingsFile"]
