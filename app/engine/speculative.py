"""Speculative decoding's choices, and the drafter a host builds for the one chosen.

The modes are a per-model setting: off, prompt lookup (``ngram_draft``) or a draft model
(``draft_model``, checked against the model's vocabulary by ``draft_vocab``). The
verification itself lives in ``token_loop``. A draft that cannot be used leaves the model
loaded without speculation and says why in one line.
"""

from __future__ import annotations

from typing import Any

OFF = "off"
LOOKUP = "lookup"
DRAFT = "draft"
MODES = (OFF, LOOKUP, DRAFT)
MODE_TITLES = {OFF: "Off", LOOKUP: "Prompt lookup", DRAFT: "Draft model"}

# The mode a model gets until its settings say otherwise: off, from bench/speculative.py
# on the starter model (CPU, one thread, "edit this text" replies, 6 back-to-back pairs,
# beside other work). Prompt lookup kept 74-75% of its drafts and still ran at 0.96-0.97x
# the tok/s of no speculation (0.96-0.99x in CPU time), with the draft gate or without:
# a small model on a CPU is limited by arithmetic, so a batch of k tokens costs about k
# single decodes and a right guess saves almost nothing. Where batches are nearly free
# (a GPU, a large model streaming from memory) it should pay, but that was not measured
# here; run the bench there (--gpu-layers) before turning it on by default.
DEFAULT_MODE = OFF


# Said when the loaded model rounds a batch otherwise than one token
# (app.engine.exact_drafts): greedy replies then go without drafts.
INEXACT_NOTE = (
    "Speculative decoding: on this machine the model computes a batch of guessed tokens"
    " with slightly different rounding than one token, so replies at temperature 0 are"
    " made without guesses and stay exactly as they would be without speculation."
)


def flash_attention_for(mode: str) -> bool | None:
    """Flash attention when drafts are checked (True), else the plan's own choice (None).

    On the CPU, attention through matrix products rounds a batch of tokens differently
    from one token, so a draft could change a greedy reply; flash attention does not.
    """
    return True if mode in (LOOKUP, DRAFT) else None


def mode_or_default(mode: str | None) -> str:
    """A saved mode, or the default for a model that has none (or an unknown one)."""
    return mode if mode in MODES else DEFAULT_MODE


def build_drafter(
    mode: str, draft_path: str | None, target: Any, load: Any
) -> tuple[Any, str, str]:
    """The drafter for ``mode``, the mode in effect, and a note when it fell back.

    ``load(path)`` loads the draft model's ``Llama`` as the target was loaded.
    """
    if mode == LOOKUP:
        from app.engine.ngram_draft import PromptLookup

        return PromptLookup(), LOOKUP, ""
    if mode != DRAFT:
        return None, OFF, ""
    if not draft_path:
        return None, OFF, "No draft model is chosen in this model's settings: speculation is off."
    from pathlib import Path

    from app.engine.draft_model import DraftModel
    from app.engine.draft_vocab import vocab_mismatch

    name = Path(draft_path).name
    try:
        llm = load(draft_path)
    except (OSError, ValueError, RuntimeError) as error:
        note = f"The draft model {name} could not be loaded ({error}): speculation is off."
        return None, OFF, note
    refused = vocab_mismatch(target, llm)
    if refused:
        llm.close()
        return (
            None,
            OFF,
            f"The draft model {name} does not share this model's vocabulary ({refused}):"
            " speculation is off. Choose a smaller model of the same family.",
        )
    return DraftModel(llm), DRAFT, ""
