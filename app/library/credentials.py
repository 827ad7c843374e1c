"""Keeping the user's Hugging Face access token, entered once in the window or the CLI.

The token goes to the system keychain through the optional ``keyring`` package, under
the names :mod:`app.hub.token` reads it back with. Where there is no usable keychain
(``keyring`` not installed, or no backend, as on a headless Linux machine) it goes to
the file huggingface_hub itself keeps its token in (what ``hf auth login`` writes), which
:func:`app.hub.token.find_token` also reads; :func:`save_token` says which was used.
``HF_TOKEN`` in the environment, when set, is read first by huggingface_hub and wins
over the file.

The file is created private (owner read and write only) before the token is written to
it, whatever the umask, and replaces any earlier file in one rename. Since that file is
shared with huggingface_hub, Hearth notes what it wrote there (the file's path and a
SHA-256 of the token, in Hearth's config folder); :func:`forget_token` deletes the file
only while it still holds that token, so a token ``hf auth login`` wrote, before or
since, is left alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

from huggingface_hub import constants

from app.hub.token import KEYRING_SERVICE, KEYRING_USERNAME
from app.paths import hearth_paths

log = logging.getLogger(__name__)

KEYCHAIN = "the system keychain"
TOKEN_FILE = "huggingface_hub's token file"
WRITTEN_RECORD = "token-file-written.json"  # in Hearth's config folder


def _keyring():  # type: ignore[no-untyped-def]
    try:
        import keyring
    except ImportError:
        return None
    return keyring


def token_file() -> Path:
    """huggingface_hub's token file (read at call time: it follows ``HF_HOME``)."""
    return Path(constants.HF_TOKEN_PATH)


def save_token(token: str) -> str:
    """Keep ``token``; returns where (:data:`KEYCHAIN` or :data:`TOKEN_FILE`)."""
    token = token.strip()
    if not token:
        raise ValueError("the token is empty")
    keyring = _keyring()
    if keyring is not None:
        try:
            keyring.set_password(KEYRING_SERVICE, KEYRING_USERNAME, token)
            return KEYCHAIN
        except Exception as err:  # no backend, locked, denied: fall back to the file
            log.info("keychain unavailable (%s); using the token file", err)
    path = token_file()
    _write_private(path, token)
    _remember_written(path, token)
    return TOKEN_FILE


def forget_token() -> list[str]:
    """Remove the token Hearth kept; returns where from (:data:`KEYCHAIN`, :data:`TOKEN_FILE`).

    The token file is deleted only if it still holds the token Hearth wrote there.
    """
    removed: list[str] = []
    keyring = _keyring()
    if keyring is not None:
        try:
            keyring.delete_password(KEYRING_SERVICE, KEYRING_USERNAME)
            removed.append(KEYCHAIN)
        except Exception:  # not there, or no keychain: nothing to forget
            log.debug("no keychain token to forget", exc_info=True)
    if _forget_written_file():
        removed.append(TOKEN_FILE)
    return removed


def _digest(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def _write_private(path: Path, token: str) -> None:
    """Write ``token`` to ``path`` through a file that is owner-only from its creation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            if os.name == "posix":
                os.fchmod(out.fileno(), 0o600)  # exactly: mkstemp's 0600 less the umask
            out.write(token)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _record_file() -> Path:
    return hearth_paths().config / WRITTEN_RECORD


def _remember_written(path: Path, token: str) -> None:
    record = {"path": str(path.resolve()), "sha256": _digest(token)}
    try:
        target = _record_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(record), encoding="utf-8")
    except OSError:  # the token is kept; only "forget" will leave the file in place
        log.warning("could not note that Hearth wrote %s", path, exc_info=True)


def _forget_written_file() -> bool:
    """Delete the token file Hearth wrote, if it still holds that token; True if deleted."""
    record_file = _record_file()
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
        path, digest = Path(record["path"]), str(record["sha256"])
    except FileNotFoundError:
        return False  # Hearth never wrote the token file (or already forgot it)
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("unreadable record of the token file in %s", record_file, exc_info=True)
        return False
    deleted = False
    try:
        if _digest(path.read_text(encoding="utf-8")) == digest:
            path.unlink()
            deleted = True
        else:
            log.info("left %s: it holds a token Hearth did not write", path)
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError):
        log.warning("could not check the token file %s", path, exc_info=True)
        return False
    record_file.unlink(missing_ok=True)
    return deleted
