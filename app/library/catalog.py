"""Hearth's curated catalog of models: ``resources/catalog.json``, read into plain data.

The catalog names a few well-known instruct models, the GGUF repository each comes from,
the chat-format family each was trained on (see :mod:`app.engine.families`) and whether it
thinks before it answers, the files of each quantization with their sizes (and sha256
where one was found), and the architecture numbers :mod:`app.library.fit` needs, so the
fit of a catalog model is known before anything is downloaded or even listed.

A chat model may name a ``draft``: a smaller model with the same tokenizer (its name and
GGUF repository), suggested for speculative decoding; the host checks the vocabularies
when the pair loads (``app.engine.draft_vocab``).

Each entry has a ``kind``: ``"chat"`` (the default when the file leaves it out) or
``"embedding"``, a model that turns text into vectors for the documents' search
(:mod:`app.docs`). Embedding models are downloaded like chat models but are never
suggested or offered to chat with; they have no chat format, so ``family`` and
``thinks`` may be left out of their entries.

Where the file is found (:func:`catalog_path`): ``resources/`` is a top-level folder of
the project, beside the ``app`` package, not a package itself. Looked up in order:

1. ``HEARTH_CATALOG`` (a path), for tests and for trying a new catalog;
2. ``<folder holding app/>/resources/catalog.json``: a source checkout, an editable
   install, and a PyInstaller bundle, whose ``sys._MEIPASS`` holds ``app/`` and, when
   the spec lists ``(resources/catalog.json, "resources")`` in its datas (as it does
   for ``resources/icons``), ``resources/`` beside it;
3. ``<sys.prefix>/share/hearth/resources/catalog.json``: a wheel install, once
   pyproject.toml lists it under ``[tool.setuptools.data-files]``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.hub.files import ModelFileGroup, RemoteFile, split_part
from app.library.fit import ModelShape

CATALOG_ENV = "HEARTH_CATALOG"
CATALOG_VERSION = 1
CHAT = "chat"
EMBEDDING = "embedding"
KINDS = (CHAT, EMBEDDING)


class CatalogError(ValueError):
    """The catalog file is missing or not in the expected shape."""


@dataclass(frozen=True)
class Architecture:
    """The numbers of a model family that decide memory needs (see ModelShape)."""

    layers: int
    embedding: int
    heads: int
    kv_heads: int
    vocab: int
    feed_forward: int = 0
    head_dim: int = 0  # 0: embedding / heads
    output_tied: bool = False


@dataclass(frozen=True)
class CatalogPart:
    path: str
    size: int
    size_exact: bool  # False: the rounded size the Hub's file list shows
    sha256: str | None  # None: no public record found; the Hub listing's is used
    seen_at: str | None  # the commit at which size and sha256 were read


@dataclass(frozen=True)
class CatalogFile:
    """One quantization of a catalog model: a single file or the parts of a split one."""

    quant: str
    parts: tuple[CatalogPart, ...]

    @property
    def size(self) -> int:
        return sum(part.size for part in self.parts)

    @property
    def name(self) -> str:
        """The name the file listing gives this model (see app.hub.files)."""
        split = split_part(self.parts[0].path)
        return split[0] if split else self.parts[0].path


@dataclass(frozen=True)
class DraftSuggestion:
    """A small model of the same vocabulary, to draft for this one (speculative decoding)."""

    name: str
    repo_id: str


@dataclass(frozen=True)
class CatalogModel:
    id: str
    name: str
    # The chat format it was trained on, a name of app.engine.families.Family ("chatml",
    # "llama3", "harmony", ...); a name this Hearth does not know is kept as written.
    family: str
    thinks: bool  # writes its reasoning before the answer (Qwen3, DeepSeek-R1, gpt-oss)
    repo_id: str
    params_billion: float
    context_length: int
    licence: str
    gated: bool
    architecture: Architecture
    files: tuple[CatalogFile, ...]
    kind: str = CHAT  # one of KINDS
    draft: DraftSuggestion | None = None

    @property
    def is_embedding(self) -> bool:
        """An embedding model: for documents' vectors, never for chat."""
        return self.kind == EMBEDDING

    def shape(self, weights_bytes: int, name: str = "") -> ModelShape:
        """This model's shape for a file of ``weights_bytes`` (any quantization)."""
        arch = self.architecture
        return ModelShape(
            n_layers=arch.layers,
            n_embd=arch.embedding,
            n_head=arch.heads,
            n_head_kv=arch.kv_heads,
            n_vocab=arch.vocab,
            weights_bytes=weights_bytes,
            context_length_trained=self.context_length,
            head_dim_k=arch.head_dim,
            n_ff=arch.feed_forward,
            name=name or self.name,
            output_tied=arch.output_tied,
            n_params=round(self.params_billion * 1e9),
        )

    def file(self, name_or_quant: str) -> CatalogFile | None:
        wanted = name_or_quant.lower()
        for entry in self.files:
            if wanted in (entry.quant.lower(), entry.name.lower()):
                return entry
        return None

    def groups(self) -> list[ModelFileGroup]:
        """The catalog's files as listing groups (for showing before the Hub is asked)."""
        groups = []
        for entry in self.files:
            parts = tuple(RemoteFile(p.path, p.size, p.sha256) for p in entry.parts)
            groups.append(
                ModelFileGroup(
                    repo_id=self.repo_id,
                    name=entry.name,
                    quant=entry.quant,
                    parts=parts,
                    is_mmproj=False,
                    expected_parts=len(parts),
                )
            )
        return groups


