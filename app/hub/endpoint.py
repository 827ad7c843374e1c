"""Which Hugging Face server to talk to, and the addresses built from it.

huggingface_hub reads ``HF_ENDPOINT`` once, when it is imported. Hearth instead reads it
whenever a client or download is created and passes the endpoint explicitly to every
huggingface_hub call, so a mirror chosen at run time (or a test server) is honoured and
the import order never matters.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from huggingface_hub import hf_hub_url

DEFAULT_ENDPOINT = "https://huggingface.co"
# owner/name, as the Hub allows them; anything else is refused before it reaches a URL.
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def hub_endpoint(environ: Mapping[str, str] | None = None) -> str:
    """The Hub's base URL: ``HF_ENDPOINT`` if set, else huggingface.co; no trailing slash."""
    env = os.environ if environ is None else environ
    return (env.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def check_repo_id(repo_id: str) -> str:
    """Return ``repo_id`` if it looks like ``owner/name``; raise ValueError otherwise."""
    if not _REPO_ID.match(repo_id) or ".." in repo_id:
        raise ValueError(f"not a Hugging Face repository id: {repo_id!r} (expected owner/name)")
    return repo_id


def repo_page_url(endpoint: str, repo_id: str) -> str:
    """The repository's page, where a gated model's licence is accepted."""
    return f"{endpoint}/{check_repo_id(repo_id)}"


def file_url(endpoint: str, repo_id: str, revision: str, path: str) -> str:
    """The download address of one file at one revision (branch name or commit)."""
    return hf_hub_url(check_repo_id(repo_id), path, revision=revision, endpoint=endpoint)
