"""Searching Hugging Face for GGUF models and listing a repository's GGUF files.

Both calls are single, time-limited requests made when asked: constructing a
:class:`HubClient` touches neither the network nor the disk. The search request is made
here rather than through ``HfApi.list_models``, because that call retries a refused
connection five times with growing waits (about 23 s) and has no time limit, so an
offline user would wait; here an unreachable Hub fails at once with
:class:`~app.hub.errors.HubOfflineError`. The file listing uses ``HfApi.model_info``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from huggingface_hub import HfApi
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import ModelInfo
from huggingface_hub.utils import hf_raise_for_status

from app.hub import http
from app.hub.endpoint import check_repo_id, hub_endpoint, repo_page_url
from app.hub.errors import (
    HubAccessError,
    HubError,
    HubNotFoundError,
    HubOfflineError,
    HubResponseError,
)
from app.hub.files import ModelFileGroup, RemoteFile, group_gguf_files
from app.hub.token import find_token

TokenProvider = Callable[[], "str | None"]
# What a search result needs; asking for it explicitly keeps the answer small.
_SEARCH_FIELDS = ["downloads", "likes", "lastModified", "gated"]


class SearchSort(str, enum.Enum):
    """Orders the Hub can sort a search by, most first."""

    DOWNLOADS = "downloads"
    LIKES = "likes"
    RECENT = "lastModified"
    TRENDING = "trendingScore"


@dataclass(frozen=True)
class RepoSummary:
    """One search result."""

    repo_id: str
    downloads: int
    likes: int
    last_modified: datetime | None
    gated: bool  # the licence must be accepted on the Hub before files can be downloaded


@dataclass(frozen=True)
class RepoListing:
    """A repository's GGUF models, at the commit the listing was taken from."""

    repo_id: str
    revision: str  # commit id; downloads fetch this exact commit so parts never mix
    gated: bool
    groups: tuple[ModelFileGroup, ...]

    @property
    def models(self) -> tuple[ModelFileGroup, ...]:
        return tuple(g for g in self.groups if not g.is_mmproj)

    @property
    def projectors(self) -> tuple[ModelFileGroup, ...]:
        return tuple(g for g in self.groups if g.is_mmproj)


class HubClient:
    """Search and file listings against one Hub endpoint.

    ``endpoint`` defaults to ``HF_ENDPOINT`` (read now, not at import) or huggingface.co.
    ``token_provider`` is asked for a token before each request.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        token_provider: TokenProvider = find_token,
        timeout_s: float = 15.0,
        connect_timeout_s: float = 5.0,
    ) -> None:
        self.endpoint = (endpoint or hub_endpoint()).rstrip("/")
        self._token_provider = token_provider
        self._timeout = http.timeout(timeout_s, connect_timeout_s)
        self._timeout_s = timeout_s

    def search(
        self, query: str, sort: SearchSort = SearchSort.DOWNLOADS, limit: int = 50
    ) -> list[RepoSummary]:
        """GGUF repositories whose id contains ``query``, in the order ``sort`` asks for."""
        params: dict[str, Any] = {
            "filter": "gguf",
            "sort": SearchSort(sort).value,
            "limit": limit,
            "expand": _SEARCH_FIELDS,
        }
        if query.strip():
            params["search"] = query.strip()
        headers = http.hub_headers(self._token_provider())
        try:
            response = http.session().get(
                f"{self.endpoint}/api/models",
                params=params,
                headers=headers,
                timeout=self._timeout,
            )
            hf_raise_for_status(response)
            return [_summary(ModelInfo(**item)) for item in response.json()[:limit]]
        except Exception as err:
            translated = self._translate(err, None)
            if translated is None:
                raise
            raise translated from err

    def list_files(self, repo_id: str) -> RepoListing:
        """Every GGUF model in ``repo_id``, with sizes, quantizations and checksums."""
        check_repo_id(repo_id)
        token = self._token_provider()
        api = HfApi(endpoint=self.endpoint, token=token if token else False)
        try:
            info = api.model_info(repo_id, files_metadata=True, timeout=self._timeout_s)
        except Exception as err:
            translated = self._translate(err, repo_id)
            if translated is None:
                raise
            raise translated from err
        files = [
            RemoteFile(
                path=sibling.rfilename,
                size=int(sibling.lfs.size if sibling.lfs else sibling.size or 0),
                sha256=sibling.lfs.sha256 if sibling.lfs else None,
                blob_id=sibling.blob_id,
            )
            for sibling in info.siblings or ()
        ]
        return RepoListing(
            repo_id=repo_id,
            revision=info.sha or "main",
            gated=bool(info.gated),
            groups=tuple(group_gguf_files(repo_id, files)),
        )

    def _translate(self, err: Exception, repo_id: str | None) -> HubError | None:
        """huggingface_hub's and the HTTP library's errors as Hearth's own; None: unknown."""
        if isinstance(err, http.NETWORK_ERRORS):
            return HubOfflineError(self.endpoint, str(err) or type(err).__name__)
        if isinstance(err, GatedRepoError) and repo_id:
            return HubAccessError(repo_id, repo_page_url(self.endpoint, repo_id), _status(err))
        if isinstance(err, RepositoryNotFoundError) and repo_id:
            return HubNotFoundError(
                f"{repo_id} was not found on {self.endpoint} "
                "(if it is private, set an access token that can read it)"
            )
        if isinstance(err, (RevisionNotFoundError, EntryNotFoundError)):
            return HubNotFoundError(str(err).splitlines()[0])
        if isinstance(err, HfHubHTTPError):
            status = _status(err)
            if status in (401, 403) and repo_id:
                return HubAccessError(repo_id, repo_page_url(self.endpoint, repo_id), status)
            url = str(err.response.url) if err.response is not None else self.endpoint
            return HubResponseError(status, url)
        if isinstance(err, (ValueError, KeyError, TypeError)):  # not JSON, or not the shape
            return HubError(f"Hugging Face sent an answer Hearth cannot read: {err!r}")
        return None


def _status(err: HfHubHTTPError) -> int:
    return err.response.status_code if err.response is not None else 0


def _summary(info: ModelInfo) -> RepoSummary:
    return RepoSummary(
        repo_id=info.id,
        downloads=int(info.downloads or 0),
        likes=int(info.likes or 0),
        last_modified=info.last_modified,
        gated=bool(info.gated),
    )
