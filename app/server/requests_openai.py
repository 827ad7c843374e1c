"""OpenAI request bodies (chat completions, completions, embeddings) read into jobs.

Only what Hearth can honour is accepted: a field it cannot (images, ``n`` > 1, log
probabilities) is refused with a 400 that says so, never silently ignored. Tools are
offered to the model and its calls returned (``app.server.tools``); the client runs them
and sends each result back as a ``tool`` message. Fields that change nothing a client
relies on (``user``, ``store``, ``metadata``, penalties) are ignored.
"""

from __future__ import annotations

from typing import Any

from app.server import fields
from app.server.errors import bad_request
from app.server.grammar import response_format_grammar
from app.server.jobs import ChatJob
from app.server.tools import call_arguments, openai_offer

# Longest message list accepted.
MAX_MESSAGES = 4096
# The roles Hearth's chat templates take; "developer" is OpenAI's newer name for system.
_ROLES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
}
_EFFORTS = ("low", "medium", "high")
# What /v1/completions writes when max_tokens is not given (OpenAI's default).
COMPLETIONS_DEFAULT_MAX_TOKENS = 16


def chat_job(body: dict[str, Any], max_tokens_limit: int) -> ChatJob:
    """A ``POST /v1/chat/completions`` body as a job; a 400 for anything it cannot honour."""
    _refuse_unsupported(body)
    tools = openai_offer(body)
    messages = _messages(body.get("messages"))
    stream = fields.flag(body, "stream")
    stream_options = body.get("stream_options")
    if stream_options is not None and not isinstance(stream_options, dict):
        raise bad_request("'stream_options' must be an object", "stream_options")
    include_usage = bool(stream and stream_options and stream_options.get("include_usage"))
    return ChatJob(
        model=fields.text(body, "model"),
        messages=messages,
        stream=stream,
        sampling=_sampling(body, ("max_completion_tokens", "max_tokens"), max_tokens_limit),
        stop=fields.stop_strings(body, "stop"),
        grammar=response_format_grammar(body.get("response_format")),
        options=_thinking_options(body),
        include_usage=include_usage,
        tools=tools,
    )


def completion_job(body: dict[str, Any], max_tokens_limit: int) -> ChatJob:
    """A ``POST /v1/completions`` body as a job.

    The prompt is continued as written: no chat template goes round it.
    """
    _refuse_unsupported(body)
    if fields.flag(body, "echo"):
        raise bad_request("'echo' is not supported", "echo")
    if body.get("suffix"):
        raise bad_request("'suffix' (fill in the middle) is not supported", "suffix")
    if body.get("best_of") not in (None, 1):
        raise bad_request("'best_of' must be 1", "best_of")
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise bad_request("'prompt' must be one string", "prompt")
    if not prompt.strip():
        raise bad_request("'prompt' is empty", "prompt")
    stream = fields.flag(body, "stream")
    stream_options = body.get("stream_options")
    include_usage = bool(
        stream and isinstance(stream_options, dict) and stream_options.get("include_usage")
    )
    sampling = _sampling(body, ("max_tokens",), max_tokens_limit)
    sampling.setdefault("max_tokens", COMPLETIONS_DEFAULT_MAX_TOKENS)
    return ChatJob(
        model=fields.text(body, "model"),
        messages=[],
        stream=stream,
        sampling=sampling,
        stop=fields.stop_strings(body, "stop"),
        include_usage=include_usage,
        raw_prompt=prompt,
    )


def embedding_inputs(body: dict[str, Any]) -> list[str]:
    """The texts a ``POST /v1/embeddings`` body asks to embed."""
    value = body.get("input")
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise bad_request("'input' must be a string or a list of strings", "input")
    return items


def _refuse_unsupported(body: dict[str, Any]) -> None:
    if body.get("n") not in (None, 1):
        raise bad_request("Only one choice per request is supported ('n' must be 1)", "n")
    if body.get("logprobs") not in (None, False, 0):
        raise bad_request("Log probabilities are not supported", "logprobs")


