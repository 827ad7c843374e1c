"""The API keys of remote servers, kept in the system keychain.

Each key goes to the keychain through ``keyring`` under the service :data:`SERVICE` and
the server's name. Where there is no usable keychain (no backend, as on a headless Linux
machine) it goes to ``remote-keys.json`` in Hearth's config folder instead, created
readable by its owner only; :meth:`RemoteKeys.save` says which was used, so the user is
told. A key is never written to the servers file, a log or the screen.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

SERVICE = "Hearth remote server"
FALLBACK_FILE = "remote-keys.json"
KEYCHAIN = "the system keychain"


def _keyring():  # type: ignore[no-untyped-def]
    try:
        import keyring
    except ImportError:
        return None
    return keyring


class RemoteKeys:
    """The keys of the servers configured in one config folder."""

    def __init__(self, config_dir: Path) -> None:
        self.fallback = config_dir / FALLBACK_FILE

    def save(self, server: str, key: str) -> str:
        """Keeps ``key`` for ``server``; returns where (:data:`KEYCHAIN` or a file path)."""
        key = key.strip()
        if not key:
            raise ValueError("the key is empty")
        keyring = _keyring()
        if keyring is not None:
            try:
                keyring.set_password(SERVICE, server, key)
                self._drop_from_file(server)
                return KEYCHAIN
            except Exception as error:  # no backend, locked, denied: use the file
                log.info("keychain unavailable (%s); keeping the key in a private file", error)
        keys = self._read_file()
        keys[server] = key
        self._write_file(keys)
        return str(self.fallback)

    def get(self, server: str) -> str | None:
        keyring = _keyring()
        if keyring is not None:
            try:
                key = keyring.get_password(SERVICE, server)
                if key:
                    return str(key)
            except Exception:  # no keychain: the file may have it
                log.debug("no keychain to read a key from", exc_info=True)
        return self._read_file().get(server)

    def forget(self, server: str) -> None:
        keyring = _keyring()
        if keyring is not None:
            try:
                keyring.delete_password(SERVICE, server)
            except Exception:  # not there, or no keychain
                log.debug("no keychain key to forget for %s", server, exc_info=True)
        self._drop_from_file(server)

    def _drop_from_file(self, server: str) -> None:
        keys = self._read_file()
        if server in keys:
            del keys[server]
            self._write_file(keys)

    def _read_file(self) -> dict[str, str]:
        try:
            data = json.loads(self.fallback.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("could not read %s", self.fallback)
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(name): str(key) for name, key in data.items() if isinstance(key, str)}

    def _write_file(self, keys: dict[str, str]) -> None:
        if not keys:
            self.fallback.unlink(missing_ok=True)
            return
        folder = self.fallback.parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{self.fallback.name}.", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                if os.name == "posix":
                    os.fchmod(out.fileno(), 0o600)
                out.write(json.dumps(keys))
            os.replace(temporary, self.fallback)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


__all__ = ["KEYCHAIN", "SERVICE", "RemoteKeys"]
