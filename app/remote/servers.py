"""The remote servers the user added: ``remote-servers.json`` in Hearth's config folder.

Each server has a name, a base URL (the API root, ``http://host:port/v1``), a time limit,
whether a key is kept for it (the key itself lives in the keychain: ``app.remote.keys``),
and the models it listed last time it was asked. That list lets the model picker show a
server's models without contacting it: Hearth talks to a remote server only when the
user adds it, asks for a fresh list, or picks one of its models (see ``app.remote.connect``).

The file is rewritten whole through a temporary file and a rename, so a crash never
leaves half a file; this module is its only writer.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from app.remote.refs import RemoteRef, check_server_name

log = logging.getLogger(__name__)

FILE_NAME = "remote-servers.json"
# How long a server may stay silent (before the first token too) unless the user says.
DEFAULT_TIMEOUT_S = 120.0


class RemoteServerError(ValueError):
    """A server that cannot be added or found; the message says why."""


@dataclass(frozen=True)
class RemoteServer:
    name: str
    base_url: str
    has_key: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    models: tuple[str, ...] = ()  # as last listed
    listed_at: float | None = None  # when (Unix seconds); None: never

    def refs(self) -> list[RemoteRef]:
        return [RemoteRef(self.name, model) for model in self.models]


def normalize_base_url(url: str) -> str:
    """The API root for what the user typed: ``http(s)://host[:port]/path`` without a
    trailing slash; a bare ``host:port`` gets ``http://``, an address without a path
    gets ``/v1`` (where llama-server, vLLM, Ollama and LM Studio all serve the API)."""
    text = url.strip()
    if not text:
        raise RemoteServerError("give the server's address, such as http://gpu-box:8000/v1")
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise RemoteServerError(f"{url!r} is not an http:// or https:// address")
    if not parts.hostname:
        raise RemoteServerError(f"{url!r} names no host")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise RemoteServerError(f"{url!r} has a port that is not a number") from None
    path = parts.path.rstrip("/") or "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class RemoteServers:
    """The servers file in one config folder. Thread-safe within a process."""

    _locks: ClassVar[dict[Path, threading.Lock]] = {}
    _locks_guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        with RemoteServers._locks_guard:
            self._lock = RemoteServers._locks.setdefault(path, threading.Lock())

    @classmethod
    def in_folder(cls, config_dir: Path) -> RemoteServers:
        return cls(config_dir / FILE_NAME)

    def all(self) -> list[RemoteServer]:
        """Every server, in the order they were added (an unreadable file: none)."""
        with self._lock:
            return self._read()

    def get(self, name: str) -> RemoteServer:
        for server in self.all():
            if server.name == name:
                return server
        known = ", ".join(server.name for server in self.all()) or "none yet"
        raise RemoteServerError(
            f"there is no remote server named {name!r} (there are: {known});"
            " add it with 'hearth remote add NAME URL'"
        )

    def save(self, server: RemoteServer, *, replace_existing: bool = False) -> None:
        """Adds ``server``; one of the same name is replaced only when asked."""
        check_server_name(server.name)
        with self._lock:
            servers = self._read()
            names = [s.name for s in servers]
            if server.name in names:
                if not replace_existing:
                    raise RemoteServerError(
                        f"a server named {server.name!r} exists; remove it first or replace it"
                    )
                servers[names.index(server.name)] = server
            else:
                servers.append(server)
            self._write(servers)

    def set_models(self, name: str, models: list[str]) -> RemoteServer:
        """Keeps the list a server gave just now; returns the server as saved."""
        with self._lock:
            servers = self._read()
            for index, server in enumerate(servers):
                if server.name == name:
                    servers[index] = replace(server, models=tuple(models), listed_at=time.time())
                    self._write(servers)
                    return servers[index]
        raise RemoteServerError(f"there is no remote server named {name!r}")

    def remove(self, name: str) -> bool:
        with self._lock:
            servers = self._read()
            kept = [server for server in servers if server.name != name]
            if len(kept) == len(servers):
                return False
            self._write(kept)
            return True

    def _read(self) -> list[RemoteServer]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError):
            log.warning("could not read %s; no remote servers are listed", self.path)
            return []
        servers = []
        for entry in data.get("servers", []) if isinstance(data, dict) else []:
            try:
                servers.append(
                    RemoteServer(
                        name=str(entry["name"]),
                        base_url=str(entry["base_url"]),
                        has_key=bool(entry.get("has_key", False)),
                        timeout_s=float(entry.get("timeout_s", DEFAULT_TIMEOUT_S)),
                        models=tuple(str(model) for model in entry.get("models", [])),
                        listed_at=entry.get("listed_at"),
                    )
                )
            except (KeyError, TypeError, ValueError):
                log.warning("skipped an unreadable entry in %s", self.path)
        return servers

    def _write(self, servers: list[RemoteServer]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"servers": [_entry(server) for server in servers]}, indent=2)
        fd, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _entry(server: RemoteServer) -> dict[str, object]:
    entry = asdict(server)
    entry["models"] = list(server.models)
    return entry


__all__ = [
    "DEFAULT_TIMEOUT_S",
    "RemoteServer",
    "RemoteServerError",
    "RemoteServers",
    "normalize_base_url",
]
