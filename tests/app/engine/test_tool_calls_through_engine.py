"""A tool call made by the real starter model reaches the app as a call, not as text.

The model is made to call the calculator with a call grammar (the "must call a tool"
setting); the call is read by the engine host's reply parser, sent as its own event,
run, and its result goes back to the model in the next turn through the template.
"""

from __future__ import annotations

import json

from app.engine.engine import Engine
from app.engine.protocol import LoadRequest, SamplingParams
from app.tools.builtin import builtin_tools
from app.tools.grammar import call_grammar
from app.tools.registry import ToolRegistry

QUESTION = [
    {"role": "system", "content": "Use the calculator for arithmetic."},
    {"role": "user", "content": "What is 37*41?"},
]


def test_a_forced_calculator_call_arrives_as_a_call_and_runs(
    engine: Engine, starter_request: LoadRequest
):
    engine.load(starter_request)
    tools = builtin_tools()
    registry = ToolRegistry(tools)
    answer: list[str] = []
    calls: list = []
    prompts: list[int] = []
    stats = engine.generate(
        QUESTION,
        SamplingParams(temperature=0.0, max_tokens=80),
        answer.append,
        on_tool_call=calls.append,
        on_prompt=lambda tokens, _dropped: prompts.append(tokens),
        options={"tools": registry.specs()},
        grammar=call_grammar(tools, "hermes"),
    )
    assert stats.finish_reason == "tool_calls"
    assert "".join(answer).strip() == ""  # the call never shows as text
    assert len(calls) == 1 and calls[0].ok and calls[0].name == "calculator"
    result = registry.run(calls[0])
    assert not result.is_error, result.text

    # The result goes back as a tool message; the model's next turn reads it.
    follow_up = [
        *QUESTION,
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": calls[0].id,
                    "type": "function",
                    "function": {"name": calls[0].name, "arguments": calls[0].arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": calls[0].id, "name": "calculator", "content": result.text},
    ]
    reply: list[str] = []
    second_prompt: list[int] = []
    engine.generate(
        follow_up,
        SamplingParams(temperature=0.0, max_tokens=12),
        reply.append,
        on_prompt=lambda tokens, _dropped: second_prompt.append(tokens),
        options={"tools": registry.specs()},
    )
    assert second_prompt[0] > prompts[0]  # the call and its result are in the prompt
    assert json.dumps(calls[0].arguments)  # arguments are plain JSON data
