"""A keychain in memory, standing in for the system keychain (the test machine has none).

:class:`MemoryKeyring` is a real keyring backend, so ``keyring`` itself is used;
:func:`memory_keyring` puts one in the system keychain's place while in use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keyring
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    """Keeps passwords in memory; notes every lookup in ``asked``; with ``broken`` every
    lookup fails, as a locked keychain does."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, broken: bool = False) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}
        self.asked: list[tuple[str, str]] = []
        self.broken = broken

    def get_password(self, service: str, username: str) -> str | None:
        self.asked.append((service, username))
        if self.broken:
            raise RuntimeError("the keychain is locked")
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@contextlib.contextmanager
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Puts a :class:`MemoryKeyring` in the system keychain's place while in use."""
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
