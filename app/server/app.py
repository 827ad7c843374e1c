"""The ASGI application: the routes, the guard in front of them, errors in the API's shape."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response

from app.server import routes_anthropic, routes_openai
from app.server.backend import Backend
from app.server.config import ServerConfig
from app.server.errors import ApiError
from app.server.guard import Guard, error_response

log = logging.getLogger(__name__)


def build_app(backend: Backend, config: ServerConfig) -> Starlette:
    middleware = [Middleware(Guard, config=config)]
    if config.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["authorization", "content-type", "x-api-key", "anthropic-version"],
            )
        )
    app = Starlette(
        routes=[*routes_openai.ROUTES, *routes_anthropic.ROUTES],
        middleware=middleware,
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.backend = backend
    return app


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return error_response(error, request.url.path)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    status = error.status_code
    if status == 404:
        message = f"There is no endpoint {request.url.path}; the API is under /v1"
    elif status == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(error.detail)
    return error_response(ApiError(status, message), request.url.path)


async def _unexpected(request: Request, error: Exception) -> Response:
    log.error("API request to %s failed", request.url.path, exc_info=error)
    return error_response(
        ApiError(500, "The server failed to answer this request", code="internal_error"),
        request.url.path,
    )
