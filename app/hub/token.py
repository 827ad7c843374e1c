"""Finding the user's Hugging Face access token, for gated and private repositories.

Looked up in this order, when a request is about to be made (never at import):

1. the system keychain, under :data:`KEYRING_SERVICE` / :data:`KEYRING_USERNAME`, where
   Hearth will save a token the user enters in the window. This needs the optional
   ``keyring`` package; without it this step is skipped.
2. huggingface_hub's own lookup: the ``HF_TOKEN`` environment variable, then the token
   saved by ``hf auth login``.
"""

from __future__ import annotations

import logging

from huggingface_hub import get_token

KEYRING_SERVICE = "Hearth"
KEYRING_USERNAME = "huggingface-token"

log = logging.getLogger(__name__)


def _token_from_keyring() -> str | None:
    try:
        import keyring  # absent means no keychain support
        import keyring.errors
    except ImportError:
        return None
    try:
        token = keyring.get_password(KEYRING_SERVICE, KEYRING_USERNAME)
    except keyring.errors.NoKeyringError:
        return None  # no keychain on this system (a headless Linux box): not a problem
    except Exception:  # any backend failure (locked, no backend) must not block downloads
        log.warning("could not read the Hugging Face token from the keychain", exc_info=True)
        return None
    return (token or "").strip() or None


def find_token() -> str | None:
    """The token to send to the Hub, or None when the user has not given one."""
    token = _token_from_keyring()
    if token:
        return token
    try:
        return get_token()
    except Exception:  # e.g. a failed OIDC exchange: carry on anonymously, but say so
        log.warning("could not read the Hugging Face token", exc_info=True)
        return None
