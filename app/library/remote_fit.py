"""How well each file of a repository would run here, before anything is downloaded.

For every model in a listing (or in the catalog), a :class:`FileChoice` holds the fit
estimate at :data:`FIT_CONTEXT` tokens and whether it is the recommended download. The
shape behind the estimate comes, best first, from the catalog (exact architecture),
from the repository's own GGUF header read over HTTP (see
:mod:`app.library.remote_header`), or from the file name and size (see
:mod:`app.library.shape_guess`); :attr:`FileChoice.shape_source` says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.hardware.machine import MachineInfo
from app.hub.files import ModelFileGroup
from app.library.catalog import CatalogModel
from app.library.fit import FitEstimate, ModelShape, estimate_fit, recommend_quant
from app.library.shape_guess import guess_shape

# The context the verdicts are given at: what Hearth loads a model with by default.
FIT_CONTEXT = 4096

SOURCE_WORDS = {
    "catalog": "from Hearth's catalog",
    "header": "from the file's header",
    "name": "estimated from the file name and size",
}


@dataclass(frozen=True)
class FileChoice:
    group: ModelFileGroup
    estimate: FitEstimate | None  # None: a projector, or nothing to estimate from
    shape_source: str = ""  # "catalog", "header", "name" or ""
    recommended: bool = False

    @property
    def verdict_label(self) -> str:
        if self.group.is_mmproj:
            return "vision projector"
        return self.estimate.verdict.label if self.estimate else "fit unknown"

    def explain(self) -> str:
        """The tooltip: the estimate's numbers and where the model's shape came from."""
        if self.estimate is None:
            return (
                "Used beside a vision model, not on its own."
                if self.group.is_mmproj
                else "Hearth has no way to estimate this file's memory needs before download."
            )
        return f"{self.estimate.explain()}\nModel shape {SOURCE_WORDS[self.shape_source]}."


def shape_for(
    group: ModelFileGroup,
    catalog_model: CatalogModel | None = None,
    probed: ModelShape | None = None,
) -> tuple[ModelShape | None, str]:
    """The best shape known for ``group`` and where it came from."""
    if group.is_mmproj:
        return None, ""
    if catalog_model is not None:
        return catalog_model.shape(group.total_size, _label(group)), "catalog"
    if probed is not None:
        return probed.with_weights(group.total_size, _label(group)), "header"
    guessed = guess_shape(f"{group.repo_id}/{group.name}", group.total_size)
    return (guessed, "name") if guessed else (None, "")


def assess(
    groups: Sequence[ModelFileGroup],
    machine: MachineInfo,
    *,
    catalog_model: CatalogModel | None = None,
    probed: ModelShape | None = None,
    n_ctx: int = FIT_CONTEXT,
) -> list[FileChoice]:
    """A choice per group, in the given order; at most one marked recommended."""
    shaped = [(group, *shape_for(group, catalog_model, probed)) for group in groups]
    candidates = [
        (index, shape)
        for index, (group, shape, _) in enumerate(shaped)
        if shape is not None and group.is_complete
    ]
    best = recommend_quant([shape for _, shape in candidates], machine, n_ctx)
    recommended_index = candidates[best][0] if best is not None else None
    return [
        FileChoice(
            group=group,
            estimate=estimate_fit(shape, machine, n_ctx) if shape is not None else None,
            shape_source=source,
            recommended=index == recommended_index,
        )
        for index, (group, shape, source) in enumerate(shaped)
    ]


def _label(group: ModelFileGroup) -> str:
    return group.name.rsplit("/", 1)[-1].removesuffix(".gguf")
