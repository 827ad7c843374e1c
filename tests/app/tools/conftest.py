"""The starter model's vocabulary for the grammar tests (see tests/support/grammar_admits)."""

from __future__ import annotations

from tests.support.grammar_admits import vocab_model

__all__ = ["vocab_model"]
