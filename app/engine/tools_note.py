"""Tells a model about the offered tools when its chat template has no place for them.

Many chat templates (SmolLM2's, Gemma's, older fine-tunes') never read ``tools``: rendered
as they are, the model is never told a tool exists, so in "auto" mode it cannot call one.
For those, the tools go into the instructions as data, with one example call written in
the syntax Hearth's parser reads for the model's family (``tool_calls.SYNTAX``), so a call
the model copies is understood.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from app.engine.tool_calls import ToolCallFormat

_EXAMPLE_NAME = "tool_name"
_EXAMPLE_ARGS = '{"argument": "value"}'


def example_call(fmt: ToolCallFormat, name: str = _EXAMPLE_NAME, args: str = _EXAMPLE_ARGS) -> str:
    """One call of ``name`` with ``args`` (a JSON object's text), as ``fmt``'s parser reads it."""
    call = f'{{"name": "{name}", "arguments": {args}}}'
    if fmt == "llama3":
        return call
    if fmt == "mistral":
        return f"[TOOL_CALLS][{call}]"
    if fmt == "command-r":
        return f"Action: ```json\n[{call}]\n```"
    if fmt == "granite":
        return f"<|tool_call|>[{call}]"
    if fmt == "phi4-mini":
        return f"functools[{call}]"
    if fmt == "deepseek":
        return (
            "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>"
            f"{name}\n```json\n{args}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
        )
    return f"<tool_call>{call}</tool_call>"  # hermes, and harmony's models read tools


def _example_for(tools: Sequence[Mapping[str, Any]], fmt: ToolCallFormat) -> str:
    """The example calls the first offered tool, with its first property, so the model
    sees a real name rather than a placeholder it might copy."""
    spec = tools[0] if tools else {}
    function = spec.get("function", spec)
    name = str(function.get("name") or _EXAMPLE_NAME)
    properties = (function.get("parameters") or {}).get("properties") or {}
    args = json.dumps({next(iter(properties)): "..."}) if properties else "{}"
    return example_call(fmt, name, args)


def tools_note(tools: Sequence[Mapping[str, Any]], fmt: ToolCallFormat) -> str:
    """The instructions' paragraph that lists ``tools`` and shows how to call one."""
    listed = "\n".join(json.dumps(spec, ensure_ascii=False) for spec in tools)
    return (
        "You can call these tools. Their descriptions (JSON schema) are:\n"
        f"<tools>\n{listed}\n</tools>\n"
        "To call a tool, reply with only the call, written exactly like this example, "
        "with the tool's name and its arguments as a JSON object:\n"
        f"{_example_for(tools, fmt)}\n"
        "The tool's result will come back to you in the next message. If no tool is "
        "needed, answer normally."
    )


def with_tools_note(
    turns: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]], fmt: ToolCallFormat
) -> list[dict[str, Any]]:
    """``turns`` with the tools' note at the end of the system turn (one made if none)."""
    note = tools_note(tools, fmt)
    result = [dict(turn) for turn in turns]
    if result and result[0].get("role") == "system":
        before = str(result[0].get("content") or "").rstrip()
        result[0]["content"] = f"{before}\n\n{note}" if before else note
    else:
        result.insert(0, {"role": "system", "content": note})
    return result
