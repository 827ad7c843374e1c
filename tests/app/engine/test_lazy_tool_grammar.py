"""Auto tool mode with the real starter model: once a reply opens a call, the lazy grammar
holds the call to the tools' schemas; a reply that opens none is left as it was.

The 135M starter rarely opens a call by itself, so the call test starts the assistant's
turn with the opener written in (a prefill, told to the sampler chain as accepted text):
the grammar then triggers on that text exactly as it does on the model's own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import llama_cpp
import pytest

from app.engine.engine import Engine
from app.engine.lazy_tools import LazyToolGrammars
from app.engine.protocol import TOOL_CHOICE, SamplingParams
from app.engine.reply_parser import ReplyParser
from app.engine.sampler_chain import SamplerChain
from app.engine.token_loop import TokenLoop
from app.tools.arguments import argument_problem
from app.tools.base import Tool, ToolResult
from app.tools.calculator import CalculatorTool


class Forecast(Tool):
    """A tool whose schema has the usual parts: a bounded string, an enum, a number."""

    name = "forecast"
    description = "The weather forecast for a city."
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "city": {"type": "string", "maxLength": 24},
            "units": {"enum": ["metric", "imperial"]},
            "days": {"type": "integer"},
        },
        "required": ["city", "units"],
        "additionalProperties": False,
    }

    def run(self, arguments: Mapping[str, Any]) -> ToolResult:
        return ToolResult("sunny")


TOOLS: list[Tool] = [Forecast(), CalculatorTool()]
SPECS = [tool.spec() for tool in TOOLS]
OPENER = "<tool_call>\n"


@pytest.fixture(scope="module")
def llm(starter_model: Path) -> Iterator[Any]:
    model = llama_cpp.Llama(model_path=str(starter_model), n_ctx=1024, n_threads=1, verbose=False)
    yield model
    model.close()


def prompt(question: str) -> str:
    system = "You may call these tools:\n" + json.dumps(SPECS)
    return (
        f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def continue_after_opener(llm: Any, question: str, seed: int) -> str:
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    grammars = LazyToolGrammars(
        "hermes",
        lambda text: llm.tokenize(text.encode(), add_bos=False, special=True),
        lambda token: llama_cpp.llama_vocab_get_attr(vocab, token),
    )
    lazy = grammars.for_tools(SPECS)
    assert lazy is not None and lazy.patterns and not lazy.tokens  # text, not a token here
    loop = TokenLoop(llm)
    opener = llm.tokenize(OPENER.encode(), add_bos=False, special=True)
    tokens = llm.tokenize((prompt(question) + OPENER).encode(), add_bos=False, special=True)
    assert loop.evaluate_prompt(tokens, lambda: False)
    sampling = SamplingParams(temperature=1.0, seed=seed)
    out: list[int] = []
    with SamplerChain(vocab, llm.n_vocab(), sampling, lazy_grammar=lazy) as chain:
        chain.accept(opener)
        replies = loop.tokens(chain.pointer)
        for token in replies:
            if llama_cpp.llama_vocab_is_eog(vocab, token) or len(out) == 200:
                break
            out.append(token)
        replies.close()
    return OPENER + llm.detokenize(out).decode("utf-8", errors="replace")


@pytest.mark.parametrize("seed", range(3))
def test_a_call_once_opened_is_valid_json_matching_the_schema(llm: Any, seed: int):
    text = continue_after_opener(llm, "What will the weather be in Oslo this week?", seed)
    parser = ReplyParser(tools_offered=True, tool_format="hermes")
    calls = [piece.call for piece in parser.feed(text) + parser.finish() if piece.call]
    assert calls, text
    by_name = {tool.name: tool for tool in TOOLS}
    for call in calls:
        assert call.ok, (call.error, text)
        assert call.name in by_name
        assert argument_problem(by_name[call.name].parameters, call.arguments or {}) is None


def test_a_reply_that_opens_no_call_is_unchanged(loaded: Engine):
    messages = [{"role": "user", "content": "Say hello to my cat in one sentence."}]
    sampling = SamplingParams(temperature=0.0, max_tokens=60)
    texts = []
    for choice in ("auto", "none"):
        pieces: list[str] = []
        calls: list[Any] = []
        loaded.generate(
            messages,
            sampling,
            pieces.append,
            on_tool_call=calls.append,
            options={"tools": SPECS, TOOL_CHOICE: choice},
        )
        assert not calls
        texts.append("".join(pieces))
    assert texts[0] == texts[1] and texts[0].strip()