def _messages(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise bad_request("'messages' must be a non-empty list", "messages")
    if len(value) > MAX_MESSAGES:
        raise bad_request(f"'messages' holds more than {MAX_MESSAGES} messages", "messages")
    messages = [_message(item, index) for index, item in enumerate(value)]
    _name_tool_results(messages)
    return messages


def _message(item: Any, index: int) -> dict[str, Any]:
    where = f"messages[{index}]"
    if not isinstance(item, dict):
        raise bad_request(f"{where} must be an object", where)
    role = item.get("role")
    if role == "function" or item.get("function_call"):
        raise bad_request(
            f"{where} uses the old 'function' role: send 'tool' messages instead", where
        )
    if role not in _ROLES:
        raise bad_request(
            f"{where}.role must be system, developer, user, assistant or tool, not {role!r}",
            where,
        )
    message: dict[str, Any] = {
        "role": _ROLES[role],
        "content": _content(item.get("content"), where),
    }
    reasoning = item.get("reasoning_content")
    if role == "assistant" and isinstance(reasoning, str) and reasoning:
        message["reasoning_content"] = reasoning
    if role == "assistant" and item.get("tool_calls"):
        message["tool_calls"] = _calls(item["tool_calls"], where)
    if role == "tool":
        call_id = item.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            raise bad_request(f"{where} is a tool result without its 'tool_call_id'", where)
        message["tool_call_id"] = call_id
    return message


def _calls(value: Any, where: str) -> list[dict[str, Any]]:
    """An assistant turn's calls, the way templates read them (arguments as an object)."""
    if not isinstance(value, list):
        raise bad_request(f"{where}.tool_calls must be a list", where)
    calls = []
    for index, call in enumerate(value):
        at = f"{where}.tool_calls[{index}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise bad_request(f"{at} must have a function with a name", at)
        calls.append(
            {
                "id": str(call.get("id") or ""),
                "type": "function",
                "function": {
                    "name": function["name"],
                    "arguments": call_arguments(function.get("arguments"), at),
                },
            }
        )
    return calls


def _name_tool_results(messages: list[dict[str, Any]]) -> None:
    """Gives each tool result the name of the call it answers (templates print it)."""
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls", ()):
            names[call["id"]] = call["function"]["name"]
        if message["role"] == "tool":
            message["name"] = names.get(message["tool_call_id"], "")


def _content(value: Any, where: str) -> str:
    """A message's text: a string, or a list of text parts (joined)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise bad_request(f"{where}.content must be a string or a list of parts", where)
    texts = []
    for part in value:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind in ("image_url", "input_image", "input_audio", "file"):
            raise bad_request(
                f"{where} holds a {kind} part: this server takes text only",
                where,
                code="content_unsupported",
            )
        else:
            raise bad_request(f"{where}.content holds a part that is not text", where)
    return "\n".join(texts)


def _sampling(body: dict[str, Any], token_names: tuple[str, ...], limit: int) -> dict[str, Any]:
    sampling: dict[str, Any] = {}
    temperature = fields.number(body, "temperature", 0.0, 2.0)
    if temperature is not None:
        sampling["temperature"] = temperature
    top_p = fields.number(body, "top_p", 0.0, 1.0)
    if top_p is not None:
        sampling["top_p"] = top_p
    seed = fields.integer(body, "seed", -(2**63), 2**64 - 1)
    if seed is not None:
        sampling["seed"] = seed % 2**32  # llama.cpp's seed is 32 bits
    tokens = fields.max_tokens(body, token_names, limit)
    if tokens is not None:
        sampling["max_tokens"] = tokens
    return sampling


def _thinking_options(body: dict[str, Any]) -> dict[str, Any]:
    """Template switches for thinking: ``reasoning_effort``, ``chat_template_kwargs``."""
    options: dict[str, Any] = {}
    effort = body.get("reasoning_effort")
    if effort is not None:
        if effort in ("none", "minimal"):
            options["enable_thinking"] = False
        elif effort in _EFFORTS:
            options["reasoning_effort"] = effort
        else:
            raise bad_request(
                "'reasoning_effort' must be none, minimal, low, medium or high", "reasoning_effort"
            )
    kwargs = body.get("chat_template_kwargs")
    if isinstance(kwargs, dict) and isinstance(kwargs.get("enable_thinking"), bool):
        options["enable_thinking"] = kwargs["enable_thinking"]
    return options
