"""The model library both front ends use: the Models page and ``hearth models``.

:class:`ModelLibrary` ties together the catalog, Hugging Face search and listings, fit
estimates for this machine, downloads, imports and removal, over one set of folders.
Nothing touches the network until :meth:`ModelLibrary.search`,
:meth:`ModelLibrary.open_repo` or a download is asked for; the catalog and the local
models work offline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.hardware.machine import MachineInfo
from app.hub.client import HubClient, RepoListing, RepoSummary, SearchSort
from app.hub.download import FileSource
from app.hub.endpoint import hub_endpoint, repo_page_url
from app.hub.files import ModelFileGroup
from app.hub.queue import DownloadQueue
from app.hub.token import find_token
from app.library.catalog import Catalog, CatalogError, CatalogModel, load_catalog
from app.library.fit import ModelShape
from app.library.imports import ImportRegistry
from app.library.local_models import LocalModel, list_local_models
from app.library.models_folder import choose_models_folder
from app.library.remote_fit import FileChoice, assess
from app.library.remote_header import fetch_header, shape_from_remote_header
from app.library.removal import remove_model
from app.paths import HearthPaths
from app.settings import SettingsFile

log = logging.getLogger(__name__)

QUEUE_STATE_FILE = "downloads.json"
TokenProvider = Callable[[], "str | None"]


@dataclass(frozen=True)
class RepoFiles:
    """A repository opened for download: its listing and a fit verdict per model."""

    listing: RepoListing
    choices: list[FileChoice]
    licence_url: str
    catalog_model: CatalogModel | None = None
    notes: list[str] = field(default_factory=list)  # e.g. the catalog is out of date

    def choice(self, name_or_quant: str) -> FileChoice | None:
        wanted = name_or_quant.lower().removesuffix(".gguf")
        for choice in self.choices:
            group = choice.group
            names = {group.name.lower().removesuffix(".gguf"), (group.quant or "").lower()}
            names.add(group.name.rsplit("/", 1)[-1].lower().removesuffix(".gguf"))
            if wanted in names:
                return choice
        return None

    @property
    def recommended(self) -> FileChoice | None:
        return next((c for c in self.choices if c.recommended), None)


class ModelLibrary:
    """Models on disk and on Hugging Face, for one set of Hearth folders."""

    def __init__(
        self,
        paths: HearthPaths,
        *,
        endpoint: str | None = None,
        token_provider: TokenProvider = find_token,
        catalog: Catalog | None = None,
        settings: SettingsFile | None = None,
    ) -> None:
        self.paths = paths
        self.settings = settings or SettingsFile(paths.settings_file)
        self._endpoint = endpoint
        self._token_provider = token_provider
        self._catalog = catalog
        self.catalog_error: str | None = None
        self.imports = ImportRegistry.in_folder(paths.config)

    # -- folders and local models -------------------------------------------------------
    @property
    def models_dir(self) -> Path:
        return self.paths.models

    @property
    def endpoint(self) -> str:
        """``HF_ENDPOINT`` read now (or the one given), so a mirror chosen later applies."""
        return (self._endpoint or hub_endpoint()).rstrip("/")

    def models(self) -> list[LocalModel]:
        return list_local_models(self.models_dir, self.imports.paths())

    def import_file(self, file: Path | str) -> Path:
        return self.imports.add(file, self.models_dir)

    def remove(self, model: LocalModel, *, delete_files: bool) -> list[Path]:
        return remove_model(model, self.models_dir, self.imports, delete_files=delete_files)

    def set_models_dir(self, folder: Path | None) -> Path:
        """Use ``folder`` for models from now on (None: the default); returns it."""
        self.paths = choose_models_folder(self.paths, folder, self.settings)
        return self.models_dir

    def queue(self) -> DownloadQueue:
        """A download queue into the models folder that remembers unfinished downloads."""
        state = self.paths.cache / QUEUE_STATE_FILE
        return DownloadQueue(self.models_dir, state, token_provider=self._token_provider)

    # -- the catalog ----------------------------------------------------------------------
    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            try:
                self._catalog = load_catalog()
            except CatalogError as err:  # the rest of the library still works without it
                log.warning("%s", err)
                self.catalog_error = str(err)
                self._catalog = Catalog(())
        return self._catalog

    def catalog_choices(self, model: CatalogModel, machine: MachineInfo) -> list[FileChoice]:
        """Fit verdicts for a catalog model's files, from the catalog alone (offline)."""
        return assess(model.groups(), machine, catalog_model=model)

    # -- Hugging Face ---------------------------------------------------------------------
    def client(self) -> HubClient:
        return HubClient(self.endpoint, token_provider=self._token_provider)

    def search(
        self, query: str, sort: SearchSort = SearchSort.DOWNLOADS, limit: int = 50
    ) -> list[RepoSummary]:
        return self.client().search(query, sort, limit)

    def open_repo(self, repo_id: str, machine: MachineInfo, *, probe: bool = True) -> RepoFiles:
        """List ``repo_id``'s GGUF models and judge each for ``machine``.

        Outside the catalog, ``probe`` reads the architecture from the smallest model's
        header (one small Range request) so the verdicts rest on real numbers.
        """
        listing = self.client().list_files(repo_id)
        catalog_model = self.catalog.for_repo(repo_id)
        probed = None
        if catalog_model is None and probe:
            probed = self._probe_shape(listing)
        choices = assess(listing.groups, machine, catalog_model=catalog_model, probed=probed)
        notes = _catalog_notes(catalog_model, listing.groups) if catalog_model else []
        page = repo_page_url(self.endpoint, repo_id)
        return RepoFiles(listing, choices, page, catalog_model, notes)

    def _probe_shape(self, listing: RepoListing) -> ModelShape | None:
        models = [g for g in listing.models if g.is_complete]
        if not models:
            return None
        smallest = min(models, key=lambda g: g.first_part.size)
        source = FileSource(self.endpoint, listing.repo_id, listing.revision, smallest.first_part)
        header = fetch_header(source, token=self._token_provider())
        if header is None or not header.block_count or not header.head_count:
            return None
        return shape_from_remote_header(header, smallest)


def _catalog_notes(model: CatalogModel, groups: tuple[ModelFileGroup, ...]) -> list[str]:
    """Where the Hub lists another file than the catalog recorded (a re-upload)."""
    listed = {part.path: part for group in groups for part in group.parts}
    notes = []
    for entry in model.files:
        for part in entry.parts:
            remote = listed.get(part.path)
            if remote is None or part.sha256 is None or remote.sha256 is None:
                continue
            if remote.sha256.lower() != part.sha256.lower():
                notes.append(
                    f"{part.path} changed on Hugging Face since Hearth's catalog was written;"
                    " it is checked against the checksum Hugging Face lists now."
                )
    return notes
