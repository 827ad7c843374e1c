"""How a remote model is named wherever a local model's path would be: ``remote:SERVER/MODEL``.

The picker, the settings (``last_model``), the database's model keys and ``hearth chat
--model`` all carry this one string. ``SERVER`` is the name the user gave the server
(letters, digits, ``-``, ``_``, ``.``); ``MODEL`` is the id the server lists, which may
itself hold slashes (``Qwen/Qwen3-8B``, or a file path on llama-cpp-python's server).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "remote:"
_SERVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class RemoteRefError(ValueError):
    """A remote reference or server name that cannot be read; the message says why."""


@dataclass(frozen=True)
class RemoteRef:
    server: str
    model: str

    def __str__(self) -> str:
        return f"{PREFIX}{self.server}/{self.model}"

    @property
    def label(self) -> str:
        """How the picker shows it: the model, then which server it is on."""
        return f"{self.model} — {self.server} (remote)"


def is_remote_ref(text: object) -> bool:
    return isinstance(text, str) and text.startswith(PREFIX)


def parse_ref(text: str) -> RemoteRef:
    """``remote:SERVER/MODEL`` read; :class:`RemoteRefError` if it is not one."""
    if not is_remote_ref(text):
        raise RemoteRefError(f"{text!r} is not a remote model (remote:SERVER/MODEL)")
    server, slash, model = text[len(PREFIX) :].partition("/")
    if not slash or not model:
        raise RemoteRefError(f"{text!r} names no model: write remote:SERVER/MODEL")
    check_server_name(server)
    return RemoteRef(server, model)


def check_server_name(name: str) -> str:
    """``name`` if it can name a server; :class:`RemoteRefError` saying why not."""
    if not _SERVER_NAME.match(name):
        raise RemoteRefError(
            f"{name!r} cannot name a server: use letters, digits, '-', '_' or '.'"
            " (at most 64, no spaces or slashes)"
        )
    return name


__all__ = [
    "PREFIX",
    "RemoteRef",
    "RemoteRefError",
    "check_server_name",
    "is_remote_ref",
    "parse_ref",
]
