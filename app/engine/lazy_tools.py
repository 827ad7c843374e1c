"""The lazy call grammar for a reply that may call a tool ("auto" tool choice).

Owns the step from a request's tools to llama.cpp's lazy grammar: the family's call
grammar (``app.tools.grammar.trigger_grammar``) with its openers turned into trigger
tokens where the vocabulary has the opener as one special token (Qwen's ``<tool_call>``,
Llama 3's ``<|python_tag|>``, Mistral's ``[TOOL_CALLS]``) and into end-anchored patterns
where the model writes it as text (the starter's ``<tool_call>`` is plain text). Grammars
are kept per tool list, since a chat sends the same tools every turn.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from app.engine.sampler_chain import LazyGrammar
from app.engine.tool_calls import ToolCallFormat
from app.tools.grammar import spec_tools, trigger_grammar

_SPECIAL_ATTRS = 1 << 3 | 1 << 4  # LLAMA_TOKEN_ATTR_CONTROL | LLAMA_TOKEN_ATTR_USER_DEFINED


class LazyToolGrammars:
    """Lazy call grammars for one model, built once per tool list."""

    def __init__(
        self,
        fmt: ToolCallFormat,
        tokenize: Callable[[str], Sequence[int]],
        token_attributes: Callable[[int], int],
    ) -> None:
        self._format = fmt
        self._tokenize = tokenize
        self._attributes = token_attributes
        self._built: dict[str, LazyGrammar | None] = {}

    def for_tools(self, specs: Sequence[Mapping[str, Any]]) -> LazyGrammar | None:
        """The lazy grammar for the template's ``tools`` list (None: nothing to wait for)."""
        key = json.dumps(specs, sort_keys=True, default=str)
        if key not in self._built:
            self._built[key] = self._build(specs)
        return self._built[key]

    def _build(self, specs: Sequence[Mapping[str, Any]]) -> LazyGrammar | None:
        grammar = trigger_grammar(spec_tools(specs), self._format)
        if grammar is None:
            return None
        tokens: list[int] = []
        patterns = list(grammar.patterns)
        for word in grammar.words:
            ids = list(self._tokenize(word))
            if len(ids) == 1 and self._attributes(ids[0]) & _SPECIAL_ATTRS:
                tokens.append(ids[0])
            else:
                patterns.append(grammar.word_pattern(word))
        return LazyGrammar(grammar.source, tuple(patterns), tuple(tokens))
