"""Anthropic Messages request bodies (``POST /v1/messages``) read into jobs.

Text content, thinking blocks, the client's tools (``app.server.tools``), the model's
``tool_use`` blocks and the client's ``tool_result`` blocks are taken; images and
documents are refused with a 400 that says so.
"""

from __future__ import annotations

from typing import Any

from app.server import fields
from app.server.errors import bad_request
from app.server.jobs import ChatJob
from app.server.requests_openai import MAX_MESSAGES
from app.server.tools import anthropic_offer, call_arguments

# Anthropic allows many stop sequences; the engine checks each on every token.
MAX_STOP_SEQUENCES = 16


def messages_job(body: dict[str, Any], max_tokens_limit: int) -> ChatJob:
    tools = anthropic_offer(body)
    model = fields.text(body, "model", required=True)
    tokens = fields.max_tokens(body, ("max_tokens",), max_tokens_limit)
    if tokens is None:
        raise bad_request("'max_tokens' is required", "max_tokens")
    messages = _system(body.get("system")) + _messages(body.get("messages"))
    sampling: dict[str, Any] = {"max_tokens": tokens}
    temperature = fields.number(body, "temperature", 0.0, 1.0)
    if temperature is not None:
        sampling["temperature"] = temperature
    top_p = fields.number(body, "top_p", 0.0, 1.0)
    if top_p is not None:
        sampling["top_p"] = top_p
    top_k = fields.integer(body, "top_k", 0, 1_000_000)
    if top_k is not None:
        sampling["top_k"] = top_k
    return ChatJob(
        model=model,
        messages=messages,
        stream=fields.flag(body, "stream"),
        sampling=sampling,
        stop=fields.stop_strings(body, "stop_sequences", MAX_STOP_SEQUENCES),
        options=_thinking(body.get("thinking")),
        tools=tools,
    )


def _system(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, str):
        text = value
    elif isinstance(value, list):
        text = "\n".join(_block_text(block, "system") for block in value)
    else:
        raise bad_request("'system' must be a string or a list of text blocks", "system")
    return [{"role": "system", "content": text}] if text.strip() else []


def _messages(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise bad_request("'messages' must be a non-empty list", "messages")
    if len(value) > MAX_MESSAGES:
        raise bad_request(f"'messages' holds more than {MAX_MESSAGES} messages", "messages")
    result: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # call id -> tool name, for the results that answer them
    for index, item in enumerate(value):
        where = f"messages[{index}]"
        if not isinstance(item, dict) or item.get("role") not in ("user", "assistant"):
            raise bad_request(f"{where} must have the role user or assistant", where)
        for message in _message(item["role"], item.get("content"), where):
            for call in message.get("tool_calls", ()):
                names[call["id"]] = call["function"]["name"]
            if message["role"] == "tool":
                message["name"] = names.get(message["tool_call_id"], "")
            result.append(message)
    return result


def _message(role: str, content: Any, where: str) -> list[dict[str, Any]]:
    """One Anthropic message as the engine's messages: a user message's tool results
    become ``tool`` messages before its text; an assistant's tool uses, its calls."""
    if isinstance(content, str):
        return [{"role": role, "content": content}]
    if not isinstance(content, list):
        raise bad_request(f"{where}.content must be a string or a list of blocks", where)
    texts: list[str] = []
    thinking: list[str] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "thinking" and role == "assistant":
            thinking.append(str(block.get("thinking", "")))
        elif kind == "redacted_thinking":
            continue
        elif kind == "tool_use" and role == "assistant":
            calls.append(_tool_use(block, where))
        elif kind == "tool_result" and role == "user":
            results.append(_tool_result(block, where))
        else:
            texts.append(_block_text(block, where))
    message: dict[str, Any] = {"role": role, "content": "\n".join(texts)}
    if thinking and any(thinking):
        message["reasoning_content"] = "\n".join(thinking)
    if calls:
        message["tool_calls"] = calls
    if results and not message["content"]:
        return results
    return [*results, message]


def _tool_use(block: dict[str, Any], where: str) -> dict[str, Any]:
    call_id, name = block.get("id"), block.get("name")
    if not isinstance(call_id, str) or not isinstance(name, str):
        raise bad_request(f"{where}: a tool_use block needs its 'id' and 'name'", where)
    arguments = call_arguments(block.get("input", {}), where)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _tool_result(block: dict[str, Any], where: str) -> dict[str, Any]:
    call_id = block.get("tool_use_id")
    if not isinstance(call_id, str) or not call_id:
        raise bad_request(f"{where}: a tool_result block needs its 'tool_use_id'", where)
    value = block.get("content", "")
    if isinstance(value, str):
        text = value
    elif isinstance(value, list):
        text = "\n".join(_block_text(part, where) for part in value)
    else:
        raise bad_request(f"{where}: a tool_result's content must be text", where)
    if block.get("is_error") is True:
        text = f"Error: {text}"
    return {"role": "tool", "tool_call_id": call_id, "content": text}


def _block_text(block: Any, where: str) -> str:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "text" and isinstance(block.get("text"), str):
        return str(block["text"])
    if kind in ("tool_use", "tool_result", "server_tool_use"):
        raise bad_request(
            f"{where} holds a {kind} block where it cannot be: tool_use in the assistant's"
            " turns, tool_result in the user's",
            where,
        )
    if kind in ("image", "document", "search_result"):
        raise bad_request(
            f"{where} holds a {kind} block: this server takes text only",
            where,
            code="content_unsupported",
        )
    raise bad_request(f"{where} holds a block that is not text", where)


def _thinking(value: Any) -> dict[str, Any]:
    """``thinking: {"type": "enabled" | "disabled" | "adaptive"}`` as a template switch."""
    if value is None:
        return {}
    kind = value.get("type") if isinstance(value, dict) else None
    if kind in ("enabled", "adaptive"):
        return {"enable_thinking": True}
    if kind == "disabled":
        return {"enable_thinking": False}
    raise bad_request("'thinking.type' must be enabled, adaptive or disabled", "thinking")
