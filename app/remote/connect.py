"""Adding, listing and removing remote servers, and the load request for a remote model.

The one set of calls the window and ``hearth remote`` share. These are the only places
Hearth contacts a remote server besides a reply: :func:`add_server` (it lists the new
server's models, unless told not to), :func:`refresh_models` (the user asked for a fresh
list) and loading a picked model (the engine checks the server still offers it). At
start-up nothing is contacted: the picker shows each server's models as last listed, and
the last model used is reopened only if it is a local one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.engine.errors import EngineError, ModelLoadError
from app.engine.protocol import LoadRequest, RemoteTarget
from app.engine.remote import list_models
from app.remote.keys import RemoteKeys
from app.remote.refs import check_server_name, parse_ref
from app.remote.servers import (
    DEFAULT_TIMEOUT_S,
    RemoteServer,
    RemoteServerError,
    RemoteServers,
    normalize_base_url,
)


@dataclass(frozen=True)
class AddedServer:
    server: RemoteServer
    key_kept_in: str | None  # the keychain, or the private file used without one


def target_for(server: RemoteServer, key: str | None, model: str = "") -> RemoteTarget:
    return RemoteTarget(server.name, server.base_url, model, key, server.timeout_s)


def remote_load_request(ref_text: str, config_dir: Path) -> LoadRequest:
    """How the engine loads ``remote:SERVER/MODEL``; :class:`ModelLoadError` saying why
    when the server is not configured or the reference is broken. No network."""
    try:
        ref = parse_ref(ref_text)
        server = RemoteServers.in_folder(config_dir).get(ref.server)
    except ValueError as error:  # RemoteRefError, RemoteServerError
        raise ModelLoadError(str(error)) from None
    key = RemoteKeys(config_dir).get(server.name) if server.has_key else None
    if server.has_key and not key:
        raise ModelLoadError(
            f"The key for {server.name} is no longer in the keychain: add the server again"
            f" with its key ('hearth remote add {server.name} {server.base_url} --key-stdin"
            " --replace')"
        )
    return LoadRequest(model_path=str(ref), remote=target_for(server, key, ref.model))


def add_server(
    config_dir: Path,
    name: str,
    url: str,
    key: str | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    check: bool = True,
    replace_existing: bool = False,
) -> AddedServer:
    """Adds a server; with ``check`` (the default) it must list its models first.

    Contacts the server (when checking): call it off the GUI thread. Raises
    :class:`RemoteServerError` saying what is wrong; nothing is kept then.
    """
    check_server_name(name)
    if timeout_s <= 0:
        raise RemoteServerError("the time limit must be more than 0 seconds")
    servers = RemoteServers.in_folder(config_dir)
    if not replace_existing and any(s.name == name for s in servers.all()):
        raise RemoteServerError(
            f"a server named {name!r} exists; remove it first, or replace it (--replace)"
        )
    key = (key or "").strip() or None
    server = RemoteServer(name, normalize_base_url(url), bool(key), float(timeout_s))
    models: list[str] = []
    if check:
        try:
            models = [model for model, _ in list_models(target_for(server, key))]
        except EngineError as error:
            raise RemoteServerError(str(error)) from None
    keys = RemoteKeys(config_dir)
    kept_in = keys.save(name, key) if key else None
    if not key:
        keys.forget(name)
    servers.save(server, replace_existing=replace_existing)
    if check:
        server = servers.set_models(name, models)
    return AddedServer(server, kept_in)


def refresh_models(config_dir: Path, name: str) -> RemoteServer:
    """Asks the server for its models now and keeps the list. Contacts the server."""
    servers = RemoteServers.in_folder(config_dir)
    server = servers.get(name)
    key = RemoteKeys(config_dir).get(name) if server.has_key else None
    try:
        models = [model for model, _ in list_models(target_for(server, key))]
    except EngineError as error:
        raise RemoteServerError(str(error)) from None
    return servers.set_models(name, models)


def remove_server(config_dir: Path, name: str) -> bool:
    """Removes the server and its key; False if there was none of that name."""
    removed = RemoteServers.in_folder(config_dir).remove(name)
    RemoteKeys(config_dir).forget(name)
    return removed


__all__ = [
    "AddedServer",
    "add_server",
    "refresh_models",
    "remote_load_request",
    "remove_server",
    "target_for",
]