@dataclass(frozen=True)
class Catalog:
    models: tuple[CatalogModel, ...]

    def get(self, model_id: str) -> CatalogModel | None:
        return next((m for m in self.models if m.id.lower() == model_id.lower()), None)

    def for_repo(self, repo_id: str) -> CatalogModel | None:
        return next((m for m in self.models if m.repo_id.lower() == repo_id.lower()), None)


def catalog_path(environ: dict[str, str] | None = None) -> Path:
    """Where the catalog is, by the rules in the module docstring."""
    env = os.environ if environ is None else environ
    if env.get(CATALOG_ENV):
        return Path(env[CATALOG_ENV]).expanduser()
    beside_app = Path(__file__).resolve().parents[2] / "resources" / "catalog.json"
    installed = Path(sys.prefix) / "share" / "hearth" / "resources" / "catalog.json"
    for candidate in (beside_app, installed):
        if candidate.is_file():
            return candidate
    return beside_app


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and check the catalog; raises :class:`CatalogError` with the reason."""
    path = path or catalog_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"the model catalog is missing ({path})") from None
    except (OSError, ValueError) as err:
        raise CatalogError(f"the model catalog {path} is unreadable: {err}") from err
    try:
        if raw.get("version") != CATALOG_VERSION:
            raise CatalogError(f"the model catalog {path} has unknown version {raw.get('version')}")
        return Catalog(tuple(_model(item) for item in raw["models"]))
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, CatalogError):
            raise
        raise CatalogError(f"the model catalog {path} is malformed: {err!r}") from err


def _model(item: dict[str, Any]) -> CatalogModel:
    arch = item["architecture"]
    kind = _kind(item.get("kind", CHAT))
    chat = kind == CHAT
    return CatalogModel(
        id=str(item["id"]),
        name=str(item["name"]),
        family=_family(item["family"]) if chat or "family" in item else "",
        thinks=_flag(item["thinks"] if chat else item.get("thinks", False), "thinks"),
        repo_id=str(item["repo_id"]),
        params_billion=float(item["params_billion"]),
        context_length=int(item["context_length"]),
        licence=str(item["licence"]),
        gated=bool(item["gated"]),
        architecture=Architecture(
            layers=int(arch["layers"]),
            embedding=int(arch["embedding"]),
            heads=int(arch["heads"]),
            kv_heads=int(arch["kv_heads"]),
            vocab=int(arch["vocab"]),
            feed_forward=int(arch.get("feed_forward", 0)),
            head_dim=int(arch.get("head_dim", 0)),
            output_tied=bool(arch.get("output_tied", False)),
        ),
        files=tuple(
            CatalogFile(
                quant=str(entry["quant"]),
                parts=tuple(
                    CatalogPart(
                        path=str(part["path"]),
                        size=int(part["size"]),
                        size_exact=bool(part["size_exact"]),
                        sha256=part.get("sha256"),
                        seen_at=part.get("seen_at"),
                    )
                    for part in entry["parts"]
                ),
            )
            for entry in item["files"]
        ),
        kind=kind,
        draft=_draft(item.get("draft")),
    )


def _draft(value: Any) -> DraftSuggestion | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"draft must be an object with a name and a repo_id, not {value!r}")
    return DraftSuggestion(name=str(value["name"]), repo_id=str(value["repo_id"]))


def _kind(value: Any) -> str:
    if value not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {value!r}")
    return str(value)


def _family(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"family must be a chat-format name, not {value!r}")
    return value.strip()


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value
