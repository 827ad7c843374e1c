"""The checks every request passes before any route sees it (ASGI middleware).

In this order: the Host header names this server (a web page that rebinds its own DNS
name to 127.0.0.1 sends its own name, and is refused); a browser's ``Origin`` is one
the user listed (browsers send it with every cross-origin POST, so a page cannot make
the model work even blind); the API key, when there is one; the body's size, by its
``Content-Length`` and again as it arrives.
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.server.config import ServerConfig
from app.server.errors import ApiError

ANTHROPIC_PATHS = ("/v1/messages",)
# A refused request's body is read and dropped up to this many bytes before the answer:
# a client still sending it would otherwise meet a reset connection (the server closing
# with its data unread) instead of the refusal. Past this, the reset is the answer.
DRAIN_LIMIT = 16 * 1024 * 1024


class Guard:
    """Refuses requests from hosts, origins or clients the server does not answer."""

    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app = app
        self._hosts = config.host_names()
        self._origins = frozenset(config.cors_origins)
        self._key = config.api_key
        self._max_body = config.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            self._check_host(headers)
            self._check_origin(headers)
            if scope["method"] != "OPTIONS":  # a CORS preflight carries no credentials
                self._check_key(headers)
            self._check_length(headers)
        except ApiError as error:
            length = headers.get("content-length", "")
            if not length.isdigit() or int(length) <= DRAIN_LIMIT:
                await _drain(receive, DRAIN_LIMIT)
            await error_response(error, scope["path"])(scope, receive, send)
            return
        await self.app(scope, self._limited(receive), send)

    def _check_host(self, headers: Headers) -> None:
        if self._hosts is None:
            return
        name = host_name(headers.get("host", ""))
        if name not in self._hosts:
            raise ApiError(
                403,
                f"This server does not answer to the host name '{name}'. Use"
                " http://127.0.0.1, or add the name to the server's allowed hosts.",
                code="host_not_allowed",
            )

    def _check_origin(self, headers: Headers) -> None:
        origin = headers.get("origin")
        if origin is None or origin in self._origins or "*" in self._origins:
            return
        raise ApiError(
            403,
            f"Requests from web pages at {origin} are not allowed; list the origin in the"
            " server's CORS origins to allow it",
            code="origin_not_allowed",
        )

    def _check_key(self, headers: Headers) -> None:
        if self._key is None:
            return
        given = _given_key(headers)
        if given is None:
            raise ApiError(
                401,
                "This server needs an API key: send it as 'Authorization: Bearer KEY'"
                " (or 'x-api-key: KEY')",
                code="missing_api_key",
            )
        if not hmac.compare_digest(given.encode("utf-8"), self._key.encode("utf-8")):
            raise ApiError(401, "Incorrect API key", code="invalid_api_key")

    def _check_length(self, headers: Headers) -> None:
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self._max_body:
            raise too_large(self._max_body)

    def _limited(self, receive: Receive) -> Receive:
        """``receive`` that refuses a body growing past the limit (chunked uploads)."""
        limit = self._max_body
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    if message.get("more_body", False):
                        await _drain(receive, DRAIN_LIMIT)
                    raise too_large(limit)
            return message

        return limited


async def _drain(receive: Receive, limit: int) -> None:
    """Reads what is left of the request body, up to ``limit`` bytes, and drops it."""
    drained = 0
    while drained <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"The request body is larger than this server accepts ({limit:,} bytes)",
        code="request_too_large",
    )


def error_response(error: ApiError, path: str) -> JSONResponse:
    """The error in the shape the API at ``path`` uses."""
    body: dict[str, Any] = (
        error.anthropic_body() if path.startswith(ANTHROPIC_PATHS) else error.openai_body()
    )
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def host_name(host: str) -> str:
    """The name in a Host header, without its port, in lower case."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8642
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


def _given_key(headers: Headers) -> str | None:
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return headers.get("x-api-key") or headers.get("api-key") or None
