"""Errors the API answers with: OpenAI's shape (Anthropic's on ``/v1/messages``), right status.

Every failure a client can cause or meet becomes an :class:`ApiError` with a status, a
message for a person, and the ``type`` / ``code`` / ``param`` fields clients read. The
engine's own errors are mapped here, in one place (:func:`from_engine_error`).
"""

from __future__ import annotations

from typing import Any

from app.engine.errors import (
    EngineCrashed,
    EngineError,
    GenerationError,
    LoadCancelled,
    ModelLoadError,
)
from app.engine.scheduler import QueueFull

# OpenAI's ``error.type`` for each status.
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    500: "server_error",
    503: "server_error",
}
# Anthropic's ``error.type`` for each status.
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    415: "invalid_request_error",
    500: "api_error",
    503: "overloaded_error",
}


class ApiError(Exception):
    """A request the server refuses or could not serve; the message is for a person."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = headers or {}

    def openai_body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": _OPENAI_TYPES.get(self.status, "server_error"),
                "param": self.param,
                "code": self.code,
            }
        }

    def anthropic_body(self) -> dict[str, Any]:
        return {
            "type": "error",
            "error": {
                "type": _ANTHROPIC_TYPES.get(self.status, "api_error"),
                "message": self.message,
            },
        }


def bad_request(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def from_engine_error(error: Exception) -> ApiError:
    """The answer for an error the engine or the queue raised while serving a request."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, QueueFull):
        return ApiError(503, str(error), code="queue_full", headers={"Retry-After": "2"})
    if isinstance(error, GenerationError):  # the template, the context, the grammar
        return ApiError(400, str(error), code="generation_refused")
    if isinstance(error, LoadCancelled):
        return ApiError(503, "Loading the model was cancelled", code="model_load_cancelled")
    if isinstance(error, ModelLoadError):
        return ApiError(500, str(error), code="model_load_failed")
    if isinstance(error, EngineCrashed):
        return ApiError(500, f"{error}. The next request reloads the model.", code="engine_crashed")
    if isinstance(error, EngineError):
        return ApiError(503, str(error), code="engine_unavailable")
    return ApiError(500, "The server failed to answer this request", code="internal_error")
