"""Chat templates written for Hearth's tests in the style of each model family.

They are our own, not the model authors' templates: each reproduces the constructs its
family's real template uses (see /work/shared/MODEL-FAMILIES.md), so tests can prove that
Hearth renders such templates the way Hugging Face transformers does.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).parent


def names() -> list[str]:
    """Every template here, by name (the file name without ``.jinja``)."""
    return sorted(path.stem for path in _HERE.glob("*.jinja"))


def load(name: str) -> str:
    """The source of template ``name`` (``"qwen3_thinking"`` or ``"qwen3_thinking.jinja"``)."""
    stem = name.removesuffix(".jinja")
    return (_HERE / f"{stem}.jinja").read_text(encoding="utf-8")
