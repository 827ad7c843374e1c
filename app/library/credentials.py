"""Keeping the user's Hugging Face access token, entered once in the window or the CLI.

The token goes to the system keychain through the optional ``keyring`` package, under
the names :mod:`app.hub.token` reads it back with. Where there is no usable keychain
(``keyring`` not installed, or no backend, as on a headless Linux machine) it goes to
the file huggingface_hub itself keeps its token in (what ``hf auth login`` writes), which
:func:`app.hub.token.find_token` also reads; :func:`save_token` says which was used.
``HF_TOKEN`` in the environment, when set, is read first by huggingface_hub and wins
over the file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from huggingface_hub import constants

from app.hub.token import KEYRING_SERVICE, KEYRING_USERNAME

log = logging.getLogger(__name__)

KEYCHAIN = "the system keychain"
TOKEN_FILE = "huggingface_hub's token file"


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
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(token, encoding="utf-8")
    if os.name == "posix":
        path.chmod(0o600)  # a secret: the owner alone may read it
    return TOKEN_FILE


def forget_token() -> None:
    """Remove the token from the keychain and the token file, wherever it is."""
    keyring = _keyring()
    if keyring is not None:
        try:
            keyring.delete_password(KEYRING_SERVICE, KEYRING_USERNAME)
        except Exception:  # not there, or no keychain: nothing to forget
            log.debug("no keychain token to forget", exc_info=True)
    token_file().unlink(missing_ok=True)
