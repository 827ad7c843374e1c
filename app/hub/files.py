"""What the GGUF files in a repository are: quantization, split parts, vision projectors.

Pure functions over file names and sizes; nothing here touches the network or the disk.
A model split by llama.cpp's ``gguf-split`` (``name-00001-of-00003.gguf``) becomes one
:class:`ModelFileGroup` with every part in order; llama.cpp loads it from the first part.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

_SPLIT = re.compile(r"^(?P<stem>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)
# A quantization label stands alone between separators: Q4_K_M, IQ2_XXS, Q8_0, Q4_0_4_8,
# TQ1_0, F16, BF16, F32, MXFP4, and unsloth's dynamic "UD-" variants.
_QUANT = re.compile(
    r"(?<![A-Za-z0-9])"
    r"((?:UD-)?(?:I?Q[1-8](?:_[A-Z0-9]{1,3})*|TQ[12]_0|BF16|FP16|FP32|F16|F32|MXFP4))"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RemoteFile:
    """One file in a Hub repository, as listed with its metadata."""

    path: str  # relative to the repository root, "/"-separated
    size: int
    sha256: str | None  # the Git LFS sha256; None for files kept in plain Git
    blob_id: str | None = None  # the Git blob id (sha1), used when there is no sha256

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)


@dataclass(frozen=True)
class ModelFileGroup:
    """One downloadable model: a single GGUF file, or every part of a split one."""

    repo_id: str
    name: str  # the file name, or for a split model the name without "-0000k-of-0000n"
    quant: str | None
    parts: tuple[RemoteFile, ...]
    is_mmproj: bool  # a vision projector, used beside a model rather than on its own
    expected_parts: int = 1  # how many parts the file names announce

    @property
    def total_size(self) -> int:
        return sum(part.size for part in self.parts)

    @property
    def is_split(self) -> bool:
        return self.expected_parts > 1

    @property
    def is_complete(self) -> bool:
        """False when the listing lacks some parts of a split model (it would not load)."""
        return len(self.parts) == self.expected_parts

    @property
    def first_part(self) -> RemoteFile:
        """The file llama.cpp is pointed at; it finds the other parts beside it."""
        return self.parts[0]


def parse_quant(path: str) -> str | None:
    """The quantization named in a file name (upper case), e.g. ``Q4_K_M``; None if none.

    The file name is tried first, then the folders above it (some repositories keep each
    quantization in a folder named after it). The last label in a name wins, since
    quantization labels come last by convention.
    """
    for segment in reversed(path.split("/")):
        matches = _QUANT.findall(segment)
        if matches:
            return str(matches[-1]).upper()
    return None


def is_mmproj(path: str) -> bool:
    """True for a multimodal (vision) projector file, which llama.cpp loads beside a model."""
    return "mmproj" in posixpath.basename(path).lower()


def split_part(path: str) -> tuple[str, int, int] | None:
    """``(group path, part index, part count)`` for a split part, else None.

    The group path keeps any folder, and names the model as if it were one file.
    """
    folder, name = posixpath.split(path)
    match = _SPLIT.match(name)
    if not match:
        return None
    index, count = int(match["index"]), int(match["count"])
    if count < 1 or not 1 <= index <= count:
        return None
    return posixpath.join(folder, match["stem"] + ".gguf"), index, count


def group_gguf_files(repo_id: str, files: Iterable[RemoteFile]) -> list[ModelFileGroup]:
    """Every GGUF model in a listing, split parts joined; models first, projectors last.

    Within each kind, smaller downloads come first. Files that are not GGUF are left out.
    """
    singles: list[ModelFileGroup] = []
    splits: dict[tuple[str, int], list[tuple[int, RemoteFile]]] = {}
    for remote in files:
        if not remote.path.lower().endswith(".gguf"):
            continue
        split = split_part(remote.path)
        if split is None:
            singles.append(
                ModelFileGroup(
                    repo_id=repo_id,
                    name=remote.path,
                    quant=parse_quant(remote.path),
                    parts=(remote,),
                    is_mmproj=is_mmproj(remote.path),
                )
            )
            continue
        group_path, index, count = split
        splits.setdefault((group_path, count), []).append((index, remote))

    for (group_path, count), indexed in splits.items():
        indexed.sort(key=lambda item: item[0])
        singles.append(
            ModelFileGroup(
                repo_id=repo_id,
                name=group_path,
                quant=parse_quant(group_path),
                parts=tuple(remote for _, remote in indexed),
                is_mmproj=is_mmproj(group_path),
                expected_parts=count,
            )
        )
    return sorted(singles, key=lambda g: (g.is_mmproj, g.total_size, g.name))
