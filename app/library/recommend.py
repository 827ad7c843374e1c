"""Which catalog models to suggest downloading first, for this machine's memory.

Only models whose chat-format family the tests cover end to end
(:data:`app.engine.families.TESTED_FAMILIES`) are suggested: a first download must work.
Embedding models (catalog kind "embedding") are never suggested: they cannot chat.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.families import TESTED_FAMILIES
from app.hardware import MachineInfo
from app.library.catalog import Catalog
from app.library.fit import FitVerdict
from app.library.remote_fit import assess

# Best first: a model that runs on the GPU beats one that must share with the CPU.
_PREFERENCE = (FitVerdict.FITS_GPU, FitVerdict.PARTIAL_GPU, FitVerdict.CPU_ONLY)


@dataclass(frozen=True)
class Suggestion:
    model_id: str
    name: str
    repo_id: str
    file_name: str
    size_bytes: int
    verdict: FitVerdict
    explain: str


def suggest_downloads(catalog: Catalog, machine: MachineInfo, limit: int = 3) -> list[Suggestion]:
    """Catalog models of a tested family whose recommended file runs here, best fit
    first, then smallest.

    On a machine where nothing fits on a GPU, smaller models come first: they are the
    ones that answer at a usable speed on a CPU.
    """
    found: list[Suggestion] = []
    for model in catalog.models:
        if model.is_embedding or model.family not in TESTED_FAMILIES:
            continue
        choice = next(
            (c for c in assess(model.groups(), machine, catalog_model=model) if c.recommended), None
        )
        if choice is None or choice.estimate is None or not choice.estimate.verdict.runs:
            continue
        found.append(
            Suggestion(
                model_id=model.id,
                name=model.name,
                repo_id=model.repo_id,
                file_name=choice.group.name,
                size_bytes=choice.group.total_size,
                verdict=choice.estimate.verdict,
                explain=choice.explain(),
            )
        )
    found.sort(key=lambda s: (_PREFERENCE.index(s.verdict), s.size_bytes))
    return found[:limit]
