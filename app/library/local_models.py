"""The models Hearth can run right now: the starter model, the models folder, and imports.

The models folder holds downloads as ``<models>/<owner>/<repo>/<file>`` (one folder
per Hugging Face repository; see :mod:`app.hub.layout`); any other GGUF placed in it
is listed too. Imported files (see :mod:`app.library.imports`) are listed where they
lie. Partial downloads (``.part``), vision projectors and parts 2..N of a split model
are not models of their own.

Embedding models (nomic-embed-text, bge, embeddinggemma: encoders that turn text into
vectors for the documents' search) are listed too, marked ``is_embedding`` from their
file's header, so that the chat picker can leave them out and the documents' chooser
can offer them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.library.gguf_header import GGUFError, GGUFHeader, read_gguf_header
from app.library.starter import STARTER_NAME, starter_model_path

# Parts 2..N of a split model are loaded through part 1 and are not models of their own.
_LATER_SPLIT_PART = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)
_PROJECTOR = re.compile(r"mmproj", re.IGNORECASE)
# llama.cpp's encoder-only architectures: models that embed and cannot generate.
EMBEDDING_ARCHITECTURES = frozenset(
    {"bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "neo-bert",
     "modern-bert", "gemma-embedding", "t5encoder"}
)  # fmt: skip


@dataclass(frozen=True)
class LocalModel:
    name: str
    path: Path
    size_bytes: int
    is_starter: bool = False
    is_imported: bool = False  # listed from the import list, used where it lies
    repo_id: str | None = None  # "owner/repo" for a download in the models folder
    is_embedding: bool = False  # an embedding model: for documents, never for chat


class ModelNotFoundError(LookupError):
    """No model matches what the user asked for."""


def list_local_models(models_dir: Path, imported: Iterable[Path] = ()) -> list[LocalModel]:
    """The starter model first, then every runnable GGUF in ``models_dir`` or ``imported``.

    Sorted by name; an imported file that is missing now, or that is also in the
    models folder, is left out.
    """
    models: list[LocalModel] = []
    starter = starter_model_path()
    if starter:
        models.append(LocalModel(STARTER_NAME, starter, starter.stat().st_size, True))
    found = []
    seen: set[Path] = set()
    if models_dir.is_dir():
        for path in models_dir.rglob("*.gguf"):
            if not _is_runnable_file(path):
                continue
            seen.add(path.resolve())
            repo = _repo_of(path, models_dir)
            found.append(
                LocalModel(
                    _display_name(path),
                    path,
                    _model_size(path),
                    repo_id=repo,
                    is_embedding=is_embedding_file(path),
                )
            )
    for path in imported:
        if path.resolve() in seen or not path.is_file() or not _is_runnable_file(path):
            continue
        seen.add(path.resolve())
        found.append(
            LocalModel(
                _display_name(path),
                path,
                _model_size(path),
                is_imported=True,
                is_embedding=is_embedding_file(path),
            )
        )
    models.extend(sorted(found, key=lambda model: model.name.lower()))
    return models


def resolve_model(name_or_path: str, models_dir: Path, imported: Iterable[Path] = ()) -> LocalModel:
    """A model from a file path, the starter model's name, or part of a local file's name."""
    candidate = Path(name_or_path).expanduser()
    if candidate.is_file():
        return LocalModel(_display_name(candidate), candidate.resolve(), _model_size(candidate))
    wanted = name_or_path.lower().removesuffix(".gguf")
    models = list_local_models(models_dir, imported)
    for model in models:
        if wanted in (model.name.lower(), model.path.stem.lower()):
            return model
    partial = [model for model in models if wanted in model.name.lower()]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        names = ", ".join(model.name for model in partial)
        raise ModelNotFoundError(f"'{name_or_path}' matches several models: {names}")
    raise ModelNotFoundError(
        f"No model named '{name_or_path}' and no file at that path."
        " 'hearth models list' shows the models Hearth has."
    )


def chat_models(models: Iterable[LocalModel]) -> list[LocalModel]:
    """The models one can chat with: every one but the embedding models."""
    return [model for model in models if not model.is_embedding]


def is_embedding_file(path: Path) -> bool:
    """Whether the GGUF at ``path`` is an embedding model, by its header: an encoder
    architecture, or a pooling type (how an embedder turns tokens into one vector).
    An unreadable file is not one (loading it says what is wrong)."""
    try:
        header = read_gguf_header(path)
    except GGUFError:
        return False
    return is_embedding_header(header)


def is_embedding_header(header: GGUFHeader) -> bool:
    """Whether a GGUF header describes an embedding model (see :func:`is_embedding_file`)."""
    return (
        header.architecture in EMBEDDING_ARCHITECTURES
        or header.arch_value("pooling_type") is not None
    )


def split_parts(path: Path) -> list[Path]:
    """Every part of the split model ``path`` belongs to, in order; [] if not split."""
    split = _LATER_SPLIT_PART.search(path.name)
    if not split:
        return []
    prefix = path.name[: split.start()]
    total = int(split.group(2))
    return [path.with_name(f"{prefix}-{i:05d}-of-{total:05d}.gguf") for i in range(1, total + 1)]


def _is_runnable_file(path: Path) -> bool:
    if path.name.endswith(".part") or _PROJECTOR.search(path.name):
        return False
    split = _LATER_SPLIT_PART.search(path.name)
    return not (split and int(split.group(1)) != 1)


def _display_name(path: Path) -> str:
    return _LATER_SPLIT_PART.sub("", path.name).removesuffix(".gguf")


def _model_size(path: Path) -> int:
    parts = split_parts(path)
    if not parts:
        return path.stat().st_size
    return sum(part.stat().st_size for part in parts if part.exists())


def _repo_of(path: Path, models_dir: Path) -> str | None:
    """``owner/repo`` when ``path`` lies at ``<models>/<owner>/<repo>/...``."""
    relative = path.relative_to(models_dir).parts
    return f"{relative[0]}/{relative[1]}" if len(relative) >= 3 else None
