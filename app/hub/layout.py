"""Where downloaded files land in the models folder.

``<models>/<owner>/<repo>/<path in repo>``: one folder per Hugging Face repository, as
LM Studio lays it out, files under their own names (a file kept in a folder of the
repository keeps that folder). While a file downloads, its bytes go to
``<file>.part`` beside it; the file itself appears only once verified.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from app.hub.endpoint import check_repo_id

PART_SUFFIX = ".part"


def repo_folder(models_dir: Path, repo_id: str) -> Path:
    """The folder holding one repository's downloads."""
    owner, name = check_repo_id(repo_id).split("/")
    return models_dir / owner / name


def local_path(models_dir: Path, repo_id: str, repo_path: str) -> Path:
    """Where a repository file is stored; refuses paths that would leave the repo folder."""
    pure = PurePosixPath(repo_path)
    if pure.is_absolute() or not pure.parts or any(p in ("", ".", "..") for p in pure.parts):
        raise ValueError(f"unsafe file path in repository: {repo_path!r}")
    if "\\" in repo_path or ":" in repo_path:
        # Would mean a different path (or a drive) on Windows.
        raise ValueError(f"unsafe file path in repository: {repo_path!r}")
    return repo_folder(models_dir, repo_id).joinpath(*pure.parts)


def part_path(target: Path) -> Path:
    """The partial file a download writes to before it is verified."""
    return target.with_name(target.name + PART_SUFFIX)
