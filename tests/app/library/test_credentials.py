"""Keeping and forgetting the Hugging Face token: private from its first byte, and
"forget" removes only what Hearth itself wrote.

With no keychain (as on a headless Linux machine) the token goes to huggingface_hub's
own token file, the one ``hf auth login`` writes too.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest
from huggingface_hub import constants as hf_constants

from app.hub.token import KEYRING_SERVICE, KEYRING_USERNAME, find_token
from app.library.credentials import KEYCHAIN, TOKEN_FILE, forget_token, save_token
from tests.support.memory_keyring import MemoryKeyring


@pytest.fixture
def token_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No keychain, no token in the environment, huggingface_hub's file in tmp_path."""
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "hearth"))
    path = tmp_path / "hf-home" / "token"
    monkeypatch.setattr(hf_constants, "HF_TOKEN_PATH", str(path))
    monkeypatch.setitem(sys.modules, "keyring", None)  # as if not installed
    return path


@pytest.fixture
def umask() -> Iterator[Any]:
    """Sets the process umask for one test, and puts the old one back."""
    previous = os.umask(0o022)

    def set_to(value: int) -> None:
        os.umask(value)

    yield set_to
    os.umask(previous)


class FolderWatch:
    """Looks into one folder at every audited operation (open, chmod, rename, ...) the
    code under test makes, and notes any file holding bytes that others may read."""

    active = False
    folder: Path | None = None
    exposed: list[str] = []  # noqa: RUF012 - one watch per process (audit hooks stay)
    _inside = False

    @classmethod
    def hook(cls, event: str, args: tuple[Any, ...]) -> None:
        if not cls.active or cls._inside or cls.folder is None:
            return
        cls._inside = True
        try:
            if cls.folder.is_dir():
                for entry in os.scandir(cls.folder):
                    info = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(info.st_mode) and info.st_size and info.st_mode & 0o077:
                        cls.exposed.append(f"{entry.name} {oct(info.st_mode & 0o777)} at {event}")
        finally:
            cls._inside = False


_hook_installed = False


@pytest.fixture
def watch() -> Iterator[type[FolderWatch]]:
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(FolderWatch.hook)
        _hook_installed = True
    FolderWatch.exposed = []
    yield FolderWatch
    FolderWatch.active = False
    FolderWatch.folder = None


def test_the_token_file_is_never_readable_by_others_not_even_while_written(
    token_file: Path, umask: Any, watch: type[FolderWatch]
) -> None:
    watch.folder = token_file.parent
    watch.active = True
    where = save_token("  hf_secret_from_the_window \n")
    watch.active = False

    assert where == TOKEN_FILE
    assert token_file.read_text() == "hf_secret_from_the_window"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert watch.exposed == []
    assert find_token() == "hf_secret_from_the_window"
    assert [p.name for p in token_file.parent.iterdir()] == ["token"]  # no temporary left


def test_the_token_file_is_private_whatever_the_umask(token_file: Path, umask: Any) -> None:
    umask(0)
    save_token("hf_one")
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    umask(0o277)  # even one that would take the owner's own write permission away
    save_token("hf_two")
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text() == "hf_two"


def test_a_token_file_others_could_read_is_replaced_by_a_private_one(
    token_file: Path, umask: Any
) -> None:
    token_file.parent.mkdir(parents=True)
    token_file.write_text("hf_old")
    token_file.chmod(0o644)
    save_token("hf_new")
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text() == "hf_new"


def test_forget_leaves_a_token_that_hf_auth_login_wrote(token_file: Path) -> None:
    token_file.parent.mkdir(parents=True)
    token_file.write_text("hf_from_the_cli\n")  # as `hf auth login` leaves it

    forget_token()

    assert token_file.read_text() == "hf_from_the_cli\n"
    assert find_token() == "hf_from_the_cli"


def test_forget_removes_the_token_hearth_wrote(token_file: Path) -> None:
    save_token("hf_from_hearth")
    assert find_token() == "hf_from_hearth"

    forget_token()

    assert not token_file.exists()
    assert find_token() is None


def test_forget_leaves_a_token_written_over_hearths_since(token_file: Path) -> None:
    save_token("hf_from_hearth")
    token_file.write_text("hf_logged_in_later\n")  # the user ran `hf auth login` since

    forget_token()

    assert find_token() == "hf_logged_in_later"


def test_forget_twice_and_forget_with_nothing_saved_are_harmless(token_file: Path) -> None:
    forget_token()
    save_token("hf_from_hearth")
    forget_token()
    forget_token()
    assert not token_file.exists()


def test_with_a_keychain_the_file_of_hf_auth_login_is_left_alone(
    token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = MemoryKeyring()
    monkeypatch.setitem(sys.modules, "keyring", keyring)
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    try:
        token_file.parent.mkdir(parents=True)
        token_file.write_text("hf_from_the_cli")

        assert save_token("hf_in_the_keychain") == KEYCHAIN
        assert backend.passwords[(KEYRING_SERVICE, KEYRING_USERNAME)] == "hf_in_the_keychain"
        forget_token()

        assert backend.passwords == {}
        assert token_file.read_text() == "hf_from_the_cli"
    finally:
        keyring.set_keyring(previous)
