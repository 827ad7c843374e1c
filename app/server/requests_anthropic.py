"""Anthropic Messages request bodies (``POST /v1/messages``) read into jobs.

Text content and thinking blocks are taken; images, documents and tools are refused
with a 400 that says so.
"""

from __future__ import annotations

from typing import Any

from app.server import fields
from app.server.errors import bad_request
from app.server.jobs import ChatJob
from app.server.requests_openai import MAX_MESSAGES, TOOLS_REFUSAL

# Anthropic allows many stop sequences; the engine checks each on every token.
MAX_STOP_SEQUENCES = 16


def messages_job(body: dict[str, Any], max_tokens_limit: int) -> ChatJob:
    if body.get("tools") or body.get("tool_choice"):
        raise bad_request(TOOLS_REFUSAL, "tools", code="tools_unsupported")
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
    result = []
    for index, item in enumerate(value):
        where = f"messages[{index}]"
        if not isinstance(item, dict) or item.get("role") not in ("user", "assistant"):
            raise bad_request(f"{where} must have the role user or assistant", where)
        result.append(_message(item["role"], item.get("content"), where))
    return result


def _message(role: str, content: Any, where: str) -> dict[str, Any]:
    if isinstance(content, str):
        return {"role": role, "content": content}
    if not isinstance(content, list):
        raise bad_request(f"{where}.content must be a string or a list of blocks", where)
    texts: list[str] = []
    thinking: list[str] = []
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "thinking" and role == "assistant":
            thinking.append(str(block.get("thinking", "")))
        elif kind == "redacted_thinking":
            continue
        else:
            texts.append(_block_text(block, where))
    message: dict[str, Any] = {"role": role, "content": "\n".join(texts)}
    if thinking and any(thinking):
        message["reasoning_content"] = "\n".join(thinking)
    return message


def _block_text(block: Any, where: str) -> str:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "text" and isinstance(block.get("text"), str):
        return str(block["text"])
    if kind in ("tool_use", "tool_result", "server_tool_use"):
        raise bad_request(TOOLS_REFUSAL, where, code="tools_unsupported")
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
